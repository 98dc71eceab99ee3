-- foreign_order.sql: partition_by over postgres_fdw foreign tables.  A
-- remote database with another collation sorts the partition keys in its
-- own order; the keys are always compared here, so that the result is
-- that of local tables, grouped in memory and in batches on temporary
-- files alike (accmatch.partition_work_mem).  A remote database with the
-- same collation, and any foreign table without partition_by, give the
-- result of local tables too.
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
	CREATE TABLE accrual_many AS SELECT g AS id, date '2024-01-01' + g %% 40 AS date,
		g %% 5 AS month, (ARRAY['a', 'B'])[1 + g %% 2] || (g / 2) %% 100 AS acct
	FROM generate_series(1, 3000) g;
	CREATE TABLE payment_many AS SELECT 10000 + g AS id, date '2024-01-10' + g %% 45 AS date,
		g %% 7 AS month, (ARRAY['a', 'B'])[1 + g %% 2] || (g / 3) %% 100 AS acct
	FROM generate_series(1, 3000) g;
	ANALYZE accrual_many, payment_many;
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
SELECT plan(13);

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
			replace(replace(payments, 'icu_', ''), 'same_', ''),
			replace(replace(accruals, 'icu_', ''), 'same_', ''), strategy),
		description)
$$;

-- the keys are compared here: the local result, grouped in memory
SELECT pg_temp.same_as_local('fo.icu_payment', 'fo.icu_accrual', 'sequential',
	'in memory, foreign tables of another collation give the local result');
SELECT pg_temp.same_as_local('fo.payment', 'fo.icu_accrual', 'month_first',
	'in memory, a foreign table of another collation and a local one give the local result');
SELECT pg_temp.same_as_local('fo.icu_payment', 'fo.accrual', 'sequential',
	'in memory, foreign payments of another collation and local accruals give the local result');
-- accmatch.group_in_memory is kept without effect
SET accmatch.group_in_memory = off;
SELECT pg_temp.same_as_local('fo.icu_payment', 'fo.icu_accrual', 'month_first',
	'accmatch.group_in_memory = off changes nothing');
RESET accmatch.group_in_memory;

-- Many rows in batches of 64kB: 3,000 accruals and 3,000 payments over
-- keys 'a0'..'a99' and 'B0'..'B99', which the two collations order
-- apart; the foreign tables, in batches, give the rows of local copies,
-- in the same order.
CREATE FOREIGN TABLE fo.icu_payment_many (id int, date date, month int, acct text)
	SERVER icu_srv OPTIONS (schema_name 'public', table_name 'payment_many');
CREATE FOREIGN TABLE fo.icu_accrual_many (id int, date date, month int, acct text)
	SERVER icu_srv OPTIONS (schema_name 'public', table_name 'accrual_many');
CREATE TABLE fo.payment_many AS SELECT * FROM fo.icu_payment_many;
CREATE TABLE fo.accrual_many AS SELECT * FROM fo.icu_accrual_many;
SET accmatch.partition_work_mem = '64kB';
SELECT pg_temp.same_as_local('fo.icu_payment_many', 'fo.icu_accrual_many', 'sequential',
	'in batches, foreign tables of another collation give the local result');
SELECT pg_temp.same_as_local('fo.icu_payment_many', 'fo.accrual_many', 'month_first',
	'in batches, a foreign table of another collation and a local one give the local result');
RESET accmatch.partition_work_mem;
SELECT is((SELECT count(*) FROM match_payments('fo.payment_many', 'fo.accrual_many',
		partition_by => 'acct') WHERE accrual_id IS NOT NULL) > 1000, true,
	'and most of the many payments are matched');

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
