-- check_match.sql: the PL/pgSQL loop and match_payments() (sequential) must
-- give the same (payment_id, accrual_id, matched_by) rows, one per payment;
-- the data must exercise month matches, oldest matches and unmatched
-- payments.  Raises an error (psql exits non-zero) otherwise.
-- psql variables: acc, pay.
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE bench_loop_result AS
	SELECT payment_id, accrual_id, matched_by FROM bench.loop_match(:'pay', :'acc');
CREATE TEMP TABLE bench_func_result AS
	SELECT payment_id, accrual_id, matched_by FROM match_payments(:'pay', :'acc');

SELECT
	(SELECT count(*) FROM :pay) AS payments,
	(SELECT count(*) FROM bench_loop_result) AS loop_rows,
	(SELECT count(*) FROM bench_func_result) AS func_rows,
	(SELECT count(*) FROM (TABLE bench_loop_result EXCEPT TABLE bench_func_result) d) AS loop_only,
	(SELECT count(*) FROM (TABLE bench_func_result EXCEPT TABLE bench_loop_result) d) AS func_only,
	(SELECT count(*) FROM bench_func_result WHERE matched_by = 'month') AS by_month,
	(SELECT count(*) FROM bench_func_result WHERE matched_by = 'oldest') AS by_oldest,
	(SELECT count(*) FROM bench_func_result WHERE accrual_id IS NULL) AS unmatched
\gset c_

\echo check: payments :c_payments, loop rows :c_loop_rows, match_payments rows :c_func_rows, only in loop :c_loop_only, only in match_payments :c_func_only (month :c_by_month, oldest :c_by_oldest, unmatched :c_unmatched)

SELECT set_config('bench.check', format('%s %s %s %s %s %s %s %s',
	:c_payments, :c_loop_rows, :c_func_rows, :c_loop_only, :c_func_only,
	:c_by_month, :c_by_oldest, :c_unmatched), false) \g /dev/null

DO $$
DECLARE
	v bigint[] := string_to_array(current_setting('bench.check'), ' ')::bigint[];
BEGIN
	IF v[2] <> v[1] OR v[3] <> v[1] OR v[4] <> 0 OR v[5] <> 0 THEN
		RAISE EXCEPTION 'PL/pgSQL loop and match_payments() differ'
			USING DETAIL = format('payments %s, loop rows %s, match_payments rows %s, rows only in the loop %s, only in match_payments %s',
								  v[1], v[2], v[3], v[4], v[5]);
	END IF;
	IF v[6] = 0 OR v[7] = 0 OR v[8] = 0 THEN
		RAISE EXCEPTION 'benchmark data does not exercise every outcome'
			USING DETAIL = format('month %s, oldest %s, unmatched %s', v[6], v[7], v[8]);
	END IF;
END
$$;

DROP TABLE bench_loop_result, bench_func_result;
