-- foreign_order.sql: partition_by over postgres_fdw foreign tables.  A
-- remote database with another collation sorts the partition keys in its
-- own order; when the rows are read ordered by key, match_payments() must
-- then stop with an error (55000) rather than silently leave payments
-- unmatched.  Grouped in memory (the default for small tables), the keys
-- are compared here and the result is that of local tables.  A remote
-- database with the same collation, and any foreign table without
-- partition_by, give the result of local tables.
--
-- The remote databases are on the same server; the connection uses this
-- server's port and, under pg_virtualenv, the client's password.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SELECT current_database() AS here, current_setting('port') AS port,
	current_user AS me \gset
\set pgpassword ''
\getenv pgpassword PGPASSWORD
DROP DATABASE IF EXISTS accmatch_fdw_icu WITH (FORCE);
DROP DATABASE IF EXISTS accmatch_fdw_same WITH (FORCE);
-- the local database sorts under libc ("B" < "a" in C and C.UTF-8), one
-- remote database under ICU's en-US ("a" < "B"), the other as the local one
CREATE DATABASE accmatch_fdw_icu TEMPLATE template0
	LOCALE_PROVIDER icu ICU_LOCALE 'en-US';
SELECT format('CREATE DATABASE accmatch_fdw_same TEMPLATE template0 LOCALE_PROVIDER libc LC_COLLATE %L LC_CTYPE %L',
	datcollate, datctype)
FROM pg_database WHERE datname = current_database() \gexec
SELECT format($$
	CREATE TABLE payment (id int, date date, month int, acct text);
	CREATE TABLE accrual (id int, date date, month int, acct text);
	INSERT INTO payment VALUES (10, '2024-02-01', 1, 'a'), (11, '2024-02-01', 1, 'B'),
		(12, '2024-02-01', 1, NULL);
	INSERT INTO accrual VALUES (1, '2024-01-01', 1, 'a'), (2, '2024-01-01', 1, 'B');
$$) AS remote_tables \gset
\c accmatch_fdw_icu
:remote_tables
\c accmatch_fdw_same
:remote_tables
\c :here

BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS accmatch;
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
SELECT plan(11);

SELECT format('CREATE SERVER %I FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host %L, port %L, dbname %L)',
		srv, 'localhost', :'port', db),
	format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (user %L, password %L)',
		srv, :'me', :'pgpassword')
FROM (VALUES ('icu_srv', 'accmatch_fdw_icu'), ('same_srv', 'accmatch_fdw_same')) s (srv, db) \gexec

CREATE SCHEMA fo;
CREATE TABLE fo.payment (id int, date date, month int, acct text);
CREATE TABLE fo.accrual (id int, date date, month int, acct text);
INSERT INTO fo.payment VALUES (10, '2024-02-01', 1, 'a'), (11, '2024-02-01', 1, 'B'),
	(12, '2024-02-01', 1, NULL);
INSERT INTO fo.accrual VALUES (1, '2024-01-01', 1, 'a'), (2, '2024-01-01', 1, 'B');
CREATE FOREIGN TABLE fo.icu_payment (id int, date date, month int, acct text)
	SERVER icu_srv OPTIONS (schema_name 'public', table_name 'payment');
CREATE FOREIGN TABLE fo.icu_accrual (id int, date date, month int, acct text)
	SERVER icu_srv OPTIONS (schema_name 'public', table_name 'accrual');
CREATE FOREIGN TABLE fo.same_payment (id int, date date, month int, acct text)
	SERVER same_srv OPTIONS (schema_name 'public', table_name 'payment');
CREATE FOREIGN TABLE fo.same_accrual (id int, date date, month int, acct text)
	SERVER same_srv OPTIONS (schema_name 'public', table_name 'accrual');

SELECT ok((SELECT 'B' < 'a' AND (SELECT array_agg(acct ORDER BY acct) FROM fo.icu_payment
		WHERE acct IS NOT NULL) = '{a,B}'),
	'the two databases order the keys differently');

-- local tables: every payment with a key finds the accrual of its key
SELECT results_eq(
	$$SELECT payment_id, accrual_id FROM match_payments('fo.payment', 'fo.accrual',
		partition_by => 'acct') ORDER BY payment_id$$,
	$$VALUES (10::bigint, 1::bigint), (11, 2), (12, NULL)$$,
	'local tables: payments 10 and 11 find their accruals');

-- per-account results, in payment order
CREATE FUNCTION pg_temp.keyed(payments text, accruals text, strategy text)
RETURNS SETOF record LANGUAGE sql AS $$
	SELECT * FROM match_payments(payments, accruals, strategy, 'acct')
	ORDER BY payment_id
$$;
CREATE FUNCTION pg_temp.same_as_local(payments text, accruals text,
	strategy text, description text) RETURNS text LANGUAGE sql AS $$
	SELECT results_eq(
		format('SELECT * FROM pg_temp.keyed(%L, %L, %L) AS r(p bigint, a bigint, m text, k text)',
			payments, accruals, strategy),
		format('SELECT * FROM pg_temp.keyed(%L, %L, %L) AS r(p bigint, a bigint, m text, k text)',
			'fo.payment', 'fo.accrual', strategy),
		description)
$$;

-- grouped in memory, the keys are compared here: the local result
SELECT pg_temp.same_as_local('fo.icu_payment', 'fo.icu_accrual', 'sequential',
	'grouped in memory, foreign tables of another collation give the local result');
SELECT pg_temp.same_as_local('fo.payment', 'fo.icu_accrual', 'month_first',
	'grouped in memory, a foreign table of another collation and a local one give the local result');

-- read ordered by key, the remote server sorts the keys its own way: an
-- error, not a wrong answer
SET accmatch.group_in_memory = off;
SELECT throws_ok(
	$$SELECT * FROM match_payments('fo.icu_payment', 'fo.accrual', partition_by => 'acct')$$,
	'55000', 'rows of relation "icu_payment" are not ordered by "acct"',
	'foreign payments sorted under another collation: 55000');
SELECT throws_ok(
	$$SELECT * FROM match_payments('fo.payment', 'fo.icu_accrual', 'month_first', 'acct')$$,
	'55000', 'rows of relation "icu_accrual" are not ordered by "acct"',
	'foreign accruals sorted under another collation: 55000');
SELECT throws_ok(
	$$SELECT * FROM match_payments('fo.icu_payment', 'fo.icu_accrual', partition_by => 'acct')$$,
	'55000', NULL, 'both foreign, sorted under another collation: 55000');
RESET accmatch.group_in_memory;

-- the same remote rows without partition_by need no order
SELECT results_eq(
	$$SELECT * FROM match_payments('fo.icu_payment', 'fo.icu_accrual') ORDER BY payment_id$$,
	$$SELECT * FROM match_payments('fo.payment', 'fo.accrual') ORDER BY payment_id$$,
	'without partition_by, foreign tables give the local result');

-- a remote database with the local collation
SELECT pg_temp.same_as_local('fo.same_payment', 'fo.same_accrual', 'sequential',
	'foreign tables with the local collation give the local result');
SELECT pg_temp.same_as_local('fo.same_payment', 'fo.accrual', 'month_first',
	'a foreign and a local table with one collation give the local result');
SELECT is((SELECT count(*) FROM match_payments('fo.same_payment', 'fo.same_accrual',
		partition_by => 'acct') WHERE accrual_id IS NOT NULL), 2::bigint,
	'and two payments are matched');

SELECT * FROM finish();
ROLLBACK;
DROP DATABASE accmatch_fdw_icu WITH (FORCE);
DROP DATABASE accmatch_fdw_same WITH (FORCE);
