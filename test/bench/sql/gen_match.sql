-- gen_match.sql: deterministic accruals and payments for the matching
-- benchmark.  psql variables: acc and pay (table names), n (rows per
-- table), seed.
--
-- Accruals spread over five years from 2019-01-01, half of them on the 1st
-- of a month; their month is the month of their date, or for one in five
-- the month before.  Payments: 1% dated before every accrual, 5% carry a
-- month (in 2035) that no accrual has, the rest pay the month of a date up
-- to 75 days before their own; one in ten is dated on the 1st of a month,
-- the day many accruals fall on.  About 0.1% of dates and of months are
-- NULL on both sides.  account_id spreads the rows over n/10 accounts.
-- Amounts (for allocate_payments()) are numeric(12,2): accruals 10.00 to
-- 500.00, payments 0.00 to 700.00, so that payments split over accruals,
-- accruals are paid by several payments, and some money is left as credit.
-- Rows are stored in random order; ids are unrelated to dates.

SET client_min_messages = warning;
DROP TABLE IF EXISTS :acc, :pay;

CREATE TABLE :acc AS
SELECT i AS id,
	CASE WHEN bench.u(i, :seed, 5) < 0.001 THEN NULL ELSE d END AS date,
	CASE WHEN bench.u(i, :seed, 6) < 0.001 THEN NULL
		WHEN bench.u(i, :seed, 4) < 0.2
		THEN (date_trunc('month', d) - interval '1 month')::date
		ELSE date_trunc('month', d)::date END AS month,
	1 + floor(bench.u(i, :seed, 7) * greatest(:n / 10, 1))::int AS account_id,
	round((10 + bench.u(i, :seed, 9) * 490)::numeric, 2)::numeric(12,2) AS amount
FROM (
	SELECT i,
		CASE WHEN bench.u(i, :seed, 1) < 0.5
		THEN (date '2019-01-01' + floor(bench.u(i, :seed, 2) * 60)::int * interval '1 month')::date
		ELSE date '2019-01-01' + floor(bench.u(i, :seed, 3) * 1826)::int END AS d
	FROM generate_series(1, :n) AS i
) g
ORDER BY bench.u(i, :seed, 8);

CREATE TABLE :pay AS
SELECT i AS id,
	CASE WHEN bench.u(i, :seed, 15) < 0.001 THEN NULL ELSE d END AS date,
	CASE WHEN bench.u(i, :seed, 16) < 0.001 THEN NULL
		WHEN kind < 0.06 AND kind >= 0.01
		THEN (date '2035-01-01' + floor(bench.u(i, :seed, 14) * 12)::int * interval '1 month')::date
		ELSE date_trunc('month', d - floor(bench.u(i, :seed, 14) * 75)::int)::date END AS month,
	1 + floor(bench.u(i, :seed, 17) * greatest(:n / 10, 1))::int AS account_id,
	round((bench.u(i, :seed, 20) * 700)::numeric, 2)::numeric(12,2) AS amount
FROM (
	SELECT i, kind,
		CASE WHEN kind < 0.01
		THEN date '2018-12-31' - floor(bench.u(i, :seed, 12) * 365)::int
		WHEN bench.u(i, :seed, 19) < 0.1
		THEN (date '2019-01-01' + floor(bench.u(i, :seed, 12) * 62)::int * interval '1 month')::date
		ELSE date '2019-01-01' + floor(bench.u(i, :seed, 13) * 1886)::int END AS d
	FROM (SELECT i, bench.u(i, :seed, 11) AS kind
		  FROM generate_series(1, :n) AS i) k
) g
ORDER BY bench.u(i, :seed, 18);

VACUUM ANALYZE :acc;
VACUUM ANALYZE :pay;
