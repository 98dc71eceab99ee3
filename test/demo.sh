#!/usr/bin/env bash
# demo.sh: install what is needed, build and install accmatch, then run the
# demo (test/demo/demo.sql) in a throwaway cluster of the PostgreSQL major
# of test/pgversion.sh.  Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/pgversion.sh

bash test/deps.sh
bash test/build.sh
pg_virtualenv -t -v "$PG_MAJOR" -o 'log_min_messages=warning' psql -X -q -f test/demo/demo.sql
