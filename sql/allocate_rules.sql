--
-- allocate_rules: each allocation rule on small hand-checked tables.  The
-- results are shown in the function's own order (payments in processing
-- order, each payment's allocations in the order made, its unallocated
-- amount last), which is part of what is checked.
--
CREATE EXTENSION IF NOT EXISTS accmatch;

\pset null '(null)'

CREATE TABLE accrual (id int, date date, month int, amount numeric(12,2));
CREATE TABLE payment (id int, date date, month int, amount numeric(12,2));

-- load accruals and payments given as lists of (id, date, month, amount)
CREATE FUNCTION pg_temp.load(a text, p text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	TRUNCATE accrual, payment;
	EXECUTE 'INSERT INTO accrual SELECT * FROM (VALUES ' || a || ') v(id, date, month, amount)';
	EXECUTE 'INSERT INTO payment SELECT * FROM (VALUES ' || p || ') v(id, date, month, amount)';
END $$;

-- one payment over three debts: 10 (250, of a month no accrual has) pays 1
-- and 2 in full and 50 of 3, oldest first; 11 pays the other 50 of 3 and
-- has 25 left
SELECT pg_temp.load(
	$$(1, date '2024-01-05', 1, 100), (2, date '2024-01-10', 2, 100), (3, date '2024-01-20', 3, 100)$$,
	$$(10, date '2024-02-01', 9, 250), (11, date '2024-02-02', 9, 75)$$);
SELECT * FROM allocate_payments();

-- three payments over one debt: 10 and 11 pay 200 each, 12 the last 100
-- and keeps 100 as credit
SELECT pg_temp.load(
	$$(1, date '2024-01-05', 1, 500)$$,
	$$(11, date '2024-02-02', 1, 200), (12, date '2024-02-03', 1, 200), (10, date '2024-02-01', 1, 200)$$);
SELECT * FROM allocate_payments();

-- same month first, then the oldest: 10 (month 2) pays 2 and 3 of its
-- month, then 50 of the older 1 of month 1
SELECT pg_temp.load(
	$$(1, date '2024-01-05', 1, 100), (2, date '2024-01-10', 2, 100), (3, date '2024-01-15', 2, 100)$$,
	$$(10, date '2024-02-01', 2, 250)$$);
SELECT * FROM allocate_payments();
-- month_first gives the same with a single payment
SELECT * FROM allocate_payments(strategy => 'month_first');

-- strictly earlier: 10, of the accrual's own day, allocates nothing; 11,
-- a day later, pays 60; 12 pays the other 40 and keeps 20
SELECT pg_temp.load(
	$$(1, date '2024-03-01', 3, 100)$$,
	$$(10, date '2024-03-01', 3, 60), (11, date '2024-03-02', 3, 60), (12, date '2024-03-03', 3, 60)$$);
SELECT * FROM allocate_payments();

-- an accrual of the same month but not yet due does not take the payment
-- from an older one: 10 (month 4) pays the older 1 (month 1), since 2 of
-- month 4 is dated after it; 11, later, pays 2 by month
SELECT pg_temp.load(
	$$(1, date '2024-01-05', 1, 100), (2, date '2024-04-10', 4, 100)$$,
	$$(10, date '2024-04-01', 4, 100), (11, date '2024-04-20', 4, 100)$$);
SELECT * FROM allocate_payments();

-- overpayment: a payment before every accrual keeps everything as credit
-- and does not block the later ones; 12 overpays by 0.01
SELECT pg_temp.load(
	$$(1, date '2024-02-01', 2, 99.99)$$,
	$$(10, date '2024-01-01', 2, 40), (11, date '2024-03-01', 2, 50), (12, date '2024-03-02', 5, 50)$$);
SELECT * FROM allocate_payments();

-- amount 0 on either side: accrual 1 (0) is never allocated to, even by
-- month; payment 9 (0) has one row of 0 though debts are open; 10 pays
-- 2 by month and 30 of 3 as the oldest left; 11 pays the last 10 of 3
-- and so has no unallocated row
SELECT pg_temp.load(
	$$(1, date '2024-01-01', 1, 0), (2, date '2024-01-02', 1, 50), (3, date '2024-01-03', 2, 40)$$,
	$$(9, date '2024-02-01', 1, 0), (10, date '2024-02-02', 1, 80), (11, date '2024-02-03', 1, 10)$$);
SELECT * FROM allocate_payments();

-- ties: among same-day accruals of a month the smaller id is paid first;
-- same-day payments are processed by id: 20 pays 5 (30) and 30 of 7; 21
-- pays the other 10 of 7, then 6 of another month; 19, a day later,
-- finds nothing left
SELECT pg_temp.load(
	$$(7, date '2024-01-05', 1, 40), (5, date '2024-01-05', 1, 30), (6, date '2024-01-04', 2, 10)$$,
	$$(21, date '2024-02-01', 1, 20), (20, date '2024-02-01', 1, 60), (19, date '2024-02-02', 1, 5)$$);
SELECT * FROM allocate_payments();

-- NULLs: accrual 2 has no date and is never allocated to; accrual 3 has
-- no month but is the oldest for anyone; payment 11 has no date: one row
-- with all of it, after the dated payments; payment 10 has no month:
-- oldest only, 3 then 30 of 1; 12 (month 1) pays the other 70 of 1 by
-- month and keeps 20
SELECT pg_temp.load(
	$$(1, date '2024-01-05', 1, 100), (2, NULL, 1, 100), (3, date '2024-01-01', NULL, 20)$$,
	$$(10, date '2024-02-01', NULL, 50), (11, NULL, 1, 70), (12, date '2024-02-02', 1, 90)$$);
SELECT * FROM allocate_payments();
-- the same with month_first: 12 pays 90 of 1 in the month pass; 10 then
-- pays 3 (20) and the last 10 of 1, and keeps 20
SELECT * FROM allocate_payments(strategy => 'month_first');

-- month_first where it differs: sequentially 10 (month 3) comes first and
-- pays the oldest, 1 of month 1, and 50 of 2; 11 (month 1) finds 1 paid
-- and pays the other 50 of 2, keeping 50.  Month-first, 11 pays 1 in the
-- month pass; 10 then pays 2 and keeps 50.
SELECT pg_temp.load(
	$$(1, date '2024-01-10', 1, 100), (2, date '2024-02-10', 2, 100)$$,
	$$(10, date '2024-03-01', 3, 150), (11, date '2024-03-05', 1, 100)$$);
SELECT * FROM allocate_payments();
SELECT * FROM allocate_payments(strategy => 'month_first');

-- month_first: a payment's month-pass rows come before its oldest-pass
-- rows and its credit, and later payments' month rows come first in the
-- month pass: 11 (month 2) takes 30 of 2 in the month pass before 10 can
-- reach it; 10 (month 1) takes 1 in the month pass, then 3 as the oldest
SELECT pg_temp.load(
	$$(1, date '2024-01-02', 1, 40), (2, date '2024-01-01', 2, 30), (3, date '2024-01-03', 3, 25)$$,
	$$(10, date '2024-02-01', 1, 100), (11, date '2024-02-02', 2, 30)$$);
-- sequentially 10 takes 1 by month, then 2 and 3 as the oldest and keeps
-- 5; 11 finds nothing left
SELECT * FROM allocate_payments();
SELECT * FROM allocate_payments(strategy => 'month_first');

-- allocations add up: every payment's rows sum to its amount, no accrual
-- gets more than its amount
SELECT pg_temp.load(
	$$(1, date '2024-01-01', 1, 10.10), (2, date '2024-01-02', 2, 20.20), (3, date '2024-01-03', 1, 30.30)$$,
	$$(10, date '2024-02-01', 1, 15.15), (11, date '2024-02-02', 2, 15.15), (12, date '2024-02-03', 3, 40.40)$$);
SELECT p.id, p.amount, sum(r.amount) AS rows_sum
FROM payment p JOIN allocate_payments() r ON r.payment_id = p.id
GROUP BY p.id, p.amount ORDER BY p.id;
SELECT a.id, a.amount, sum(r.amount) AS allocated
FROM accrual a JOIN allocate_payments() r ON r.accrual_id = a.id
GROUP BY a.id, a.amount ORDER BY a.id;

--
-- Amount types and scales
--
-- integers and unconstrained numeric of scale 0: amounts come out with
-- scale 0; the two tables may use different types
CREATE TABLE acc_int (id int, date date, month int, amount integer);
CREATE TABLE pay_num (id int, date date, month int, amount numeric);
INSERT INTO acc_int VALUES (1, '2024-01-01', 1, 70), (2, '2024-01-02', 1, 50);
INSERT INTO pay_num VALUES (10, '2024-02-01', 1, 100), (11, '2024-02-02', 1, 100);
SELECT * FROM allocate_payments('pay_num', 'acc_int');
-- scale 2 on one side brings every amount to scale 2
CREATE TABLE pay_num2 (id int, date date, month int, amount numeric(12,2));
INSERT INTO pay_num2 VALUES (10, '2024-02-01', 1, 100), (11, '2024-02-02', 1, 0.5);
SELECT * FROM allocate_payments('pay_num2', 'acc_int');
-- unconstrained numeric: the largest scale among the values, here 3
INSERT INTO pay_num VALUES (12, '2024-02-03', 1, 0.125);
UPDATE acc_int SET amount = 300;
SELECT * FROM allocate_payments('pay_num', 'acc_int');
SELECT pg_typeof(amount), scale(amount), count(*)
FROM allocate_payments('pay_num', 'acc_int') GROUP BY 1, 2;

-- bigint minor units, up to the largest bigint, exactly
CREATE TABLE acc_big (id bigint, date date, month int, amount bigint);
CREATE TABLE pay_big (id bigint, date date, month int, amount bigint);
INSERT INTO acc_big VALUES
	(1, '2024-01-01', 1, 9000000000000000000),
	(2, '2024-01-02', 2, 223372036854775806),
	(3, '2024-01-03', 2, 5);
INSERT INTO pay_big VALUES
	(10, '2024-02-01', 1, 9223372036854775807),
	(11, '2024-02-02', 2, 9223372036854775807);
-- 10 pays 1 by month, then 2 and 1 of 3 as the oldest; 11 pays the other
-- 4 of 3 by month and keeps the rest
SELECT * FROM allocate_payments('pay_big', 'acc_big');
-- smallint amounts and ids
CREATE TABLE acc_small (id smallint, date date, month int, amount smallint);
INSERT INTO acc_small VALUES (1, '2024-01-01', 1, 32767);
SELECT * FROM allocate_payments('pay_big', 'acc_small');

-- a numeric with many digits at scale 2: 92233720368547758.07 is the
-- largest amount of that scale
CREATE TABLE acc_wide (id int, date date, month int, amount numeric);
CREATE TABLE pay_wide (id int, date date, month int, amount numeric);
INSERT INTO acc_wide VALUES (1, '2024-01-01', 1, 92233720368547758.07),
	(2, '2024-01-02', 1, 0.01);
INSERT INTO pay_wide VALUES (10, '2024-02-01', 1, 92233720368547758.00),
	(11, '2024-02-02', 1, 1.00);
SELECT * FROM allocate_payments('pay_wide', 'acc_wide');
-- scale 18, the largest
TRUNCATE acc_wide, pay_wide;
INSERT INTO acc_wide VALUES (1, '2024-01-01', 1, 1.000000000000000001);
INSERT INTO pay_wide VALUES (10, '2024-02-01', 1, 9.223372036854775807);
SELECT * FROM allocate_payments('pay_wide', 'acc_wide');

-- amount_column names the column literally, case and spaces included
CREATE TABLE acc_named (id int, date date, month int, "Amount Due" numeric(8,2));
CREATE TABLE pay_named (id int, date date, month int, "Amount Due" numeric(8,2));
INSERT INTO acc_named VALUES (1, '2024-01-01', 1, 10);
INSERT INTO pay_named VALUES (10, '2024-02-01', 1, 12.5);
SELECT * FROM allocate_payments('pay_named', 'acc_named', amount_column => 'Amount Due');

-- timestamps: strictly earlier to the microsecond
CREATE TABLE acc_ts (id int, date timestamptz, month text, amount numeric);
CREATE TABLE pay_ts (id int, date timestamptz, month text, amount numeric);
INSERT INTO acc_ts VALUES (1, '2024-01-01 10:00:00+00', 'jan', 5);
INSERT INTO pay_ts VALUES (10, '2024-01-01 10:00:00+00', 'jan', 3),
	(11, '2024-01-01 10:00:00.000001+00', 'jan', 3);
SELECT * FROM allocate_payments('pay_ts', 'acc_ts');

--
-- partition_by
--
CREATE TABLE acc_p (id int, date date, month int, amount numeric(10,2), account_id int);
CREATE TABLE pay_p (id int, date date, month int, amount numeric(10,2), account_id int);
INSERT INTO acc_p VALUES
	(1, '2024-01-05', 1, 100, 1),
	(2, '2024-01-01', 1, 100, 2),
	(3, '2024-01-10', 2, 60, 2),
	(4, '2024-01-01', 1, 500, NULL),
	(5, '2024-01-02', 1, 40, 3);
INSERT INTO pay_p VALUES
	(10, '2024-02-01', 1, 150, 1),
	(11, '2024-02-01', 2, 100, 2),
	(12, '2024-02-02', 1, 100, 2),
	(13, '2024-02-01', 1, 30, NULL),
	(14, '2024-02-01', 1, 10, 4);
-- account 1: 10 pays 1 and keeps 50, though 2 and 4 of other accounts
-- are open; account 2: 11 (month 2) pays 3 by month, then 40 of 2; 12
-- pays the other 60 of 2 by month and keeps 40; account 4 has no
-- accrual; 13 has no account.  Accounts in key order, NULL last.
SELECT * FROM allocate_payments('pay_p', 'acc_p', partition_by => 'account_id');
-- month_first differs in account 2: 12 takes all of 2 in the month pass,
-- so 11 keeps 40
SELECT * FROM allocate_payments('pay_p', 'acc_p', 'month_first', 'account_id');
-- a text key gives the sequential result again
ALTER TABLE acc_p ALTER COLUMN account_id TYPE text;
ALTER TABLE pay_p ALTER COLUMN account_id TYPE text;
SELECT * FROM allocate_payments('pay_p', 'acc_p', partition_by => 'account_id');
-- numeric(10,2) on both sides fixes every amount's scale; plain numeric,
-- whose scale each account takes from its own amounts, gives the same
-- rows.  Held in batches (accmatch.partition_work_mem), the same rows too.
SET client_min_messages = debug1;
SELECT count(*) FROM allocate_payments('pay_p', 'acc_p', partition_by => 'account_id');
SET accmatch.partition_work_mem = '64kB';
SELECT * FROM allocate_payments('pay_p', 'acc_p', partition_by => 'account_id');
RESET accmatch.partition_work_mem;
ALTER TABLE pay_p ALTER COLUMN amount TYPE numeric;
SELECT count(*) FROM allocate_payments('pay_p', 'acc_p', partition_by => 'account_id');
RESET client_min_messages;
-- each account its own scale: account 2's amounts become 3 decimals, the
-- others keep 2, in memory and in batches
UPDATE pay_p SET amount = amount + 0.001 WHERE account_id = '2' AND id = 11;
SELECT partition_key, array_agg(DISTINCT scale(amount)) AS scales
FROM allocate_payments('pay_p', 'acc_p', partition_by => 'account_id')
GROUP BY 1 ORDER BY 1;
SET accmatch.partition_work_mem = '64kB';
SELECT partition_key, array_agg(DISTINCT scale(amount)) AS scales
FROM allocate_payments('pay_p', 'acc_p', partition_by => 'account_id')
GROUP BY 1 ORDER BY 1;
RESET accmatch.partition_work_mem;

DROP TABLE accrual, payment, acc_int, pay_num, pay_num2, acc_big, pay_big,
	acc_small, acc_wide, pay_wide, acc_named, pay_named, acc_ts, pay_ts,
	acc_p, pay_p;
