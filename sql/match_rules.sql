--
-- match_rules: each matching rule on small hand-checked tables
--
CREATE EXTENSION IF NOT EXISTS accmatch;

CREATE TABLE accrual (id int, date date, month int);
CREATE TABLE payment (id int, date date, month int);

-- load accruals and payments given as arrays of (id, date, month) rows
CREATE FUNCTION pg_temp.load(a text, p text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	TRUNCATE accrual, payment;
	EXECUTE 'INSERT INTO accrual SELECT * FROM (VALUES ' || a || ') v(id, date, month)';
	EXECUTE 'INSERT INTO payment SELECT * FROM (VALUES ' || p || ') v(id, date, month)';
END $$;

-- same month wins over an older accrual; a payment of a month no accrual
-- has takes the oldest
SELECT pg_temp.load(
	$$(1, date '2024-01-05', 1), (2, date '2024-02-05', 2)$$,
	$$(10, date '2024-03-01', 2), (11, date '2024-03-02', 9)$$);
SELECT payment_id, accrual_id, matched_by FROM match_payments();

-- oldest fallback is by date, not by id or month
SELECT pg_temp.load(
	$$(1, date '2024-01-20', 1), (2, date '2024-01-05', 2), (3, date '2024-01-10', 3)$$,
	$$(10, date '2024-03-01', 7)$$);
SELECT payment_id, accrual_id, matched_by FROM match_payments();

-- strictly earlier: an accrual of the same day is not eligible
SELECT pg_temp.load(
	$$(1, date '2024-03-01', 3)$$,
	$$(10, date '2024-03-01', 3), (11, date '2024-03-02', 3)$$);
SELECT payment_id, accrual_id, matched_by FROM match_payments();

-- among same-month accruals the smallest (date, id) wins: id breaks the tie
SELECT pg_temp.load(
	$$(7, date '2024-01-05', 1), (5, date '2024-01-05', 1), (6, date '2024-01-04', 2)$$,
	$$(10, date '2024-02-01', 1), (11, date '2024-02-01', 1), (12, date '2024-02-01', 1)$$);
SELECT payment_id, accrual_id, matched_by FROM match_payments();

-- payments are processed in (date, id) order: on the same day the smaller
-- id chooses first, whatever the insertion order
SELECT pg_temp.load(
	$$(1, date '2024-01-05', 1)$$,
	$$(21, date '2024-02-01', 1), (20, date '2024-02-01', 1), (19, date '2024-02-02', 1)$$);
SELECT payment_id, accrual_id, matched_by FROM match_payments();

-- a payment dated before every accrual stays unmatched, and does not
-- block later payments
SELECT pg_temp.load(
	$$(1, date '2024-05-01', 5)$$,
	$$(10, date '2024-01-01', 5), (11, date '2024-06-01', 5)$$);
SELECT payment_id, accrual_id, matched_by FROM match_payments();

-- more payments than accruals: each accrual is paid once, the rest of the
-- payments are unmatched but present
SELECT pg_temp.load(
	$$(1, date '2024-01-01', 1), (2, date '2024-01-02', 2)$$,
	$$(10, date '2024-02-01', 1), (11, date '2024-02-02', 1), (12, date '2024-02-03', 1), (13, date '2024-02-04', 2)$$);
SELECT payment_id, accrual_id, matched_by FROM match_payments();

-- a payment whose month was already paid falls back to the oldest left
SELECT pg_temp.load(
	$$(1, date '2024-01-01', 1), (2, date '2024-01-02', 2), (3, date '2024-01-03', 3)$$,
	$$(10, date '2024-02-01', 3), (11, date '2024-02-02', 3)$$);
SELECT payment_id, accrual_id, matched_by FROM match_payments();

-- an accrual becomes eligible only once its date has passed: the early
-- payment takes the old accrual although a same-month one comes later
SELECT pg_temp.load(
	$$(1, date '2024-01-01', 1), (2, date '2024-03-01', 2)$$,
	$$(10, date '2024-02-01', 2), (11, date '2024-04-01', 2)$$);
SELECT payment_id, accrual_id, matched_by FROM match_payments();

-- NULLs: an accrual with no date is never paid; a payment with no date is
-- unmatched but present (listed last); NULL months never match as 'month',
-- not even each other, but still get the oldest
SELECT pg_temp.load(
	$$(1, NULL::date, 1), (2, date '2024-01-02', NULL), (3, date '2024-01-03', 2)$$,
	$$(10, NULL::date, 1), (11, date '2024-02-01', NULL), (12, date '2024-02-02', 1), (13, date '2024-02-03', 2)$$);
SELECT payment_id, accrual_id, matched_by FROM match_payments();

-- two payments with one id are an error (see match_errors)
SELECT pg_temp.load(
	$$(1, date '2024-01-01', 1), (2, date '2024-01-02', 1)$$,
	$$(10, date '2024-02-01', 1), (10, date '2024-02-01', 1)$$);
SELECT payment_id, accrual_id, matched_by FROM match_payments();

-- empty tables
TRUNCATE accrual, payment;
SELECT count(*) FROM match_payments();
INSERT INTO payment VALUES (10, '2024-02-01', 1), (11, NULL, NULL);
SELECT payment_id, accrual_id, matched_by FROM match_payments();
TRUNCATE payment;
INSERT INTO accrual VALUES (1, '2024-01-01', 1);
SELECT count(*) FROM match_payments();

-- the two strategies: sequential lets P1 take the oldest (A1) before P2
-- arrives; month_first gives A1 to its own month's payment P2 first
SELECT pg_temp.load(
	$$(1, date '2024-01-10', 1), (2, date '2024-02-10', 2)$$,
	$$(1, date '2024-03-01', 3), (2, date '2024-03-05', 1)$$);
SELECT payment_id, accrual_id, matched_by FROM match_payments();
SELECT payment_id, accrual_id, matched_by FROM match_payments(strategy => 'sequential');
SELECT payment_id, accrual_id, matched_by FROM match_payments(strategy => 'month_first');

-- month_first's second pass only sees the accruals the first pass left,
-- and still requires a strictly earlier date
SELECT pg_temp.load(
	$$(1, date '2024-01-01', 1), (2, date '2024-01-02', 2)$$,
	$$(12, date '2024-01-02', 9), (10, date '2024-02-01', 9), (11, date '2024-03-01', 1)$$);
SELECT payment_id, accrual_id, matched_by FROM match_payments(strategy => 'sequential');
SELECT payment_id, accrual_id, matched_by FROM match_payments(strategy => 'month_first');

-- the unmatched payments, as the README queries them
SELECT payment_id FROM match_payments() WHERE accrual_id IS NULL ORDER BY payment_id;

DROP TABLE accrual, payment;
