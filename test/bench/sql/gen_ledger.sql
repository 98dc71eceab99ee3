-- gen_ledger.sql: ledgers and changed payments, for
-- allocation_corrections().  :ledger holds the rows of one full
-- allocate_payments() run over :pay and :acc, with its five columns, as
-- the README's ledger has them, and the time each row was booked;
-- :pledger those of one run per account (partition_by => 'account_id').
-- :cpay is :pay with 1% of the payments changed, drawn from the seed:
-- 0.6% get a new amount, 0.2% are deleted, and 0.2% as many new payments
-- are added back-dated (dated anywhere in the five years, as if booked
-- late).  Stored in random order, the kept rows in their order in :pay.
-- psql variables: acc, pay, cpay, ledger, pledger (table names), n, seed.

SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
DROP TABLE IF EXISTS :ledger, :pledger, :cpay;

CREATE TABLE :ledger (payment_id bigint, accrual_id bigint, amount numeric(12,2),
					  matched_by text, partition_key text,
					  booked_at timestamptz NOT NULL DEFAULT now());
INSERT INTO :ledger (payment_id, accrual_id, amount, matched_by, partition_key)
SELECT * FROM allocate_payments(:'pay', :'acc');
CREATE TABLE :pledger (LIKE :ledger INCLUDING DEFAULTS);
INSERT INTO :pledger (payment_id, accrual_id, amount, matched_by, partition_key)
SELECT * FROM allocate_payments(:'pay', :'acc', partition_by => 'account_id');

CREATE TABLE :cpay AS
SELECT id, date, month, account_id, amount FROM (
	SELECT id, date, month, account_id,
		CASE WHEN bench.u(id, :seed, 40) < 0.006
		THEN round((bench.u(id, :seed, 41) * 700)::numeric, 2)::numeric(12,2)
		ELSE amount END AS amount,
		bench.u(id, :seed, 18) AS pos
	FROM :pay
	WHERE NOT (bench.u(id, :seed, 40) >= 0.006 AND bench.u(id, :seed, 40) < 0.008)
	UNION ALL
	SELECT i, d, date_trunc('month', d - floor(bench.u(i, :seed, 44) * 75)::int)::date,
		1 + floor(bench.u(i, :seed, 45) * greatest(:n / 10, 1))::int,
		round((bench.u(i, :seed, 46) * 700)::numeric, 2)::numeric(12,2),
		bench.u(i, :seed, 18)
	FROM (SELECT :n + g AS i,
			date '2019-01-01' + floor(bench.u(:n + g, :seed, 42) * 1886)::int AS d
		  FROM generate_series(1, greatest(:n / 500, 1)) AS g) a
) c
ORDER BY pos;

VACUUM ANALYZE :ledger;
VACUUM ANALYZE :pledger;
VACUUM ANALYZE :cpay;
