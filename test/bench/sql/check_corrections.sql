-- check_corrections.sql: the ledger (gen_ledger.sql) plus
-- allocation_corrections() for the changed payments :cpay must allocate
-- what one full allocate_payments() run over :cpay allocates: per
-- (payment, accrual), the amounts of the ledger's rows and of the
-- corrections add up to the full run's (a correction undoes a ledger row
-- with a negative amount, or adds a row).  For the unchanged payments
-- :pay the corrections must add up to nothing.  The changed payments must
-- change the allocation.  Raises an error (psql exits non-zero) otherwise;
-- prints "rows|<corrections for :cpay>|<corrections for :pay>", what the
-- measured runs must return.  Per account when :part is 'account_id'
-- (the ledger then of such a run).  psql variables: acc, pay, cpay,
-- ledger, part ('' for the whole table).
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
DROP TABLE IF EXISTS bench_corr, bench_corr_none;

CREATE TEMP TABLE bench_corr AS
	SELECT payment_id, accrual_id, amount FROM allocation_corrections(:'ledger', :'cpay', :'acc',
		partition_by => nullif(:'part', ''));
CREATE TEMP TABLE bench_corr_none AS
	SELECT payment_id, accrual_id, amount FROM allocation_corrections(:'ledger', :'pay', :'acc',
		partition_by => nullif(:'part', ''));

-- (payment, accrual or 0 for the unallocated row) -> amount
SELECT
	(SELECT count(*) FROM bench_corr) AS nrows,
	(SELECT count(*) FROM bench_corr_none) AS none_nrows,
	(SELECT count(*) FROM (
		SELECT payment_id, coalesce(accrual_id, 0) AS accrual_id, sum(amount) AS amount
		FROM allocate_payments(:'cpay', :'acc', partition_by => nullif(:'part', ''))
		GROUP BY 1, 2) f
	 FULL JOIN (
		SELECT payment_id, coalesce(accrual_id, 0) AS accrual_id, sum(amount) AS amount
		FROM (SELECT payment_id, accrual_id, amount FROM :ledger
			  UNION ALL TABLE bench_corr) u
		GROUP BY 1, 2) l USING (payment_id, accrual_id)
	 WHERE coalesce(f.amount, 0) <> coalesce(l.amount, 0)) AS diff,
	(SELECT count(*) FROM (
		SELECT 1 FROM bench_corr_none GROUP BY payment_id, coalesce(accrual_id, 0)
		HAVING sum(amount) <> 0) x) AS none_diff,
	(SELECT count(*) FROM (
		SELECT 1 FROM bench_corr GROUP BY payment_id, coalesce(accrual_id, 0)
		HAVING sum(amount) <> 0) x) AS changed_pairs
\gset c_

\echo check corrections, partition_by :'part': rows :c_nrows for 1% of payments changed (:c_changed_pairs (payment, accrual) amounts change), :c_none_nrows for nothing changed; differing from a full run :c_diff, not adding up to nothing :c_none_diff

SELECT set_config('bench.check', format('%s %s %s', :c_diff, :c_none_diff, :c_changed_pairs),
	false) \g /dev/null
DO $$
DECLARE
	v bigint[] := string_to_array(current_setting('bench.check'), ' ')::bigint[];
BEGIN
	IF v[1] <> 0 OR v[2] <> 0 THEN
		RAISE EXCEPTION 'the ledger plus allocation_corrections() differs from a full allocate_payments() run'
			USING DETAIL = format('(payment, accrual) amounts differing for the changed payments %s, not adding up to nothing for the unchanged ones %s',
								  v[1], v[2]);
	END IF;
	IF v[3] = 0 THEN
		RAISE EXCEPTION 'benchmark data: the changed payments change no allocation';
	END IF;
END
$$;

SELECT 'rows', :c_nrows, :c_none_nrows;
DROP TABLE bench_corr, bench_corr_none;
