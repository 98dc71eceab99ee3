--
-- match_errors: every error of match_payments(), with its SQLSTATE
--
CREATE EXTENSION IF NOT EXISTS accmatch;

-- try(query) (sql/setup.sql) shows the SQLSTATE and message of a failure

CREATE TABLE accrual (id int, date date, month int);
CREATE TABLE payment (id int, date date, month int);
INSERT INTO accrual VALUES (1, '2024-01-01', 1);
INSERT INTO payment VALUES (10, '2024-02-01', 1);
SELECT try($$SELECT * FROM match_payments()$$);

-- missing tables: 42P01
SELECT try($$SELECT * FROM match_payments('no_such_payment')$$);
-- a schema that does not exist: refused by PostgreSQL's regclass input,
-- with 3F000 on PostgreSQL 15 and 42P01 on later majors
-- (match_payments_by_name(), 1.1's function, says 42P01)
SELECT state IN ('3F000', '42P01') AS refused, message ~ 'no_schema' AS names_it
FROM try_sql($$SELECT * FROM match_payments('payment', 'no_schema.accrual')$$);
SELECT try($$SELECT * FROM match_payments_by_name('payment', 'no_schema.accrual')$$);
-- names as text values are cast when the call runs, with the same errors
SELECT try($$SELECT * FROM match_payments('no_such_payment'::text)$$);
SELECT try(format($$SELECT count(*) FROM match_payments(%L::text, %L::text)$$,
	'payment', 'accrual'));
-- strings that are not relation names: 42602, 42601
SELECT try($$SELECT * FROM match_payments('payment; DROP TABLE accrual')$$);
SELECT try($$SELECT * FROM match_payments('a.b.c.d')$$);
-- not a table: 42809
CREATE SEQUENCE seq;
SELECT try($$SELECT * FROM match_payments('seq')$$);

-- NULL arguments and unknown strategy: 22004, 22023
SELECT try($$SELECT * FROM match_payments(NULL)$$);
SELECT try($$SELECT * FROM match_payments('payment', NULL)$$);
SELECT try($$SELECT * FROM match_payments(strategy => NULL)$$);
SELECT try($$SELECT * FROM match_payments(strategy => 'greedy')$$);
SELECT try($$SELECT * FROM match_payments(strategy => 'Sequential')$$);

-- missing columns: 42703
CREATE TABLE no_id (ident int, date date, month int);
CREATE TABLE no_date (id int, day date, month int);
CREATE TABLE no_month (id int, date date);
SELECT try($$SELECT * FROM match_payments('no_id')$$);
SELECT try($$SELECT * FROM match_payments('payment', 'no_date')$$);
SELECT try($$SELECT * FROM match_payments('no_month')$$);
ALTER TABLE no_month ADD COLUMN month int;
ALTER TABLE no_month DROP COLUMN month;
SELECT try($$SELECT * FROM match_payments('no_month')$$);
SELECT try($$SELECT * FROM match_payments(partition_by => 'account_id')$$);
SELECT try($$SELECT * FROM match_payments(partition_by => 'ctid')$$);

-- wrong types: 42804
CREATE TABLE id_numeric (id numeric, date date, month int);
CREATE TABLE id_text (id text, date date, month int);
CREATE TABLE date_text (id int, date text, month int);
CREATE TABLE date_ts (id int, date timestamp, month int);
CREATE TABLE month_text (id int, date date, month text);
CREATE TABLE month_json (id int, date date, month json);
CREATE TABLE month_point (id int, date date, month point);
SELECT try($$SELECT * FROM match_payments('id_numeric')$$);
SELECT try($$SELECT * FROM match_payments('payment', 'id_text')$$);
SELECT try($$SELECT * FROM match_payments('date_text')$$);
SELECT try($$SELECT * FROM match_payments('month_json')$$);
SELECT try($$SELECT * FROM match_payments('payment', 'month_point')$$);
-- the two tables must agree on date and month types
SELECT try($$SELECT * FROM match_payments('date_ts', 'accrual')$$);
SELECT try($$SELECT * FROM match_payments('payment', 'month_text')$$);

-- NULL ids: 22004, naming the table
INSERT INTO payment VALUES (NULL, '2024-03-01', 1);
SELECT try($$SELECT * FROM match_payments()$$);
DELETE FROM payment WHERE id IS NULL;
INSERT INTO accrual VALUES (NULL, NULL, NULL);
SELECT try($$SELECT * FROM match_payments()$$);
DELETE FROM accrual WHERE id IS NULL;
SELECT try($$SELECT * FROM match_payments()$$);

DROP TABLE accrual, payment, no_id, no_date, no_month, id_numeric, id_text,
	date_text, date_ts, month_text, month_json, month_point;
DROP SEQUENCE seq;

--
-- Errors shown with their detail and hint; the SQLSTATE is echoed after
-- each.
--
\set SHOW_CONTEXT never

-- duplicate ids: 23505, naming the table and the id.  The issue's example:
-- whichever of the two accruals with id 1 is stored first, the answer for
-- payment 11 would change, so both orders are an error.
CREATE TABLE dup_acc (id int, date date, month int, acct text);
CREATE TABLE dup_pay (id int, date date, month int, acct text);
INSERT INTO dup_acc VALUES (1, '2024-01-01', 1), (1, '2024-01-01', 2),
	(2, '2024-01-02', 2);
INSERT INTO dup_pay VALUES (10, '2024-02-01', 9), (11, '2024-02-02', 2);
SELECT * FROM match_payments('dup_pay', 'dup_acc');
\echo :LAST_ERROR_SQLSTATE
TRUNCATE dup_acc;
INSERT INTO dup_acc VALUES (1, '2024-01-01', 2), (1, '2024-01-01', 1),
	(2, '2024-01-02', 2);
SELECT * FROM match_payments('dup_pay', 'dup_acc', 'month_first');
\echo :LAST_ERROR_SQLSTATE
-- apart after the sort by date, and ids far apart or negative
TRUNCATE dup_acc;
ALTER TABLE dup_acc ALTER COLUMN id TYPE bigint;
INSERT INTO dup_acc VALUES (-5, '2024-01-01', 1), (4000000000000, '2024-01-05', 1),
	(-5, '2024-01-09', 1);
SELECT * FROM match_payments('dup_pay', 'dup_acc');
\echo :LAST_ERROR_SQLSTATE
-- more rows than are compared pairwise: ids in a narrow range (a bitmap)
-- and spread wide (a sorted copy), each without and with a duplicate
TRUNCATE dup_acc;
INSERT INTO dup_acc SELECT i, date '2024-01-01' + i, 1 FROM generate_series(1, 100) i;
SELECT count(*) FROM match_payments('dup_pay', 'dup_acc');
INSERT INTO dup_acc VALUES (77, '2023-06-01', 1);
SELECT count(*) FROM match_payments('dup_pay', 'dup_acc');
\echo :LAST_ERROR_SQLSTATE
TRUNCATE dup_acc;
INSERT INTO dup_acc SELECT i::bigint * 1000000007, date '2024-01-01' + i, 1
FROM generate_series(-50, 49) i;
SELECT count(*) FROM match_payments('dup_pay', 'dup_acc');
INSERT INTO dup_acc VALUES (-7000000049, '2023-06-01', 1);
SELECT count(*) FROM match_payments('dup_pay', 'dup_acc');
\echo :LAST_ERROR_SQLSTATE
-- in the payments, one of them without a date
TRUNCATE dup_acc;
INSERT INTO dup_acc VALUES (1, '2024-01-01', 1), (2, '2024-01-02', 2);
INSERT INTO dup_pay VALUES (11, NULL, 1);
SELECT * FROM match_payments('dup_pay', 'dup_acc');
\echo :LAST_ERROR_SQLSTATE
-- an accrual without a date is never paid, and not checked
DELETE FROM dup_pay WHERE date IS NULL;
INSERT INTO dup_acc VALUES (2, NULL, 2);
SELECT payment_id, accrual_id FROM match_payments('dup_pay', 'dup_acc')
ORDER BY payment_id;

-- with partition_by, (key, id) names a row: an id may repeat across keys
-- but not within one; NULL keys are never matched and not checked
TRUNCATE dup_acc, dup_pay;
INSERT INTO dup_acc VALUES (1, '2024-01-01', 1, 'a'), (1, '2024-01-01', 1, 'b'),
	(2, '2024-01-01', 1, NULL), (2, '2024-01-01', 1, NULL);
INSERT INTO dup_pay VALUES (10, '2024-02-01', 1, 'a'), (10, '2024-02-01', 1, 'b'),
	(11, '2024-02-01', 1, NULL), (11, '2024-02-01', 1, NULL);
SELECT * FROM match_payments('dup_pay', 'dup_acc', partition_by => 'acct')
ORDER BY partition_key, payment_id;
INSERT INTO dup_pay VALUES (10, '2024-03-01', 2, 'b');
SELECT * FROM match_payments('dup_pay', 'dup_acc', partition_by => 'acct');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM dup_pay WHERE date = '2024-03-01';
INSERT INTO dup_acc VALUES (1, '2024-01-05', 2, 'a');
SELECT * FROM match_payments('dup_pay', 'dup_acc', 'month_first', 'acct');
\echo :LAST_ERROR_SQLSTATE

-- a unique index spares the check only when it proves ids distinct: not a
-- partial one, not a deferred one, not one on id and another column, not
-- a parent's whose children add rows
CREATE TABLE dup_partial (id int, date date, month int);
CREATE UNIQUE INDEX ON dup_partial (id) WHERE id > 100;
INSERT INTO dup_partial VALUES (1, '2024-01-01', 1), (1, '2024-01-02', 1);
SELECT * FROM match_payments('dup_pay', 'dup_partial');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE dup_pair (id int, date date, month int, UNIQUE (id, date));
INSERT INTO dup_pair VALUES (1, '2024-01-01', 1), (1, '2024-01-02', 1);
SELECT * FROM match_payments('dup_pay', 'dup_pair');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE dup_parent (id int PRIMARY KEY, date date, month int);
CREATE TABLE dup_child () INHERITS (dup_parent);
INSERT INTO dup_parent VALUES (1, '2024-01-01', 1);
INSERT INTO dup_child VALUES (1, '2024-01-02', 1);
SELECT * FROM match_payments('dup_pay', 'dup_parent');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE dup_deferred (id int UNIQUE DEFERRABLE INITIALLY DEFERRED,
	date date, month int);
BEGIN;
INSERT INTO dup_deferred VALUES (1, '2024-01-01', 1), (1, '2024-01-02', 1);
SELECT * FROM match_payments('dup_pay', 'dup_deferred');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- a primary key, or a unique index on (key, id) with partition_by, proves it
CREATE TABLE dup_pk (id int PRIMARY KEY, date date, month int, acct text);
INSERT INTO dup_pk VALUES (1, '2024-01-01', 1, 'a'), (2, '2024-01-01', 1, 'b');
CREATE TABLE dup_keyed (id int, date date, month int, acct text,
	UNIQUE (acct, id));
INSERT INTO dup_keyed SELECT * FROM dup_acc WHERE acct IS NOT NULL AND month = 1;
SELECT payment_id, accrual_id, partition_key
FROM match_payments('dup_pay', 'dup_pk', partition_by => 'acct')
ORDER BY partition_key, payment_id;
SELECT payment_id, accrual_id, partition_key
FROM match_payments('dup_pay', 'dup_keyed', partition_by => 'acct')
ORDER BY partition_key, payment_id;

-- under a case-insensitive collation 'a' and 'A' are one key, so a unique
-- index on (acct, id) under "C" does not prove ids distinct within a key
CREATE COLLATION accmatch_ci (provider = icu, locale = 'und-u-ks-level2',
	deterministic = false);
CREATE TABLE ci_pay (id int, date date, month int, acct text COLLATE accmatch_ci);
CREATE TABLE ci_acc (id int, date date, month int, acct text COLLATE "C",
	UNIQUE (acct, id));
INSERT INTO ci_acc VALUES (1, '2024-01-01', 1, 'a'), (1, '2024-01-02', 2, 'A');
INSERT INTO ci_pay VALUES (10, '2024-02-01', 2, 'a');
SELECT * FROM match_payments('ci_pay', 'ci_acc', partition_by => 'acct');
\echo :LAST_ERROR_SQLSTATE
UPDATE ci_acc SET id = 2 WHERE acct = 'A';
SELECT * FROM match_payments('ci_pay', 'ci_acc', partition_by => 'acct');
DROP TABLE ci_pay, ci_acc;
DROP COLLATION accmatch_ci;

-- column arguments are taken literally, case kept, never parsed as
-- identifiers (as pg_get_serial_sequence takes its column): 'Acct' names
-- the column "Acct", 'acct' and '"Acct"' name none (42703), the latter
-- with a hint
CREATE TABLE case_acc (id int, date date, month int, "Acct" int);
CREATE TABLE case_pay (id int, date date, month int, "Acct" int);
INSERT INTO case_acc VALUES (1, '2024-01-01', 1, 7), (2, '2024-01-01', 1, 8);
INSERT INTO case_pay VALUES (10, '2024-02-01', 1, 8);
SELECT * FROM match_payments('case_pay', 'case_acc', partition_by => 'Acct');
SELECT * FROM match_payments('case_pay', 'case_acc', partition_by => 'acct');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM match_payments('case_pay', 'case_acc', partition_by => '"Acct"');
\echo :LAST_ERROR_SQLSTATE
-- table names, by contrast, are identifiers: quotes keep case
CREATE TABLE "Case_Pay" AS SELECT * FROM case_pay;
SELECT payment_id FROM match_payments('"Case_Pay"', 'case_acc');

-- what PostgreSQL does not support: 0A000
SELECT * FROM match_payments('otherdb.public.payment');
\echo :LAST_ERROR_SQLSTATE
CREATE VIEW pay_locked AS SELECT * FROM case_pay FOR UPDATE;
SELECT * FROM match_payments('pay_locked', 'case_acc');
\echo :LAST_ERROR_SQLSTATE

DROP VIEW pay_locked;
DROP TABLE dup_acc, dup_pay, dup_partial, dup_pair, dup_parent, dup_child,
	dup_deferred, dup_pk, dup_keyed, case_acc, case_pay, "Case_Pay";
