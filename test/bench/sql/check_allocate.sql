-- check_allocate.sql: allocate_payments() (sequential) must give each
-- payment rows adding up to its amount, allocate no accrual beyond its
-- amount, only to strictly earlier accruals; with loop = 'on' (sizes up
-- to 10k) it must equal the PL/pgSQL allocation loop row for row, in
-- order.  The data must exercise splits both ways and credit.  Raises an
-- error (psql exits non-zero) otherwise; prints "rows|<sequential
-- rows>|<month_first rows>|<partition_by sequential rows>|<partition_by
-- month_first rows>", what the measured runs must return (the rows of the
-- other three are checked to add up to the payments' total).  psql
-- variables: acc, pay, loop.
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE bench_alloc_result AS
	SELECT * FROM allocate_payments(:'pay', :'acc') WITH ORDINALITY
		AS f(payment_id, accrual_id, amount, matched_by, partition_key, ord);

-- the other strategy and per account: row counts, and the amounts must add
-- up to the payments' total.  The functions run at the session's settings
-- (those of the measured runs); the joins that check their rows after them
-- get more memory, to be quick on large tables.
SELECT sum(amount) AS total FROM :pay \gset c_
SELECT count(*) AS mf_nrows, sum(amount) IS DISTINCT FROM :c_total AS mf_bad_total
FROM allocate_payments(:'pay', :'acc', 'month_first') \gset c_
SELECT count(*) AS ps_nrows, sum(amount) IS DISTINCT FROM :c_total AS ps_bad_total
FROM allocate_payments(:'pay', :'acc', 'sequential', partition_by => 'account_id') \gset c_
SELECT count(*) AS pm_nrows, sum(amount) IS DISTINCT FROM :c_total AS pm_bad_total
FROM allocate_payments(:'pay', :'acc', 'month_first', partition_by => 'account_id') \gset c_

SET work_mem = '1GB';
SELECT
	(SELECT count(*) FROM :pay p LEFT JOIN (
		SELECT payment_id, sum(amount) AS total FROM bench_alloc_result GROUP BY payment_id) r
		ON r.payment_id = p.id WHERE p.amount IS DISTINCT FROM r.total) AS bad_sums,
	(SELECT count(*) FROM (SELECT 1 FROM bench_alloc_result r JOIN :acc a ON a.id = r.accrual_id
		GROUP BY a.id, a.amount HAVING sum(r.amount) > a.amount) x) AS over_allocated,
	(SELECT count(*) FROM bench_alloc_result r JOIN :pay p ON p.id = r.payment_id
		JOIN :acc a ON a.id = r.accrual_id WHERE NOT a.date < p.date) AS not_earlier,
	(SELECT count(*) FROM (SELECT 1 FROM bench_alloc_result WHERE accrual_id IS NOT NULL
		GROUP BY payment_id HAVING count(*) > 1) x) AS split_payments,
	(SELECT count(*) FROM (SELECT 1 FROM bench_alloc_result WHERE accrual_id IS NOT NULL
		GROUP BY accrual_id HAVING count(*) > 1) x) AS shared_accruals,
	(SELECT count(*) FROM bench_alloc_result WHERE accrual_id IS NULL AND amount > 0) AS credits,
	(SELECT count(*) FROM bench_alloc_result) AS nrows
\gset c_

\echo check allocation: rows :c_nrows (month_first :c_mf_nrows, partition_by :c_ps_nrows and :c_pm_nrows), payments split :c_split_payments, accruals shared :c_shared_accruals, credits :c_credits; wrong sums :c_bad_sums, over-allocated :c_over_allocated, not earlier :c_not_earlier

\if :loop
CREATE TEMP TABLE bench_alloc_loop AS
	SELECT * FROM bench.loop_allocate(:'pay', :'acc') WITH ORDINALITY
		AS f(payment_id, accrual_id, amount, matched_by, ord);
SELECT count(*) AS c_loop_diff FROM bench_alloc_loop l
	FULL JOIN bench_alloc_result f ON f.ord = l.ord AND f.payment_id = l.payment_id
		AND f.accrual_id IS NOT DISTINCT FROM l.accrual_id AND f.amount = l.amount
		AND f.matched_by IS NOT DISTINCT FROM l.matched_by
	WHERE f.ord IS NULL OR l.ord IS NULL \gset
\echo check allocation: rows differing from the PL/pgSQL loop :c_loop_diff
\else
SELECT 0 AS c_loop_diff \gset
\endif

SELECT set_config('bench.check', format('%s %s %s %s %s %s %s %s',
	:c_bad_sums, :c_over_allocated, :c_not_earlier, :c_loop_diff,
	:c_split_payments, :c_shared_accruals, :c_credits,
	(:'c_mf_bad_total'::bool OR :'c_ps_bad_total'::bool OR :'c_pm_bad_total'::bool)::int),
	false) \g /dev/null

DO $$
DECLARE
	v bigint[] := string_to_array(current_setting('bench.check'), ' ')::bigint[];
BEGIN
	IF v[1] <> 0 OR v[2] <> 0 OR v[3] <> 0 OR v[4] <> 0 OR v[8] <> 0 THEN
		RAISE EXCEPTION 'allocate_payments() gives a wrong allocation'
			USING DETAIL = format('wrong sums %s, over-allocated accruals %s, not earlier %s, rows differing from the loop %s, total of month_first or partition_by wrong %s',
								  v[1], v[2], v[3], v[4], v[8]);
	END IF;
	IF v[5] = 0 OR v[6] = 0 OR v[7] = 0 THEN
		RAISE EXCEPTION 'benchmark data does not exercise allocation'
			USING DETAIL = format('split payments %s, shared accruals %s, credits %s', v[5], v[6], v[7]);
	END IF;
END
$$;

SELECT 'rows', :c_nrows, :c_mf_nrows, :c_ps_nrows, :c_pm_nrows;
