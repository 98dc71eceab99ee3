#!/usr/bin/env bash
# check.sh: install what is needed, build, and run every test of accmatch
# against a throwaway cluster: the pg_regress suite, then the pgTAP suite.
# Exits non-zero when any test fails.  Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/deps.sh
bash test/build.sh

export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config

# sharding by account across three throwaway clusters (PL/Proxy)
bash test/plproxy.sh

# benchmark smoke run at 10k rows: the contenders must agree (targets are
# only reported, never fail it)
bash test/bench/run.sh --smoke

# Everything that needs one ordinary server runs in one throwaway cluster;
# pg_prove comes last so that its summary closes the output.
pg_virtualenv -t -v 15 bash -euo pipefail -c '
	if ! make -s installcheck; then
		cat regression.diffs
		exit 1
	fi
	psql -q -c "CREATE EXTENSION IF NOT EXISTS pgtap"
	pg_prove --failures test/*.sql
'
