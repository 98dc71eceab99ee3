-- check_typed.sql: match_payments_typed() on the tables :tpay and :tacc,
-- whose ids are of type :idtype, must give the rows match_payments() gives
-- when each id is replaced by its rank in the id's order (under the id
-- column's collation): one row per payment, the same matches.  Raises an
-- error (psql exits non-zero) otherwise.  psql variables: tpay, tacc,
-- idtype.
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
DROP TABLE IF EXISTS bench_tp, bench_ta, bench_tip, bench_tia, bench_typed, bench_int;

CREATE TEMP TABLE bench_tp AS SELECT id, row_number() OVER (ORDER BY id) AS n FROM :tpay;
CREATE TEMP TABLE bench_ta AS SELECT id, row_number() OVER (ORDER BY id) AS n FROM :tacc;
CREATE TEMP TABLE bench_tip AS
	SELECT m.n AS id, t.date, t.month FROM :tpay t JOIN bench_tp m ON m.id = t.id;
CREATE TEMP TABLE bench_tia AS
	SELECT m.n AS id, t.date, t.month FROM :tacc t JOIN bench_ta m ON m.id = t.id;
ANALYZE bench_tp, bench_ta, bench_tip, bench_tia;

-- ids compared as text under "C": the result's column need not carry the
-- table's collation
CREATE TEMP TABLE bench_typed AS
	SELECT p.n AS payment_id, a.n AS accrual_id, r.matched_by
	FROM match_payments_typed(CAST(NULL AS :idtype), :'tpay', :'tacc') r
	LEFT JOIN bench_tp p ON p.id::text COLLATE "C" = r.payment_id::text
	LEFT JOIN bench_ta a ON a.id::text COLLATE "C" = r.accrual_id::text;
CREATE TEMP TABLE bench_int AS
	SELECT payment_id, accrual_id, matched_by FROM match_payments('bench_tip', 'bench_tia');

SELECT
	(SELECT count(*) FROM :tpay) AS payments,
	(SELECT count(*) FROM bench_typed) AS typed_rows,
	(SELECT count(*) FROM bench_typed WHERE payment_id IS NULL) AS unknown_ids,
	(SELECT count(*) FROM (TABLE bench_typed EXCEPT ALL TABLE bench_int) d) +
	(SELECT count(*) FROM (TABLE bench_int EXCEPT ALL TABLE bench_typed) d) AS diff,
	(SELECT count(*) FROM bench_int WHERE accrual_id IS NOT NULL) AS matched
\gset c_

\echo check :idtype ids (:tpay): payments :c_payments, match_payments_typed rows :c_typed_rows, differing from integer ranks :c_diff, matched :c_matched

SELECT set_config('bench.check', format('%s %s %s %s', :c_payments, :c_typed_rows,
	:c_unknown_ids, :c_diff), false) \g /dev/null
DO $$
DECLARE
	v bigint[] := string_to_array(current_setting('bench.check'), ' ')::bigint[];
BEGIN
	IF v[2] <> v[1] OR v[3] <> 0 OR v[4] <> 0 THEN
		RAISE EXCEPTION 'match_payments_typed() and match_payments() on the ids'' ranks differ'
			USING DETAIL = format('payments %s, typed rows %s, rows with an unknown payment id %s, rows differing %s',
								  v[1], v[2], v[3], v[4]);
	END IF;
END
$$;

DROP TABLE bench_tp, bench_ta, bench_tip, bench_tia, bench_typed, bench_int;
