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
SELECT try($$SELECT * FROM match_payments('payment', 'no_schema.accrual')$$);
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
