-- security.sql: match_payments() runs with the caller's rights and cannot be
-- steered by the names it is given or by what the caller's search_path holds.
--
-- Privileges (table, column, schema) give 42501; row-level security hides
-- rows exactly as if the hidden rows were not there; no function of the
-- extension is SECURITY DEFINER; crafted table and column names are errors
-- or, when such a table really exists, work; tables, operators and
-- functions planted in a schema placed first in search_path change nothing.
-- Roles are created inside the transaction and vanish with its rollback.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS accmatch;
SELECT plan(56);

-- ---------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------

-- "schema.match_payments(args)": the extension's function, qualified, so
-- that the call itself is not what a planted search_path changes.
CREATE FUNCTION pg_temp.mp(args text) RETURNS text
LANGUAGE sql AS $$
	SELECT format('SELECT * FROM %I.match_payments(%s)',
		(SELECT n.nspname FROM pg_extension e
		 JOIN pg_namespace n ON n.oid = e.extnamespace
		 WHERE e.extname = 'accmatch'), args)
$$;

-- Run q (a match_payments query) as run_role and/or with run_path as the
-- search_path and/or row_security set to run_rowsec (NULL: unchanged), then
-- restore.  On error the enclosing subtransaction restores them.  Only
-- q runs under the changed settings; pgTAP's own code never does.
CREATE FUNCTION pg_temp.run_as(run_role text, run_path text, q text,
	run_rowsec text DEFAULT NULL)
RETURNS TABLE (payment_id bigint, accrual_id bigint, matched_by text,
	partition_key text)
LANGUAGE plpgsql AS $$
DECLARE
	old_path text := pg_catalog.current_setting('search_path');
	old_rowsec text := pg_catalog.current_setting('row_security');
BEGIN
	IF run_rowsec IS NOT NULL THEN
		PERFORM pg_catalog.set_config('row_security', run_rowsec, true);
	END IF;
	IF run_path IS NOT NULL THEN
		PERFORM pg_catalog.set_config('search_path', run_path, true);
	END IF;
	IF run_role IS NOT NULL THEN
		PERFORM pg_catalog.set_config('role', run_role, true);
	END IF;
	RETURN QUERY EXECUTE q;
	PERFORM pg_catalog.set_config('role', 'none', true);
	PERFORM pg_catalog.set_config('search_path', old_path, true);
	PERFORM pg_catalog.set_config('row_security', old_rowsec, true);
END $$;

-- Evaluate a one-value query with run_path as the search_path: shows that
-- the planted objects do fire when a query uses them.
CREATE FUNCTION pg_temp.eval_in(run_path text, q text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	old_path text := pg_catalog.current_setting('search_path');
	r text;
BEGIN
	PERFORM pg_catalog.set_config('search_path', run_path, true);
	EXECUTE q INTO r;
	PERFORM pg_catalog.set_config('search_path', old_path, true);
	RETURN r;
END $$;

-- One test: match_payments(args) run by run_as(run_role, run_path) gives,
-- row for row, what match_payments(ref) gives when run plainly.
CREATE FUNCTION pg_temp.same_as(run_role text, run_path text, args text,
	ref text, description text)
RETURNS text
LANGUAGE sql AS $$
	SELECT results_eq(
		format('SELECT * FROM pg_temp.run_as(%L, %L, %L) ORDER BY payment_id',
			run_role, run_path, pg_temp.mp(args)),
		format('SELECT * FROM match_payments(%s) ORDER BY payment_id', ref),
		description)
$$;

-- ---------------------------------------------------------------------
-- Data: small, tie-heavy, seeded; an extra column the roles may not read
-- ---------------------------------------------------------------------
SELECT setseed(0.4242);
CREATE SCHEMA sec;
CREATE TABLE sec.accrual (id int, date date, month int, acct int, secret text);
CREATE TABLE sec.payment (id int, date date, month int, acct int, secret text);
INSERT INTO sec.accrual
SELECT * FROM (SELECT g, date '2024-01-01' + (random() * 90)::int, 1 + (random() * 3)::int,
	1 + (random() * 3)::int, md5(g::text)
FROM generate_series(1, 200) g OFFSET 0) s ORDER BY random();
INSERT INTO sec.payment
SELECT * FROM (SELECT 1000 + g, date '2023-12-20' + (random() * 110)::int,
	1 + (random() * 3)::int, 1 + (random() * 3)::int, md5(g::text)
FROM generate_series(1, 230) g OFFSET 0) s ORDER BY random();

-- the same rows with text months, timestamptz dates and text keys
CREATE TABLE sec.tacc AS
SELECT id, date::timestamptz + interval '7 hours' AS date,
	'm' || month AS month, 'acct ' || acct AS acct FROM sec.accrual;
CREATE TABLE sec.tpay AS
SELECT id, date::timestamptz + interval '7 hours' AS date,
	'm' || month AS month, 'acct ' || acct AS acct FROM sec.payment;

-- The comparisons below mean something only if the reference result has
-- every kind of row.
SELECT ok((SELECT count(DISTINCT coalesce(matched_by, 'none')) = 3
		   FROM match_payments('sec.payment', 'sec.accrual')),
	'the reference matching has month, oldest and unmatched rows');

-- ---------------------------------------------------------------------
-- SECURITY DEFINER is not used
-- ---------------------------------------------------------------------
CREATE TEMP TABLE ext_functions AS
SELECT p.proname, p.prosecdef
FROM pg_depend d
JOIN pg_extension e ON e.oid = d.refobjid
JOIN pg_proc p ON p.oid = d.objid
WHERE d.classid = 'pg_proc'::regclass
  AND d.refclassid = 'pg_extension'::regclass
  AND d.deptype = 'e'
  AND e.extname = 'accmatch';

SELECT ok((SELECT count(DISTINCT proname) FILTER (WHERE proname IN ('match_payments',
		'account_actions', 'action_summary')) = 3 FROM ext_functions),
	'the extension''s functions are found through pg_depend');
SELECT is((SELECT string_agg(proname, ', ') FROM ext_functions WHERE prosecdef),
	NULL, 'no function of the extension is SECURITY DEFINER');

-- ---------------------------------------------------------------------
-- Privileges: 42501
-- ---------------------------------------------------------------------
CREATE ROLE accmatch_sec_none;		-- no SELECT on accrual
CREATE ROLE accmatch_sec_nopay;		-- no SELECT on payment
CREATE ROLE accmatch_sec_cols;		-- id and date of accrual, not month
CREATE ROLE accmatch_sec_exact;		-- exactly id, date, month of both
CREATE ROLE accmatch_sec_noschema;	-- SELECT on the tables, no USAGE on sec
CREATE ROLE accmatch_sec_rls;		-- reads through row-level security

GRANT USAGE ON SCHEMA sec TO accmatch_sec_none, accmatch_sec_nopay,
	accmatch_sec_cols, accmatch_sec_exact, accmatch_sec_rls;
GRANT SELECT ON sec.payment TO accmatch_sec_none, accmatch_sec_noschema;
GRANT SELECT ON sec.accrual TO accmatch_sec_nopay, accmatch_sec_noschema;
GRANT SELECT ON sec.payment TO accmatch_sec_cols;
GRANT SELECT (id, date) ON sec.accrual TO accmatch_sec_cols;
GRANT SELECT (id, date, month) ON sec.accrual, sec.payment,
	sec.tacc, sec.tpay TO accmatch_sec_exact;

-- the superuser reads everything; the roles below must not
SELECT lives_ok(format('SELECT count(*) FROM (%s) s',
		pg_temp.mp($$'sec.payment', 'sec.accrual'$$)),
	'the reference call works for the superuser');

SELECT throws_ok(format('SELECT * FROM pg_temp.run_as(%L, NULL, %L)',
		t.run_role, pg_temp.mp(t.args)),
	'42501', t.message, t.description)
FROM (VALUES
	('accmatch_sec_none', $$'sec.payment', 'sec.accrual'$$,
	 'permission denied for table accrual',
	 'no SELECT on the accrual table: 42501'),
	('accmatch_sec_nopay', $$'sec.payment', 'sec.accrual'$$,
	 'permission denied for table payment',
	 'no SELECT on the payment table: 42501'),
	('accmatch_sec_cols', $$'sec.payment', 'sec.accrual'$$,
	 'permission denied for table accrual',
	 'SELECT on id and date but not month of accrual: 42501'),
	('accmatch_sec_noschema', $$'sec.payment', 'sec.accrual'$$,
	 'permission denied for schema sec',
	 'no USAGE on the tables'' schema: 42501'),
	('accmatch_sec_exact', $$'sec.payment', 'sec.accrual', partition_by => 'acct'$$,
	 'permission denied for table accrual',
	 'no SELECT on the partition_by column: 42501')
	) t(run_role, args, message, description);

-- SELECT on exactly id, date and month is enough: both strategies, both
-- sets of column types
SELECT pg_temp.same_as('accmatch_sec_exact', NULL, t.args, t.args,
	format('column privileges on exactly id, date and month, %s, %s: the same result',
		t.label, s))
FROM (VALUES ('sec.payment', 'sec.accrual', 'integer months and date dates'),
		('sec.tpay', 'sec.tacc', 'text months and timestamptz dates')) v(pay, acc, label),
	unnest(ARRAY['sequential', 'month_first']) s,
	LATERAL (SELECT format('%L, %L, %L', v.pay, v.acc, s) AS args, v.label) t;

-- ---------------------------------------------------------------------
-- Row-level security: hidden rows are not there for the matching
-- ---------------------------------------------------------------------
CREATE TABLE sec.rls_accrual AS SELECT id, date, month, acct FROM sec.accrual;
CREATE TABLE sec.rls_payment AS SELECT id, date, month, acct FROM sec.payment;
ALTER TABLE sec.rls_accrual ENABLE ROW LEVEL SECURITY;
ALTER TABLE sec.rls_payment ENABLE ROW LEVEL SECURITY;
CREATE POLICY some_accruals ON sec.rls_accrual FOR SELECT TO accmatch_sec_rls
	USING (id % 3 <> 0);
CREATE POLICY some_payments ON sec.rls_payment FOR SELECT TO accmatch_sec_rls
	USING (id % 4 <> 1 AND date < date '2024-03-25');
GRANT SELECT ON sec.rls_accrual, sec.rls_payment TO accmatch_sec_rls;

-- what the role may see, written out independently of the policies
CREATE TABLE sec.vis_accrual AS
SELECT * FROM sec.accrual WHERE id % 3 <> 0;
CREATE TABLE sec.vis_payment AS
SELECT * FROM sec.payment WHERE id % 4 <> 1 AND date < date '2024-03-25';

SELECT cmp_ok((SELECT count(*) FROM sec.vis_payment), '<',
		(SELECT count(*) FROM sec.payment),
	'the payment policy hides some payments');
SELECT isnt_empty(
	$$SELECT * FROM match_payments('sec.payment', 'sec.accrual')
	  EXCEPT
	  SELECT * FROM match_payments('sec.vis_payment', 'sec.vis_accrual')$$,
	'hiding those rows changes the matching of the visible payments too');

-- every strategy, with and without partition_by
SELECT pg_temp.same_as('accmatch_sec_rls', NULL,
	format('%L, %L, %L, %L', 'sec.rls_payment', 'sec.rls_accrual', s, k),
	format('%L, %L, %L, %L', 'sec.vis_payment', 'sec.vis_accrual', s, k),
	format('under RLS, %s%s: the same as on a table of the visible rows only',
		s, ', partitioned by ' || k))
FROM unnest(ARRAY['sequential', 'month_first']) s,
	unnest(ARRAY[NULL, 'acct']) k;

SELECT throws_ok(format('SELECT * FROM pg_temp.run_as(%L, NULL, %L, %L)',
		'accmatch_sec_rls', pg_temp.mp($$'sec.rls_payment', 'sec.rls_accrual'$$),
		'off'),
	'42501', 'query would be affected by row-level security policy for table "rls_accrual"',
	'row_security = off with a policy in the way: 42501, not the hidden rows');
SELECT results_eq(
	$$SELECT * FROM match_payments('sec.rls_payment', 'sec.rls_accrual') ORDER BY payment_id$$,
	$$SELECT * FROM match_payments('sec.payment', 'sec.accrual') ORDER BY payment_id$$,
	'a role that bypasses RLS (the superuser) matches every row');

-- ---------------------------------------------------------------------
-- Crafted names
-- ---------------------------------------------------------------------
SELECT throws_ok(format('SELECT * FROM match_payments(%s)', t.args),
	t.state, NULL, t.description)
FROM (VALUES
	($$'payment; DROP TABLE accrual'$$,
	 '42602', 'a statement appended to the table name: 42602'),
	($$'sec.payment', 'sec.accrual; DROP TABLE sec.payment'$$,
	 '42602', 'a statement appended to a qualified name: 42602'),
	($$'"sec"."payment"; --', 'sec.accrual'$$,
	 '42602', 'a quoted name followed by a comment: 42602'),
	($$'sec.payment WHERE false', 'sec.accrual'$$,
	 '42602', 'a WHERE clause after the name: 42602'),
	($$E'sec.payment\nUNION ALL SELECT 1, 1, 1', 'sec.accrual'$$,
	 '42602', 'a UNION after a newline: 42602'),
	($$'sec.payment', 'accrual"--'$$,
	 '42P01', 'an unbalanced quote and a comment: no such relation, 42P01'),
	($$'(SELECT * FROM sec.payment)', 'sec.accrual'$$,
	 '42602', 'a subquery as the name: 42602'),
	($$'pg_sleep(5)', 'sec.accrual'$$,
	 '42P01', 'a function call as the name: no such relation, 42P01'),
	($$'sec.payment', 'sec.accrual', partition_by => 'acct; DROP TABLE sec.accrual'$$,
	 '42703', 'a statement appended to the partition column: 42703'),
	($$'sec.payment', 'sec.accrual', partition_by => 'acct) --'$$,
	 '42703', 'a parenthesis and a comment in the partition column: 42703')
	) t(args, state, description);
SELECT is((SELECT count(*) FROM sec.accrual) + (SELECT count(*) FROM sec.payment),
	430::bigint, 'after the crafted names both tables are still there, whole');

-- such names do exist: they must work
CREATE SCHEMA "we ird; ""schema""";
CREATE TABLE sec."pay""; DROP TABLE sec.accrual; --" AS SELECT * FROM sec.payment;
CREATE TABLE "we ird; ""schema"""."acc rual.2024" AS SELECT * FROM sec.accrual;
CREATE TABLE sec.kpay AS
SELECT id, date, month, acct AS "k""; DROP TABLE sec.accrual; --" FROM sec.payment;
CREATE TABLE sec.kacc AS
SELECT id, date, month, acct AS "k""; DROP TABLE sec.accrual; --" FROM sec.accrual;

SELECT results_eq(
	format('SELECT * FROM match_payments(%L, %L) ORDER BY payment_id',
		format('%I.%I', 'sec', 'pay"; DROP TABLE sec.accrual; --'),
		format('%I.%I', 'we ird; "schema"', 'acc rual.2024')),
	$$SELECT * FROM match_payments('sec.payment', 'sec.accrual') ORDER BY payment_id$$,
	'tables whose names hold quotes, spaces, semicolons and dots work when quoted');
SELECT results_eq(
	$$SELECT * FROM match_payments('sec.kpay', 'sec.kacc', partition_by => 'k"; DROP TABLE sec.accrual; --') ORDER BY payment_id$$,
	$$SELECT * FROM match_payments('sec.payment', 'sec.accrual', partition_by => 'acct') ORDER BY payment_id$$,
	'a partition column named with a quote and a statement works');
SELECT has_table('sec', 'accrual', 'sec.accrual was not dropped by any name');

-- ---------------------------------------------------------------------
-- Planted objects in a schema first in search_path
-- ---------------------------------------------------------------------
CREATE SCHEMA plant;

-- tables named like the real ones, with other rows
CREATE TABLE plant.accrual AS
SELECT id, date + 3 AS date, (month % 2) + 1 AS month, acct, secret
FROM sec.accrual WHERE id % 2 = 0;
CREATE TABLE plant.payment AS
SELECT id, date - 2 AS date, month, acct, secret
FROM sec.payment WHERE id % 5 <> 0;

-- every comparison operator on the id, date, month and key types
DO $$
DECLARE
	t text;
	op text;
BEGIN
	FOREACH t IN ARRAY ARRAY['smallint', 'integer', 'bigint', 'numeric', 'text',
		'date', 'timestamp', 'timestamptz'] LOOP
		EXECUTE format($f$CREATE FUNCTION plant.trap(%s, %s) RETURNS boolean
			LANGUAGE plpgsql AS 'BEGIN RAISE EXCEPTION ''planted operator called''; END'$f$,
			t, t);
		FOREACH op IN ARRAY ARRAY['=', '<>', '<', '<=', '>', '>='] LOOP
			EXECUTE format('CREATE OPERATOR plant.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = plant.trap)',
				op, t, t);
		END LOOP;
	END LOOP;
END $$;

-- functions named like the support functions of those types and like
-- the columns, and the quoting functions
DO $$
DECLARE
	f record;
BEGIN
	FOR f IN SELECT * FROM (VALUES
		('hashint2', 'smallint', 'integer'), ('hashint4', 'integer', 'integer'),
		('hashint8', 'bigint', 'integer'), ('hashtext', 'text', 'integer'),
		('hash_numeric', 'numeric', 'integer'),
		('int4eq', 'integer, integer', 'boolean'),
		('int8eq', 'bigint, bigint', 'boolean'),
		('texteq', 'text, text', 'boolean'),
		('date_eq', 'date, date', 'boolean'), ('date_lt', 'date, date', 'boolean'),
		('timestamptz_lt', 'timestamptz, timestamptz', 'boolean'),
		('btint4cmp', 'integer, integer', 'integer'),
		('btint8cmp', 'bigint, bigint', 'integer'),
		('bttextcmp', 'text, text', 'integer'),
		('date_cmp', 'date, date', 'integer'),
		('timestamptz_cmp', 'timestamptz, timestamptz', 'integer'),
		('quote_ident', 'text', 'text'), ('quote_literal', 'text', 'text'),
		('id', 'anyelement', 'bigint'), ('date', 'anyelement', 'date'),
		('month', 'anyelement', 'integer'), ('int8', 'integer', 'bigint'),
		('text', 'integer', 'text')) v(name, args, ret)
	LOOP
		EXECUTE format($f$CREATE FUNCTION plant.%I(%s) RETURNS %s
			LANGUAGE plpgsql AS 'BEGIN RAISE EXCEPTION ''planted function called''; END'$f$,
			f.name, f.args, f.ret);
	END LOOP;
END $$;

-- the plants do fire when a query uses them
SELECT throws_ok(format('SELECT pg_temp.eval_in(%L, %L)', 'plant, pg_catalog, public', t.q),
	'P0001', t.message, t.description)
FROM (VALUES
	('SELECT 1 = 1', 'planted operator called', 'the planted integer = fires when used'),
	($$SELECT date '2024-01-01' < date '2024-01-02'$$, 'planted operator called',
	 'the planted date < fires when used'),
	($$SELECT 'a'::text = 'b'::text$$, 'planted operator called',
	 'the planted text = fires when used'),
	('SELECT hashint4(1)', 'planted function called',
	 'the planted hashint4() fires when used')
	) t(q, message, description);

-- name resolution follows search_path, as for any table name
SELECT pg_temp.same_as(NULL, t.path, $$'payment', 'accrual'$$, t.ref,
	format('unqualified names resolve to the first schema of search_path (%s)', t.first))
FROM (VALUES ('plant, sec, pg_catalog', 'plant', $$'plant.payment', 'plant.accrual'$$),
		('sec, plant, pg_catalog', 'sec', $$'sec.payment', 'sec.accrual'$$)
	) t(path, first, ref);
SELECT isnt_empty(
	$$SELECT * FROM match_payments('plant.payment', 'plant.accrual')
	  EXCEPT
	  SELECT * FROM match_payments('sec.payment', 'sec.accrual')$$,
	'the planted tables give another result than the real ones');

-- qualified names and every code path, with the plants first
-- both sets of column types, both strategies, with and without a
-- partition column
SELECT pg_temp.same_as(NULL, 'plant, pg_catalog, public', t.args, t.args,
	format('planted path, %s, %s%s: unchanged', v.label, s, ', partitioned by ' || k))
FROM (VALUES ('sec.payment', 'sec.accrual', 'integer months and date dates'),
		('sec.tpay', 'sec.tacc', 'text months and timestamptz dates')) v(pay, acc, label),
	unnest(ARRAY['sequential', 'month_first']) s,
	unnest(ARRAY[NULL, 'acct']) k,
	LATERAL (SELECT format('%L, %L, %L, %L', v.pay, v.acc, s, k) AS args) t;
-- with an unprivileged role, and with a crafted partition column
SELECT pg_temp.same_as(t.run_role, 'plant, pg_catalog, public', t.args, t.ref,
	t.description)
FROM (VALUES
	('accmatch_sec_exact', $$'sec.payment', 'sec.accrual'$$,
	 $$'sec.payment', 'sec.accrual'$$,
	 'planted path and an unprivileged role together: unchanged'),
	(NULL, $$'sec.kpay', 'sec.kacc', partition_by => 'k"; DROP TABLE sec.accrual; --'$$,
	 $$'sec.payment', 'sec.accrual', partition_by => 'acct'$$,
	 'planted path and a crafted partition column together: unchanged')
	) t(run_role, args, ref, description);

-- the same with the plants in the caller's own temporary schema, which is
-- searched before pg_catalog for tables (never for functions or operators)
CREATE TEMP TABLE payment AS SELECT * FROM plant.payment;
CREATE TEMP TABLE accrual AS SELECT * FROM plant.accrual;
SELECT pg_temp.same_as(NULL, 'sec, pg_catalog', t.args, t.ref, t.description)
FROM (VALUES
	($$'payment', 'accrual'$$, $$'plant.payment', 'plant.accrual'$$,
	 'a temporary table shadows an unqualified name, as it does in any query'),
	($$'sec.payment', 'sec.accrual'$$, $$'sec.payment', 'sec.accrual'$$,
	 'a schema-qualified name is not shadowed by a temporary table')
	) t(args, ref, description);

-- and nothing was dropped on the way
SELECT has_table('sec', 'payment', 'sec.payment is still there');
SELECT is((SELECT count(*) FROM sec.accrual), 200::bigint, 'sec.accrual is whole');

SELECT * FROM finish();
ROLLBACK;
