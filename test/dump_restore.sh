#!/usr/bin/env bash
# dump_restore.sh: a database with materialized views and views over
# match_payments('payment', 'accrual', ...) and allocate_payments(...),
# their tables named without a schema, and a view over action_summary,
# comes back from pg_dump -Fc and pg_restore with the same rows.  The
# tables are regclass arguments: a view binds them when it is created
# (from PostgreSQL 17 on, CREATE and REFRESH MATERIALIZED VIEW run with
# search_path set to pg_catalog, pg_temp, but the names are resolved
# before), depends on them (DROP TABLE payment is refused with 2BP01) and
# is dumped with their qualified names.  REFRESH works, and a text value
# passed through a PL/pgSQL variable is resolved when the call runs.  So
# do a table of action_summary_state values and a view merging them, and
# a database built on 1.1 and updated, whose view over action_summary
# calls action_summary_v11 since the update: it restores into a fresh
# install.
#
# It also shows that 1.1's text functions, kept as
# match_payments_by_name(), behave as documented: a materialized view
# over them with schema-qualified names restores; with unqualified names
# it is dumped fine, but pg_restore runs with an empty search_path, so
# its REFRESH finds no table "payment" (42P01) and the view is restored
# unpopulated; from PostgreSQL 17 on it cannot even be created.
#
# Uses the server of PGHOST/PGPORT/PGUSER (for instance inside
# pg_virtualenv), as a superuser, in databases of its own that it creates
# and drops (KEEP=1 keeps them).  psql, pg_dump and pg_restore are taken
# from the server's own BINDIR, so they are of its major.
#
# Usage:  pg_virtualenv -t bash test/dump_restore.sh   (after make install)
set -euo pipefail

src=accmatch_dump_src
dst=accmatch_dump_dst
upd_src=accmatch_dump_updated_src
upd_dst=accmatch_dump_updated_dst
bad_src=accmatch_dump_unqualified_src
bad_dst=accmatch_dump_unqualified_dst
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bindir=$(psql -X -A -t -q -d postgres \
	-c "SELECT setting FROM pg_catalog.pg_config WHERE name = 'BINDIR'")
for prog in psql pg_dump pg_restore; do
	if [ ! -x "$bindir/$prog" ]; then
		echo "dump_restore: no $prog in the server's BINDIR ($bindir)" >&2
		exit 1
	fi
done
server_major=$("$bindir/psql" -X -A -t -q -d postgres \
	-c "SELECT current_setting('server_version_num')::int / 10000")
dump_major=$("$bindir/pg_dump" --version | sed -n 's/^pg_dump (PostgreSQL) \([0-9][0-9]*\).*/\1/p')
if [ "$server_major" != "$dump_major" ]; then
	echo "dump_restore: server is $server_major, $bindir/pg_dump is ${dump_major:-unknown}" >&2
	exit 1
fi
echo "dump_restore: PostgreSQL $server_major, binaries in $bindir"

q() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
value() { "$bindir/psql" -X -A -t -q -v ON_ERROR_STOP=1 "$@"; }

drop_all() {
	q -d postgres -c "SET client_min_messages = warning" \
		-c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" \
		-c "DROP DATABASE IF EXISTS $bad_src" -c "DROP DATABASE IF EXISTS $bad_dst" \
		-c "DROP DATABASE IF EXISTS $upd_src" -c "DROP DATABASE IF EXISTS $upd_dst"
}
drop_all
q -d postgres -c "CREATE DATABASE $src" -c "CREATE DATABASE $dst" \
	-c "CREATE DATABASE $bad_src" -c "CREATE DATABASE $bad_dst" \
	-c "CREATE DATABASE $upd_src" -c "CREATE DATABASE $upd_dst"

# Seeded tables for both source databases: accruals and payments of 20
# accounts with ties, NULL dates and months; actions of those accounts.
cat >"$tmp/tables.sql" <<'EOF'
CREATE EXTENSION accmatch;
SELECT setseed(0.25) \g /dev/null
CREATE TABLE accrual (id int, date date, month int, account int, amount numeric);
CREATE TABLE payment (id int, date date, month int, account int, amount numeric);
INSERT INTO accrual
SELECT g, CASE WHEN g % 31 = 0 THEN NULL ELSE date '2024-01-01' + (random() * 90)::int END,
	CASE WHEN g % 37 = 0 THEN NULL ELSE 1 + (random() * 5)::int END, 1 + g % 20,
	round((random() * 100)::numeric, 2)
FROM generate_series(1, 400) g;
INSERT INTO payment
SELECT 1000 + g, CASE WHEN g % 29 = 0 THEN NULL ELSE date '2024-01-10' + (random() * 90)::int END,
	CASE WHEN g % 41 = 0 THEN NULL ELSE 1 + (random() * 5)::int END, 1 + g % 20,
	round((random() * 80)::numeric, 2)
FROM generate_series(1, 450) g;
CREATE TABLE action (account int, type text, created_at timestamptz);
INSERT INTO action
SELECT 1 + g % 20, (ARRAY['create', 'read', 'update', 'delete', 'share'])[1 + g % 5],
	timestamptz '2016-01-01 00:00:00+00' + g * interval '7 minutes'
FROM generate_series(1, 1000) g;
EOF

# The database to dump: the views name their tables without a schema
# (regclass), one in 1.1's style with the schema (text).
q -d "$src" -f "$tmp/tables.sql" -c "
CREATE MATERIALIZED VIEW matched AS
SELECT * FROM match_payments('payment', 'accrual');
CREATE MATERIALIZED VIEW matched_by_account AS
SELECT * FROM match_payments('payment', 'accrual', 'month_first', 'account');
CREATE MATERIALIZED VIEW allocated AS
SELECT * FROM allocate_payments('payment', 'accrual', partition_by => 'account');
CREATE VIEW matched_now AS
SELECT * FROM match_payments('payment', 'accrual', partition_by => 'account');
CREATE VIEW allocated_now AS
SELECT * FROM allocate_payments('payment', 'accrual');
CREATE MATERIALIZED VIEW matched_by_name AS
SELECT * FROM match_payments_by_name('public.payment', 'public.accrual');
CREATE VIEW account_summary AS
SELECT account, action_summary(type, created_at) AS actions
FROM public.action GROUP BY account;
CREATE TABLE daily_actions AS
SELECT account, created_at::date AS day, action_summary_partial(type, created_at) AS actions
FROM public.action GROUP BY 1, 2;
CREATE VIEW account_summary_from_daily AS
SELECT account, action_summary(actions) AS actions
FROM public.daily_actions GROUP BY account;"

# The rows of each view, in a fixed order, as one digest, and their number.
digest() {
	value -d "$1" -c "
SELECT format('%s rows, md5 %s', count(*), md5(string_agg(r, E'\n' ORDER BY r)))
FROM (SELECT t::text AS r FROM $2 t) x"
}

status=0
fail() {
	echo "dump_restore: FAIL: $*"
	status=1
}

# REFRESH works (on 17 and later under the restricted search_path) and
# sees new rows
q -d "$src" -c "INSERT INTO payment VALUES (5000, '2024-06-01', 1, 1, 5)"
q -d "$src" -c "REFRESH MATERIALIZED VIEW matched" \
	-c "REFRESH MATERIALIZED VIEW matched_by_account" \
	-c "REFRESH MATERIALIZED VIEW allocated" \
	-c "REFRESH MATERIALIZED VIEW matched_by_name" 2>"$tmp/refresh.err" ||
	{ fail "REFRESH MATERIALIZED VIEW:"; cat "$tmp/refresh.err"; }
refreshed=$(value -d "$src" -c "
SELECT (SELECT count(*) FROM matched WHERE payment_id = 5000)
	+ (SELECT count(*) FROM matched_by_account WHERE payment_id = 5000)
	+ (SELECT count(*) FROM allocated WHERE payment_id = 5000)
	+ (SELECT count(*) FROM matched_by_name WHERE payment_id = 5000)")
if [ "$refreshed" = 4 ]; then
	echo "dump_restore: REFRESH MATERIALIZED VIEW sees a new payment in every view"
else
	fail "after REFRESH, the new payment is in $refreshed of 4 views"
fi

# the views depend on the tables: DROP TABLE is refused (2BP01)
drop_state=$(value -d "$src" <<'EOF'
CREATE TEMP TABLE drop_state (state text);
DO $$
BEGIN
	DROP TABLE payment;
	INSERT INTO drop_state VALUES ('00000');
EXCEPTION WHEN OTHERS THEN
	INSERT INTO drop_state VALUES (SQLSTATE);
END $$;
SELECT state FROM drop_state;
EOF
)
if [ "$drop_state" = 2BP01 ]; then
	echo "dump_restore: DROP TABLE payment is refused (2BP01) while views use it"
else
	fail "DROP TABLE payment gave ${drop_state:-nothing}, not 2BP01"
fi

# a text value through a PL/pgSQL variable: cast to regclass when the
# call runs, found through search_path
plpgsql_rows=$(value -d "$src" <<'EOF'
CREATE FUNCTION pg_temp.matched_rows(payments text, accruals text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	SELECT count(*) INTO n FROM match_payments(payments, accruals, 'sequential', 'account');
	RETURN n + (SELECT count(*) FROM allocate_payments(payments, accruals) WHERE false);
END $$;
SELECT pg_temp.matched_rows('payment', 'accrual') = (SELECT count(*) FROM payment);
EOF
)
if [ "$plpgsql_rows" = t ]; then
	echo "dump_restore: a table name in a PL/pgSQL text variable works"
else
	fail "match_payments() with names from PL/pgSQL text variables: ${plpgsql_rows:-error}"
fi

# the views are dumped with the tables' qualified names
"$bindir/pg_dump" -s -t matched_now -t allocated "$src" >"$tmp/views.sql"
if grep -q "match_payments('public.payment'::regclass, 'public.accrual'::regclass" "$tmp/views.sql" &&
	grep -q "allocate_payments('public.payment'::regclass, 'public.accrual'::regclass" "$tmp/views.sql"; then
	echo "dump_restore: the views are dumped with 'public.payment'::regclass"
else
	fail "the views' definitions in the dump:"
	grep -A3 'CREATE' "$tmp/views.sql"
fi

"$bindir/pg_dump" -Fc -f "$tmp/src.dump" "$src"
if ! "$bindir/pg_restore" -d "$dst" "$tmp/src.dump" 2>"$tmp/restore.err"; then
	echo "dump_restore: FAIL: pg_restore of the qualified views reported errors:"
	cat "$tmp/restore.err"
	status=1
fi
for v in matched matched_by_account allocated matched_now allocated_now \
	matched_by_name account_summary daily_actions account_summary_from_daily; do
	before=$(digest "$src" "$v")
	after=$(digest "$dst" "$v" 2>&1) || true
	if [ "$before" = "$after" ] && [[ $before != "0 rows"* ]]; then
		echo "dump_restore: $v: the same $before after the restore"
	else
		echo "dump_restore: FAIL: $v: $before before, $after after the restore"
		status=1
	fi
done
if [ "$(digest "$src" account_summary)" != "$(digest "$src" account_summary_from_daily)" ]; then
	echo "dump_restore: FAIL: the merged daily states differ from the summary of the rows"
	status=1
fi

# A database built on 1.1 and updated: its view over action_summary calls
# action_summary_v11 since the update, which a fresh install has too.
q -d "$upd_src" -c "CREATE EXTENSION accmatch VERSION '1.1'" \
	-f <(sed 's/^CREATE EXTENSION accmatch;$//' "$tmp/tables.sql") -c "
CREATE VIEW account_summary AS
SELECT account, action_summary(type, created_at) AS actions
FROM public.action GROUP BY account;" -c "ALTER EXTENSION accmatch UPDATE"
"$bindir/pg_dump" -Fc -f "$tmp/updated.dump" "$upd_src"
if ! "$bindir/pg_restore" -d "$upd_dst" "$tmp/updated.dump" 2>"$tmp/updated.err"; then
	echo "dump_restore: FAIL: pg_restore of the updated database reported errors:"
	cat "$tmp/updated.err"
	status=1
fi
before=$(digest "$upd_src" account_summary)
after=$(digest "$upd_dst" account_summary 2>&1) || true
calls=$(value -d "$upd_dst" -c "
SELECT string_agg(DISTINCT p.proname, ', ')
FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_proc p ON p.oid = d.refobjid
WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_proc'::regclass
	AND r.ev_class = 'account_summary'::regclass AND p.proname LIKE 'action%'") || true
if [ "$before" = "$after" ] && [[ $before != "0 rows"* ]] && [ "$calls" = action_summary_v11 ]; then
	echo "dump_restore: updated from 1.1, account_summary (calling $calls): the same $before after the restore"
else
	echo "dump_restore: FAIL: updated from 1.1, account_summary (calling ${calls:-?}): $before before, $after after the restore"
	status=1
fi
populated=$(value -d "$dst" -c "
SELECT string_agg(matviewname || ' ' || ispopulated, ', ' ORDER BY matviewname)
FROM pg_matviews")
if [ "$populated" != "allocated true, matched true, matched_by_account true, matched_by_name true" ]; then
	echo "dump_restore: FAIL: restored materialized views: $populated"
	status=1
fi

# 1.1's text function with the tables found through search_path.  Up to
# PostgreSQL 16 it is created and dumped, and pg_restore, which runs with
# an empty search_path, fails to fill it.  From 17 on, CREATE and REFRESH
# MATERIALIZED VIEW themselves run with search_path set to pg_catalog,
# pg_temp, so it cannot even be created.
q -d "$bad_src" -f "$tmp/tables.sql"
bad_create=0
q -d "$bad_src" -c "CREATE MATERIALIZED VIEW matched AS SELECT * FROM match_payments_by_name()" \
	2>"$tmp/bad_create.err" || bad_create=$?
if [ "$server_major" -ge 17 ]; then
	if [ "$bad_create" -ne 0 ] && grep -q 'relation "payment" does not exist' "$tmp/bad_create.err"; then
		echo "dump_restore: unqualified match_payments_by_name(): CREATE MATERIALIZED VIEW fails" \
			"(relation \"payment\" does not exist), as documented for $server_major"
	else
		echo "dump_restore: FAIL: the unqualified materialized view was expected not to" \
			"be created on $server_major:"
		cat "$tmp/bad_create.err"
		status=1
	fi
elif [ "$bad_create" -ne 0 ]; then
	echo "dump_restore: FAIL: the unqualified materialized view could not be created:"
	cat "$tmp/bad_create.err"
	status=1
else
	"$bindir/pg_dump" -Fc -f "$tmp/bad.dump" "$bad_src"
	bad_rc=0
	"$bindir/pg_restore" -d "$bad_dst" "$tmp/bad.dump" 2>"$tmp/bad.err" || bad_rc=$?
	bad_populated=$(value -d "$bad_dst" -c "
SELECT ispopulated FROM pg_matviews WHERE matviewname = 'matched'")
	if [ "$bad_rc" -ne 0 ] && grep -q 'relation "payment" does not exist' "$tmp/bad.err" &&
		[ "$bad_populated" = f ]; then
		echo "dump_restore: unqualified match_payments_by_name(): pg_restore fails as documented" \
			"(relation \"payment\" does not exist), the view stays unpopulated"
	else
		echo "dump_restore: FAIL: the unqualified materialized view was expected not to" \
			"restore (pg_restore exit $bad_rc, populated: ${bad_populated:-missing}):"
		cat "$tmp/bad.err"
		status=1
	fi
fi

[ "${KEEP:-0}" = 1 ] || drop_all
[ "$status" -eq 0 ] && echo "dump_restore: PASS" || echo "dump_restore: FAIL"
exit "$status"
