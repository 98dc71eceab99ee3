-- check_bounded.sql: per-account matching bounded by
-- accmatch.partition_work_mem, set low enough (1MB) that the rows of 100k
-- and more go to temporary files, must give the rows of the unbounded
-- call in the same order.  Raises an error (psql exits non-zero)
-- otherwise.  psql variables: acc, pay.
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_unbounded, bench_bounded;
CREATE TEMP TABLE bench_unbounded AS
	SELECT * FROM match_payments(:'pay', :'acc', partition_by => 'account_id')
		WITH ORDINALITY AS f(payment_id, accrual_id, matched_by, partition_key, ord);
SET accmatch.partition_work_mem = '1MB';
CREATE TEMP TABLE bench_bounded AS
	SELECT * FROM match_payments(:'pay', :'acc', partition_by => 'account_id')
		WITH ORDINALITY AS f(payment_id, accrual_id, matched_by, partition_key, ord);
RESET accmatch.partition_work_mem;

SELECT count(*) AS c_diff FROM bench_unbounded u
	FULL JOIN bench_bounded b ON b.ord = u.ord AND b.payment_id = u.payment_id
		AND b.accrual_id IS NOT DISTINCT FROM u.accrual_id
		AND b.matched_by IS NOT DISTINCT FROM u.matched_by
		AND b.partition_key IS NOT DISTINCT FROM u.partition_key
	WHERE u.ord IS NULL OR b.ord IS NULL \gset
\echo check partition_work_mem: rows differing between 1MB and no limit :c_diff

SELECT set_config('bench.check', :'c_diff', false) \g /dev/null
DO $$
BEGIN
	IF current_setting('bench.check')::bigint <> 0 THEN
		RAISE EXCEPTION 'per-account matching with accmatch.partition_work_mem = 1MB differs from no limit in % rows',
			current_setting('bench.check');
	END IF;
END
$$;
DROP TABLE bench_unbounded, bench_bounded;
