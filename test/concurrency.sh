#!/usr/bin/env bash
# concurrency.sh: match_payments() and the summaries under concurrent load,
# with writes going on, must raise no error and give, every time, a valid
# matching of the snapshot they saw.
#
# Uses the server of PGHOST/PGPORT/PGUSER (for instance inside
# pg_virtualenv), in a database of its own that it creates and drops.
# test/concurrency/setup.sql loads seeded tables and two checking
# functions; then pgbench runs 8 clients (2 threads) for $DURATION seconds
# (default 60), each transaction one of these scripts, by weight:
#   match_sequential, match_month_first, match_partitioned (3, 2, 2):
#       in one REPEATABLE READ transaction, match_payments() into a
#       temporary table, then check it against the same snapshot by the
#       properties of test/lib/matching.sql (one row per payment,
#       one-to-one, strictly earlier, 'month' rows share the month and
#       'oldest' rows do not, same account when partitioned, no unmatched
#       payment with an earlier accrual left unpaid, ...) and by a second
#       call giving the same rows;
#   summaries (2): action_summary() per account and account_actions() per
#       document, their counts checked against counts made in SQL;
#   writer (1): inserts a payment, an accrual and an action, and adds an
#       action to a document.
# A violated property raises an error, which pgbench reports.  The script
# fails if pgbench exits non-zero, aborts a client, or reports a failed
# transaction; it prints the transaction counts.
#
# Usage:  bash test/concurrency.sh           (60 s)
#         DURATION=10 bash test/concurrency.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-60}
db=${CONCURRENCY_DB:-accmatch_concurrency}
. test/pgversion.sh
bindir=$("$PG_CONFIG" --bindir)
dir=test/concurrency
out=$(mktemp)
trap 'rm -f "$out"' EXIT

psql_admin() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }

psql_admin -c "SET client_min_messages = warning" \
	-c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
"$bindir/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$dir/setup.sql" >/dev/null

# one round of every check before the load, so that a broken set-up does
# not pass for a concurrency problem
"$bindir/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" -At <<'EOF' >/dev/null
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT check_matching('sequential'), check_matching('month_first'),
	check_matching('sequential', 'account'), check_summaries();
COMMIT;
EOF

echo "concurrency: pgbench, 8 clients, ${DURATION} s"
rc=0
"$bindir/pgbench" -n -c 8 -j 2 -T "$DURATION" \
	-f "$dir/match_sequential.sql@3" \
	-f "$dir/match_month_first.sql@2" \
	-f "$dir/match_partitioned.sql@2" \
	-f "$dir/summaries.sql@2" \
	-f "$dir/writer.sql@1" "$db" >"$out" 2>&1 || rc=$?
cat "$out"

failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out" | head -1)
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out" | head -1)

status=0
if [ "$rc" -ne 0 ]; then
	echo "concurrency: pgbench exited with $rc"
	status=1
fi
if grep -q "aborted" "$out"; then
	echo "concurrency: a client was aborted by an error"
	status=1
fi
if [ -z "$failed" ] || [ "$failed" != 0 ]; then
	echo "concurrency: failed transactions: ${failed:-unknown}"
	status=1
fi
if [ -z "$processed" ] || [ "$processed" -eq 0 ]; then
	echo "concurrency: no transaction was processed"
	status=1
fi

# the tables after the load, checked once more
if [ "$status" -eq 0 ]; then
	"$bindir/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" -At <<'EOF' || status=1
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT format('concurrency: after the load: %s payments, %s accruals, %s actions; all checks hold',
	check_matching('sequential'), (SELECT count(*) FROM accrual),
	(SELECT count(*) FROM action))
WHERE check_matching('month_first') > 0 AND check_matching('sequential', 'account') > 0
  AND check_summaries() > 0;
COMMIT;
EOF
fi

echo "concurrency: ${processed:-0} transactions, ${failed:-?} failed"
[ "${KEEP:-0}" = 1 ] || psql_admin -c "DROP DATABASE IF EXISTS $db"
[ "$status" -eq 0 ] && echo "concurrency: PASS" || echo "concurrency: FAIL"
exit "$status"
