--
-- allocate_errors: every error of allocate_payments(), with its SQLSTATE
--
CREATE EXTENSION IF NOT EXISTS accmatch;

-- try(query) (sql/setup.sql) shows the SQLSTATE and message of a failure

CREATE TABLE accrual (id int, date date, month int, amount numeric(12,2));
CREATE TABLE payment (id int, date date, month int, amount numeric(12,2));
INSERT INTO accrual VALUES (1, '2024-01-01', 1, 10);
INSERT INTO payment VALUES (10, '2024-02-01', 1, 10);
SELECT try($$SELECT * FROM allocate_payments()$$);

-- the errors of match_payments(), for the same reasons
SELECT try($$SELECT * FROM allocate_payments('no_such_payment')$$);
-- a schema that does not exist: refused by PostgreSQL's regclass input,
-- with 3F000 on PostgreSQL 15 and 42P01 on later majors
-- (allocate_payments_by_name(), 1.1's function, says 42P01)
SELECT state IN ('3F000', '42P01') AS refused, message ~ 'no_schema' AS names_it
FROM try_sql($$SELECT * FROM allocate_payments('payment', 'no_schema.accrual')$$);
SELECT try($$SELECT * FROM allocate_payments_by_name('payment', 'no_schema.accrual')$$);
-- names as text values are cast when the call runs, with the same errors
SELECT try($$SELECT * FROM allocate_payments('no_such_payment'::text)$$);
SELECT try(format($$SELECT count(*) FROM allocate_payments(%L::text, %L::text)$$,
	'payment', 'accrual'));
SELECT try($$SELECT * FROM allocate_payments('payment; DROP TABLE accrual')$$);
SELECT try($$SELECT * FROM allocate_payments('a.b.c.d')$$);
CREATE SEQUENCE seq;
SELECT try($$SELECT * FROM allocate_payments('seq')$$);
SELECT try($$SELECT * FROM allocate_payments(NULL)$$);
SELECT try($$SELECT * FROM allocate_payments('payment', NULL)$$);
SELECT try($$SELECT * FROM allocate_payments(strategy => NULL)$$);
SELECT try($$SELECT * FROM allocate_payments(strategy => 'greedy')$$);
SELECT try($$SELECT * FROM allocate_payments(partition_by => 'account_id')$$);
CREATE TABLE no_month (id int, date date, amount int);
SELECT try($$SELECT * FROM allocate_payments('no_month')$$);
CREATE TABLE date_ts (id int, date timestamp, month int, amount int);
SELECT try($$SELECT * FROM allocate_payments('date_ts')$$);
CREATE TABLE id_text (id text, date date, month int, amount int);
SELECT try($$SELECT * FROM allocate_payments('payment', 'id_text')$$);

-- a NULL amount_column: 22004
SELECT try($$SELECT * FROM allocate_payments(amount_column => NULL)$$);

-- the amount column missing in one table or both: 42703; the name is
-- taken literally, not case-folded, and system columns do not count
CREATE TABLE no_amount (id int, date date, month int, total int);
SELECT try($$SELECT * FROM allocate_payments('no_amount')$$);
SELECT try($$SELECT * FROM allocate_payments('payment', 'no_amount')$$);
SELECT try($$SELECT * FROM allocate_payments(amount_column => 'total')$$);
SELECT try($$SELECT * FROM allocate_payments(amount_column => 'Amount')$$);
SELECT try($$SELECT * FROM allocate_payments(amount_column => '"amount"')$$);
SELECT try($$SELECT * FROM allocate_payments(amount_column => 'xmin')$$);

-- amount types other than smallint, integer, bigint, numeric: 42804,
-- naming the table, the column, the type found and the types expected
CREATE TABLE amount_float (id int, date date, month int, amount float8);
CREATE TABLE amount_money (id int, date date, month int, amount money);
CREATE TABLE amount_text (id int, date date, month int, amount text);
SELECT try($$SELECT * FROM allocate_payments('amount_float')$$);
SELECT try($$SELECT * FROM allocate_payments('payment', 'amount_money')$$);
SELECT try($$SELECT * FROM allocate_payments('payment', 'amount_text')$$);
-- the message names the column as given
CREATE TABLE amount_real (id int, date date, month int, "Paid" real);
SELECT try($$SELECT * FROM allocate_payments('amount_real', amount_column => 'Paid')$$);
SELECT try($$SELECT * FROM allocate_payments('amount_real', amount_column => 'paid')$$);
-- a domain over numeric is numeric
CREATE DOMAIN money_amount AS numeric(12,2) CHECK (VALUE >= 0);
CREATE TABLE amount_domain (id int, date date, month int, amount money_amount);
INSERT INTO amount_domain VALUES (10, '2024-02-01', 1, 4);
SELECT * FROM allocate_payments('amount_domain');

-- duplicate ids: 23505, as in match_payments()
INSERT INTO payment VALUES (10, '2024-03-01', 1, 5);
SELECT try($$SELECT * FROM allocate_payments()$$);
DELETE FROM payment WHERE date = '2024-03-01';

-- NULL amounts: 22004 naming the table, also for an accrual that could
-- never be allocated to (no date)
INSERT INTO payment VALUES (11, '2024-03-01', 1, NULL);
SELECT try($$SELECT * FROM allocate_payments()$$);
DELETE FROM payment WHERE id = 11;
INSERT INTO accrual VALUES (2, NULL, 1, NULL);
SELECT try($$SELECT * FROM allocate_payments()$$);
DELETE FROM accrual WHERE id = 2;

-- negative, NaN and infinite amounts: 22023 naming the table and the id
INSERT INTO payment VALUES (12, '2024-03-01', 1, -0.01);
SELECT try($$SELECT * FROM allocate_payments()$$);
DELETE FROM payment WHERE id = 12;
CREATE TABLE acc_num (id int, date date, month int, amount numeric);
INSERT INTO acc_num VALUES (3, '2024-01-01', 1, 'NaN');
SELECT try($$SELECT * FROM allocate_payments('payment', 'acc_num')$$);
UPDATE acc_num SET amount = 'Infinity';
SELECT try($$SELECT * FROM allocate_payments('payment', 'acc_num')$$);
UPDATE acc_num SET amount = '-Infinity';
SELECT try($$SELECT * FROM allocate_payments('payment', 'acc_num')$$);
CREATE TABLE acc_int (id bigint, date date, month int, amount int);
INSERT INTO acc_int VALUES (4000000000, '2024-01-01', 1, -1);
SELECT try($$SELECT * FROM allocate_payments('payment', 'acc_int')$$);
-- minus zero is zero
UPDATE acc_num SET amount = '-0.00';
SELECT * FROM allocate_payments('payment', 'acc_num');

-- amounts the internal form cannot hold: 22003, never a wrong figure
UPDATE acc_num SET amount = 1e20;
SELECT try($$SELECT * FROM allocate_payments('payment', 'acc_num')$$);
-- the largest bigint at scale 2 (the payments' scale) does not fit
CREATE TABLE acc_big (id int, date date, month int, amount bigint);
INSERT INTO acc_big VALUES (5, '2024-01-01', 1, 9223372036854775807);
SELECT try($$SELECT * FROM allocate_payments('payment', 'acc_big')$$);
-- nor does a scale past 18
UPDATE acc_num SET amount = 0.0000000000000000001;
SELECT try($$SELECT * FROM allocate_payments('payment', 'acc_num')$$);
-- a value of a larger scale read after a large one: the earlier row is
-- the one that no longer fits
TRUNCATE acc_num;
INSERT INTO acc_num VALUES (6, '2024-01-01', 1, 922337203685477580);
SELECT try($$SELECT * FROM allocate_payments('payment', 'acc_num')$$);

DROP TABLE accrual, payment, no_month, date_ts, id_text, no_amount,
	amount_float, amount_money, amount_text, amount_real, amount_domain,
	acc_num, acc_int, acc_big;
DROP DOMAIN money_amount;
DROP SEQUENCE seq;
