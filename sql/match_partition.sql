--
-- match_partition: match_payments(partition_by => ...) on small hand-checked
-- tables: payments pay only accruals with the same key, NULL keys match
-- nothing, and within one key the rules apply unchanged
--
CREATE EXTENSION IF NOT EXISTS accmatch;

-- tell an empty-string key from a NULL one
\pset null '(null)'

-- try(query) (sql/setup.sql) shows the SQLSTATE and message of a failure

--
-- Integer keys.  Account 1: three accruals and four payments, one of each
-- without a date.  Account 2: the other accounts hold older accruals of the
-- month its payments ask for.  Account 3 has only accruals, account 4 only
-- payments; one accrual and one payment have no account.
--
CREATE TABLE accrual (id int, date date, month int, account_id int);
CREATE TABLE payment (id int, date date, month int, account_id int);
INSERT INTO accrual VALUES
	(1, '2024-01-05', 1, 1),
	(6, '2024-01-03', 3, 1),
	(7, NULL, 1, 1),
	(2, '2024-01-10', 1, 2),
	(3, '2024-02-03', 2, 2),
	(4, '2024-01-01', 1, 3),
	(5, '2024-01-02', 2, NULL);
INSERT INTO payment VALUES
	(10, '2024-02-10', 2, 1),
	(16, '2024-02-11', 1, 1),
	(17, NULL, 1, 1),
	(18, '2024-04-01', 1, 1),
	(11, '2024-02-10', 1, 2),
	(12, '2024-02-11', 1, 2),
	(13, '2024-02-12', 1, 2),
	(15, '2024-03-01', 1, 4),
	(14, '2024-03-01', 2, NULL);

-- Account 1: 10 (month 2) finds no month-2 accrual in its account (3 and 5
-- are other accounts') and takes its oldest, 6; 16 takes 1 by month; 17 has
-- no date; 18 finds only 7, which has no date.  Account 2: 11 takes 2 by
-- month; 12 (month 1) takes 3, the oldest left, not the older month-1
-- accruals 1 and 4 of accounts 1 and 3; 13 finds nothing although 4 is
-- still unpaid.  15 (account 4) and 14 (no account) stay unmatched.
SELECT * FROM match_payments(partition_by => 'account_id')
ORDER BY payment_id;
-- month_first gives the same: its month pass gives 1 to 16 and 2 to 11,
-- its oldest pass 6 to 10 and 3 to 12
SELECT * FROM match_payments(strategy => 'month_first',
							 partition_by => 'account_id')
ORDER BY payment_id;

-- without partition_by the same rows match across accounts: 10 takes 5,
-- 11 takes 4, 12 takes 1 and 16 takes 2 by month; 13 takes 6 as the
-- oldest; 14 takes 3 by month; 15 and 18 find nothing left; partition_key
-- is NULL
SELECT * FROM match_payments() ORDER BY payment_id;

-- accrual and payment rows always share the key; no accrual of account 3 or
-- without an account is paid; partition_key is the key as text
SELECT count(*) AS matched,
	   count(*) FILTER (WHERE a.account_id IS DISTINCT FROM p.account_id) AS cross_account,
	   count(*) FILTER (WHERE a.account_id = 3 OR a.account_id IS NULL) AS paid_3_or_null,
	   count(*) FILTER (WHERE m.partition_key IS DISTINCT FROM p.account_id::text) AS wrong_key
FROM match_payments(partition_by => 'account_id') m
	JOIN payment p ON p.id = m.payment_id
	JOIN accrual a ON a.id = m.accrual_id;
SELECT pg_typeof(partition_key), count(*)
FROM match_payments(partition_by => 'account_id') GROUP BY 1;

-- the key may be any column, here the month itself: a payment then only
-- takes an accrual of its own month, so always 'month'.  Month 1: 11 takes
-- 4, 12 takes 1, 16 takes 2, nothing is left for 13, 15 and 18.  Month 2:
-- 10 takes 5, 14 takes 3.
SELECT * FROM match_payments(partition_by => 'month') ORDER BY payment_id;

--
-- Text keys, where the strategies differ.  Account 'x': sequential lets 30
-- take the oldest (21) before 31, whose month it is, arrives; month_first
-- gives 21 to 31 first and 30 gets 22.  Account 'y' holds an older accrual
-- of 30's month that 30 must not see.  25 is left over in 'x'.  'X'
-- differs from 'x'; '' is a key, not NULL.
--
CREATE TABLE acc_t (id bigint, date timestamptz, month text, account_id text);
CREATE TABLE pay_t (id bigint, date timestamptz, month text, account_id text);
INSERT INTO acc_t VALUES
	(21, '2024-01-01 10:00+00', '2024-01', 'x'),
	(22, '2024-01-02 10:00+00', '2024-02', 'x'),
	(25, '2024-01-03 10:00+00', '2024-05', 'x'),
	(23, '2023-12-01 10:00+00', '2024-03', 'y'),
	(24, '2024-01-01 10:00+00', '2024-01', '');
INSERT INTO pay_t VALUES
	(30, '2024-02-01 10:00+00', '2024-03', 'x'),
	(31, '2024-02-02 10:00+00', '2024-01', 'x'),
	(32, '2024-02-03 10:00+00', '2024-09', 'y'),
	(33, '2024-02-05 10:00+00', '2024-01', 'X'),
	(34, '2024-02-01 10:00+00', '2024-01', ''),
	(35, '2024-02-01 10:00+00', '2024-03', NULL);

-- sequential: 30 takes 21 as the oldest, 31 then takes 22 as the oldest;
-- 32 takes 23 as the oldest of 'y'; 33 ('X') finds nothing, though 25 of
-- 'x' is unpaid; 34 takes 24 by month; 35 (no account) stays unmatched
SELECT * FROM match_payments('pay_t', 'acc_t', 'sequential', 'account_id')
ORDER BY payment_id;
-- month_first: 31 takes 21 by month, then 30 takes 22 as the oldest; the
-- other accounts are as above
SELECT * FROM match_payments('pay_t', 'acc_t', 'month_first', 'account_id')
ORDER BY payment_id;

--
-- Two ways to hold the rows: grouped in memory (the default), or, when
-- accmatch.partition_work_mem bounds the memory and the rows need more, in
-- batches of key ranges on temporary files, one batch in memory at a
-- time.  Neither relies on the order rows are read in.  The answers are
-- the same, in the same order.
--
SET client_min_messages = debug1;
SELECT count(*) FROM match_payments('pay_t', 'acc_t', 'sequential', 'account_id');
-- accmatch.group_in_memory is kept from 1.1 and has no effect
SET accmatch.group_in_memory = off;
SELECT count(*) FROM match_payments('pay_t', 'acc_t', 'sequential', 'account_id');
RESET accmatch.group_in_memory;
-- money has no hash function: its keys are numbered in a search tree
CREATE TABLE acc_m (id int, date date, month int, account_id money);
CREATE TABLE pay_m (id int, date date, month int, account_id money);
INSERT INTO acc_m VALUES (1, '2024-01-01', 1, 2), (2, '2024-01-01', 1, 1);
INSERT INTO pay_m VALUES (10, '2024-02-01', 1, 1), (11, '2024-02-01', 1, 2),
	(12, '2024-02-01', 1, NULL);
SELECT * FROM match_payments('pay_m', 'acc_m', 'sequential', 'account_id');
RESET client_min_messages;
DROP TABLE acc_m, pay_m;
-- the setting takes -1 (no limit) or at least 64kB
SELECT try($$SET accmatch.partition_work_mem = '32kB'$$);
SELECT try($$SET accmatch.partition_work_mem = 0$$);
-- 6000 rows at 32 bytes do not fit in 64kB: they go to batches, the first
-- bounds from the payment column's histogram
CREATE TABLE acc_big AS
SELECT g AS id, date '2024-01-01' + g % 97 AS date, g % 5 AS month,
	g % 61 AS account_id
FROM generate_series(1, 3000) g;
CREATE TABLE pay_big AS
SELECT 10000 + g AS id, date '2024-01-01' + g % 89 AS date, g % 7 AS month,
	g % 59 AS account_id
FROM generate_series(1, 3000) g;
ANALYZE acc_big, pay_big;
CREATE TEMP TABLE grouped AS
SELECT s, m.* FROM unnest(ARRAY['sequential', 'month_first']) s,
	LATERAL match_payments('pay_big', 'acc_big', s, 'account_id') m;
SET accmatch.partition_work_mem = '64kB';
SET client_min_messages = debug1;
SELECT count(*) FROM match_payments('pay_big', 'acc_big', 'sequential', 'account_id');
RESET client_min_messages;
CREATE TEMP TABLE batched AS
SELECT s, m.* FROM unnest(ARRAY['sequential', 'month_first']) s,
	LATERAL match_payments('pay_big', 'acc_big', s, 'account_id') m;
-- through views the planner knows no histogram of: the batches are split
-- as they turn out too large
CREATE VIEW acc_big_v AS SELECT * FROM acc_big;
CREATE VIEW pay_big_v AS SELECT * FROM pay_big;
CREATE TEMP TABLE split AS
SELECT s, m.* FROM unnest(ARRAY['sequential', 'month_first']) s,
	LATERAL match_payments('pay_big_v', 'acc_big_v', s, 'account_id') m;
-- through views the planner expects 15 rows of (the condition is always
-- true): grouping in memory begins, finds too many rows at 64kB, and the
-- tables are read again into batches
CREATE VIEW acc_big_few AS SELECT * FROM acc_big WHERE id + 0 = 0 + (id + 0);
CREATE VIEW pay_big_few AS SELECT * FROM pay_big WHERE id + 0 = 0 + (id + 0);
SET client_min_messages = debug1;
SELECT count(*) FROM match_payments('pay_big_few', 'acc_big_few', 'sequential', 'account_id');
RESET client_min_messages;
CREATE TEMP TABLE restarted AS
SELECT s, m.* FROM unnest(ARRAY['sequential', 'month_first']) s,
	LATERAL match_payments('pay_big_few', 'acc_big_few', s, 'account_id') m;
RESET accmatch.partition_work_mem;
-- the same rows every way, and the data matches both ways and across keys
SELECT count(*) AS rows,
	count(*) FILTER (WHERE matched_by = 'month') AS month,
	count(*) FILTER (WHERE matched_by = 'oldest') AS oldest,
	count(DISTINCT partition_key) AS keys
FROM grouped GROUP BY s ORDER BY s;
SELECT 'batched' AS way,
	(SELECT count(*) FROM (TABLE grouped EXCEPT ALL TABLE batched) d) AS only_grouped,
	(SELECT count(*) FROM (TABLE batched EXCEPT ALL TABLE grouped) d) AS only_other
UNION ALL
SELECT 'split',
	(SELECT count(*) FROM (TABLE grouped EXCEPT ALL TABLE split) d),
	(SELECT count(*) FROM (TABLE split EXCEPT ALL TABLE grouped) d)
UNION ALL
SELECT 'restarted',
	(SELECT count(*) FROM (TABLE grouped EXCEPT ALL TABLE restarted) d),
	(SELECT count(*) FROM (TABLE restarted EXCEPT ALL TABLE grouped) d);
-- and every way in result order: key by key (as integers), payments by
-- (date, id)
SELECT way, count(*) FILTER (WHERE (prev_k, prev_date, prev_id) >= (k, date, id)) AS out_of_order,
	count(*) AS rows
FROM (
	SELECT way, partition_key::int AS k, p.date, p.id,
		lag(partition_key::int) OVER w AS prev_k, lag(p.date) OVER w AS prev_date,
		lag(p.id) OVER w AS prev_id
	FROM (SELECT 'grouped' AS way, row_number() OVER () AS n, * FROM grouped
		  UNION ALL
		  SELECT 'batched', row_number() OVER (), * FROM batched
		  UNION ALL
		  SELECT 'split', row_number() OVER (), * FROM split
		  UNION ALL
		  SELECT 'restarted', row_number() OVER (), * FROM restarted) g
	JOIN pay_big p ON p.id = g.payment_id
	WINDOW w AS (PARTITION BY way, s ORDER BY n)) o
GROUP BY way ORDER BY way;
DROP VIEW acc_big_v, pay_big_v, acc_big_few, pay_big_few;
DROP TABLE acc_big, pay_big, grouped, batched, split, restarted;

-- Keys equal but spelled differently (numeric 1.0 and 1.00) show one
-- spelling: among the payments' keys, the one whose stored form comes
-- first (here 1.00), the same whatever order the rows are stored in and
-- however they are held.  An accrual's spelling never shows: it is not a
-- payment's value.
CREATE TABLE acc_n (id int, date date, month int, account_id numeric);
CREATE TABLE pay_n (id int, date date, month int, account_id numeric);
INSERT INTO acc_n VALUES (1, '2024-01-01', 1, 1.00), (2, '2024-01-02', 1, 1.0);
INSERT INTO pay_n VALUES (10, '2024-02-01', 1, 1.00), (11, '2024-02-02', 1, 1.0);
SELECT * FROM match_payments('pay_n', 'acc_n', partition_by => 'account_id');
SET accmatch.partition_work_mem = '64kB';
SELECT * FROM match_payments('pay_n', 'acc_n', partition_by => 'account_id');
TRUNCATE acc_n, pay_n;
INSERT INTO acc_n VALUES (2, '2024-01-02', 1, 1.0), (1, '2024-01-01', 1, 1.00);
INSERT INTO pay_n VALUES (11, '2024-02-02', 1, 1.0), (10, '2024-02-01', 1, 1.00);
SELECT * FROM match_payments('pay_n', 'acc_n', partition_by => 'account_id');
RESET accmatch.partition_work_mem;
SELECT * FROM match_payments('pay_n', 'acc_n', partition_by => 'account_id');
-- an accrual without a date keyed 0.0 and a payment keyed 0.000 show
-- 0.000; a payment keyed 1.000 and an accrual keyed 1.0 show 1.000, the
-- payment's spelling, though 1.0's stored form comes first
TRUNCATE acc_n, pay_n;
INSERT INTO acc_n VALUES (1, NULL, 1, 0.0), (2, '2024-01-01', 1, 1.0);
INSERT INTO pay_n VALUES (10, '2024-02-01', 1, 0.000), (11, '2024-02-01', 1, 1.000);
SELECT * FROM match_payments('pay_n', 'acc_n', partition_by => 'account_id');
SET accmatch.partition_work_mem = '64kB';
SELECT * FROM match_payments('pay_n', 'acc_n', partition_by => 'account_id');
RESET accmatch.partition_work_mem;
DROP TABLE acc_n, pay_n;

-- A key type whose default btree comparison never says equal (a broken
-- operator class) cannot be grouped by: a clear error (42P17), at once.
CREATE TYPE badkey AS (v int);
CREATE FUNCTION badkey_cmp(badkey, badkey) RETURNS int LANGUAGE sql IMMUTABLE
	AS $$ SELECT CASE WHEN $1.v < $2.v THEN -1 ELSE 1 END $$;
CREATE FUNCTION badkey_lt(badkey, badkey) RETURNS bool LANGUAGE sql IMMUTABLE
	AS $$ SELECT badkey_cmp($1, $2) < 0 $$;
CREATE FUNCTION badkey_le(badkey, badkey) RETURNS bool LANGUAGE sql IMMUTABLE
	AS $$ SELECT badkey_cmp($1, $2) <= 0 $$;
CREATE FUNCTION badkey_eq(badkey, badkey) RETURNS bool LANGUAGE sql IMMUTABLE
	AS $$ SELECT badkey_cmp($1, $2) = 0 $$;
CREATE FUNCTION badkey_ge(badkey, badkey) RETURNS bool LANGUAGE sql IMMUTABLE
	AS $$ SELECT badkey_cmp($1, $2) >= 0 $$;
CREATE FUNCTION badkey_gt(badkey, badkey) RETURNS bool LANGUAGE sql IMMUTABLE
	AS $$ SELECT badkey_cmp($1, $2) > 0 $$;
CREATE OPERATOR <<< (LEFTARG = badkey, RIGHTARG = badkey, FUNCTION = badkey_lt);
CREATE OPERATOR <<= (LEFTARG = badkey, RIGHTARG = badkey, FUNCTION = badkey_le);
CREATE OPERATOR === (LEFTARG = badkey, RIGHTARG = badkey, FUNCTION = badkey_eq);
CREATE OPERATOR >>= (LEFTARG = badkey, RIGHTARG = badkey, FUNCTION = badkey_ge);
CREATE OPERATOR >>> (LEFTARG = badkey, RIGHTARG = badkey, FUNCTION = badkey_gt);
CREATE OPERATOR CLASS badkey_ops DEFAULT FOR TYPE badkey USING btree AS
	OPERATOR 1 <<<, OPERATOR 2 <<=, OPERATOR 3 ===, OPERATOR 4 >>=,
	OPERATOR 5 >>>, FUNCTION 1 badkey_cmp(badkey, badkey);
CREATE TABLE acc_bad (id int, date date, month int, account_id badkey);
CREATE TABLE pay_bad (id int, date date, month int, account_id badkey);
INSERT INTO acc_bad VALUES (1, '2024-01-01', 1, ROW(1)), (2, '2024-01-01', 1, ROW(2));
INSERT INTO pay_bad VALUES (10, '2024-02-01', 1, ROW(1)), (11, '2024-02-01', 1, ROW(2));
SET statement_timeout = '20s';
SELECT try($$SELECT * FROM match_payments('pay_bad', 'acc_bad', partition_by => 'account_id')$$);
SET accmatch.partition_work_mem = '64kB';
SELECT try($$SELECT * FROM match_payments('pay_bad', 'acc_bad', partition_by => 'account_id')$$);
RESET accmatch.partition_work_mem;
RESET statement_timeout;
DROP TABLE acc_bad, pay_bad;
SET client_min_messages = warning;
DROP TYPE badkey CASCADE;
RESET client_min_messages;

--
-- Errors
--
-- the partition column missing in one table, or in both: 42703
ALTER TABLE payment RENAME COLUMN account_id TO account;
SELECT try($$SELECT * FROM match_payments(partition_by => 'account_id')$$);
SELECT try($$SELECT * FROM match_payments(partition_by => 'account')$$);
ALTER TABLE payment RENAME COLUMN account TO account_id;
SELECT try($$SELECT * FROM match_payments(partition_by => 'no_such_column')$$);
-- column names are taken as given, not case-folded
SELECT try($$SELECT * FROM match_payments(partition_by => 'Account_Id')$$);
-- different key types in the two tables: 42804
ALTER TABLE accrual ALTER COLUMN account_id TYPE bigint;
SELECT try($$SELECT * FROM match_payments(partition_by => 'account_id')$$);
ALTER TABLE accrual ALTER COLUMN account_id TYPE text;
SELECT try($$SELECT * FROM match_payments(partition_by => 'account_id')$$);
-- the type check does not get in the way when not partitioning
SELECT count(*) FROM match_payments();

DROP TABLE accrual, payment, acc_t, pay_t;
