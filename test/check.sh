#!/usr/bin/env bash
# check.sh: install what is needed, build, and run every test of accmatch
# against throwaway clusters: PL/Proxy sharding, the benchmark's smoke run,
# then in one cluster the pg_regress suite and the isolation specs (make
# installcheck), the concurrency run and the pgTAP suite.  Exits non-zero
# when any test fails.  Safe to run again.
#
# CONCURRENCY_DURATION (seconds, default 60) sets the length of the pgbench
# run.
#
# The PostgreSQL major is the one of test/pgversion.sh: the one this
# machine's Debian ships, unless one is installed or PG_MAJOR or PG_CONFIG
# names another.
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/deps.sh
. test/pgversion.sh

# META.json must describe the version the control file installs: its
# release and extension versions (the first two "version" fields) must be
# that version or a patch level of it.
control_version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" accmatch.control)
for v in $(grep -o '"version": "[^"]*"' META.json | head -n 2 | cut -d'"' -f4); do
	case "$v" in
		"$control_version" | "$control_version".*) ;;
		*)
			echo "check: META.json version $v does not match accmatch.control $control_version" >&2
			exit 1
			;;
	esac
done

bash test/build.sh

# sharding by account across three throwaway clusters (PL/Proxy)
bash test/plproxy.sh

# benchmark smoke run at 10k rows: the contenders must agree (targets are
# only reported, never fail it)
bash test/bench/run.sh --smoke

# pg_prove's report is printed last, after the cluster is gone, so that its
# summary closes the output.
prove_log=$(mktemp)
trap 'rm -f "$prove_log"' EXIT
export PROVE_LOG=$prove_log
pg_virtualenv -t -v "$PG_MAJOR" -o 'log_min_messages=warning' bash -euo pipefail -c '
	if ! make -s installcheck; then
		cat regression.diffs output_iso/regression.diffs 2>/dev/null
		exit 1
	fi
	bash test/dump_restore.sh
	DURATION=${CONCURRENCY_DURATION:-60} bash test/concurrency.sh
	psql -q -c "CREATE EXTENSION IF NOT EXISTS pgtap"
	pg_prove --failures test/*.sql > "$PROVE_LOG" 2>&1 || { cat "$PROVE_LOG"; exit 1; }
'
cat "$prove_log"
