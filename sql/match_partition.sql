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
