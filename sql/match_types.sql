--
-- match_types: the accepted column types, schemas and odd names
--
CREATE EXTENSION IF NOT EXISTS accmatch;

-- tables in another schema, found by qualified name or through search_path
CREATE SCHEMA billing;
CREATE TABLE billing.accrual (id bigint, date timestamptz, month text);
CREATE TABLE billing.payment (id smallint, date timestamptz, month text);
INSERT INTO billing.accrual VALUES
	(1, '2024-01-31 23:00:00+00', 'Jan'),
	(2, '2024-02-01 00:00:00+00', 'Feb'),
	(3, '2024-02-01 00:00:00.000001+00', 'feb');
INSERT INTO billing.payment VALUES
	(10, '2024-02-01 00:00:00+00', 'Feb'),		-- 2 is not earlier: same instant
	(11, '2024-02-01 00:00:00.000001+00', 'Feb'),	-- 2 is earlier by 1 microsecond
	(12, '2024-03-01 00:00:00+00', 'Feb');		-- text months are case-sensitive
SELECT payment_id, accrual_id, matched_by
FROM match_payments('billing.payment', 'billing.accrual');
SET search_path = billing, public;
SELECT payment_id, accrual_id, matched_by FROM match_payments();
RESET search_path;

-- timestamp without time zone, integer months, mixed id widths
CREATE TABLE acc_ts (id int, date timestamp, month int);
CREATE TABLE pay_ts (id bigint, date timestamp, month int);
INSERT INTO acc_ts VALUES (1, '2024-01-01 10:00', 202401), (2, '2024-01-01 09:00', 202402);
INSERT INTO pay_ts VALUES (9000000000, '2024-01-01 10:00', 202401), (9000000001, '2024-01-01 10:00:01', 202401);
SELECT payment_id, accrual_id, matched_by FROM match_payments('pay_ts', 'acc_ts');

-- months as dates, infinite dates
CREATE TABLE acc_dm (id int, date date, month date);
CREATE TABLE pay_dm (id int, date date, month date);
INSERT INTO acc_dm VALUES (1, '-infinity', '2024-01-01'), (2, '2024-01-15', '2024-01-01'),
	(3, '2024-02-15', '2024-02-01');
INSERT INTO pay_dm VALUES (10, '2024-03-01', '2024-02-01'), (11, 'infinity', '2024-01-01'),
	(12, 'infinity', '2024-01-01'), (13, '-infinity', '2024-01-01');
SELECT payment_id, accrual_id, matched_by FROM match_payments('pay_dm', 'acc_dm');

-- numeric months compare by value (1.0 = 1.00), domains over the types
CREATE DOMAIN money_id AS bigint CHECK (VALUE > 0);
CREATE TABLE acc_num (id money_id, date date, month numeric);
CREATE TABLE pay_num (id money_id, date date, month numeric);
INSERT INTO acc_num VALUES (1, '2024-01-01', 1.5), (2, '2024-01-02', 1.0);
INSERT INTO pay_num VALUES (10, '2024-02-01', 1.00);
SELECT payment_id, accrual_id, matched_by FROM match_payments('pay_num', 'acc_num');

-- a month type with a btree but no hash operator class (bit) is numbered
-- through its btree order: 10 and 11 find their months, 12 has a month no
-- accrual has and takes the oldest left, 13 has none and finds nothing
CREATE TABLE acc_bit (id int, date date, month bit(4));
CREATE TABLE pay_bit (id int, date date, month bit(4));
INSERT INTO acc_bit VALUES (1, '2024-01-01', B'0001'), (2, '2024-01-02', B'0010'),
	(3, '2024-01-03', B'0001');
INSERT INTO pay_bit VALUES (10, '2024-02-01', B'0010'), (11, '2024-02-02', B'0001'),
	(12, '2024-02-03', B'0100'), (13, '2024-02-04', NULL);
SELECT payment_id, accrual_id, matched_by FROM match_payments('pay_bit', 'acc_bit');

-- views, and names that need quoting
CREATE TABLE "Odd ""Name""; x" (id int, date date, month date);
INSERT INTO "Odd ""Name""; x" VALUES (1, '2024-01-01', '2024-02-01');
CREATE VIEW recent_payment AS
	SELECT id, date, month FROM pay_dm WHERE date > '2024-01-01';
SELECT payment_id, accrual_id, matched_by
FROM match_payments('recent_payment', '"Odd ""Name""; x"');

-- the function composes with SQL: the matches table joined back
SELECT p.id, p.date, m.matched_by, a.id AS accrual, a.date AS accrual_date
FROM match_payments('pay_dm', 'acc_dm') m
JOIN pay_dm p ON p.id = m.payment_id
LEFT JOIN acc_dm a ON a.id = m.accrual_id
ORDER BY p.id;

-- the tables are read with jit off, whatever the session says; the
-- session's setting is back after the call, and after an error raised
-- while reading
CREATE FUNCTION jit_seen(id int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
	RAISE NOTICE 'reading row %: jit %', id, current_setting('jit');
	RETURN id;
END $$;
CREATE VIEW jit_payment AS SELECT jit_seen(id) AS id, date, month FROM pay_dm WHERE id = 10;
SET jit = on;
SELECT payment_id, accrual_id FROM match_payments('jit_payment', 'acc_dm');
SHOW jit;
CREATE VIEW null_id_payment AS SELECT jit_seen(id) AS id, date, month FROM pay_dm
UNION ALL SELECT NULL, date '2024-01-01', month FROM pay_dm WHERE id = 10;
SELECT try($$SELECT * FROM match_payments('null_id_payment', 'acc_dm')$$);
SHOW jit;
RESET jit;

DROP SCHEMA billing CASCADE;
DROP VIEW jit_payment, null_id_payment;
DROP FUNCTION jit_seen(int);
DROP TABLE acc_ts, pay_ts, acc_dm, pay_dm, acc_num, pay_num, acc_bit, pay_bit,
	"Odd ""Name""; x" CASCADE;
DROP DOMAIN money_id;
