-- month_memory.sql: with partition_by and a bound on its memory
-- (accmatch.partition_work_mem), the rows are matched in batches, and
-- month values are numbered afresh for each batch, so that memory holds
-- one batch's months at a time.  The backend's peak memory (VmHWM) after
-- matching tables whose every row has its own text month, under a bound
-- of 1MB, must not exceed by more than a few MB the peak after matching
-- the same rows with a single month under the same bound.  Without a
-- bound, the rows are held whole and months are numbered over all rows,
-- as whole-table matching does: 400,000 distinct months then raise the
-- peak by tens of MB, which the last test shows.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS accmatch;
SELECT plan(7);

CREATE FUNCTION pg_temp.hwm_kb() RETURNS bigint LANGUAGE sql VOLATILE AS $$
	SELECT substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\s*(\d+)')::bigint
$$;

-- 400,000 accruals and payments over 40,000 accounts; payment i pays the
-- month of accrual i, so that months are looked up as well as numbered
CREATE TEMP TABLE acc_distinct AS
SELECT i AS id, date '2024-01-01' + i % 97 AS date,
	lpad(i::text, 12, '0') AS month, i % 40000 AS acct
FROM generate_series(1, 400000) i;
CREATE TEMP TABLE pay_distinct AS
SELECT i AS id, date '2024-04-15' + i % 89 AS date,
	lpad(i::text, 12, '0') AS month, i % 40000 AS acct
FROM generate_series(1, 400000) i;
CREATE TEMP TABLE acc_one AS
SELECT id, date, lpad('0', 12, '0') AS month, acct FROM acc_distinct;
CREATE TEMP TABLE pay_one AS
SELECT id, date, lpad('0', 12, '0') AS month, acct FROM pay_distinct;
ANALYZE acc_distinct, pay_distinct, acc_one, pay_one;
SELECT pg_temp.hwm_kb() AS hwm_before \gset

SET accmatch.partition_work_mem = '1MB';
-- the single month first: it sets the peak of everything but the months
SELECT count(*) AS n_one,
	count(*) FILTER (WHERE matched_by = 'month') AS by_month_one
FROM match_payments('pay_one', 'acc_one', partition_by => 'acct') \gset
SELECT pg_temp.hwm_kb() AS hwm_one \gset
SELECT count(*) AS n_distinct,
	count(*) FILTER (WHERE matched_by = 'month') AS by_month_distinct
FROM match_payments('pay_distinct', 'acc_distinct', partition_by => 'acct') \gset
SELECT pg_temp.hwm_kb() AS hwm_distinct \gset
RESET accmatch.partition_work_mem;
-- no bound: the rows and all their months are held at once
SELECT count(*) AS n_unbounded,
	count(*) FILTER (WHERE matched_by = 'month') AS by_month_unbounded
FROM match_payments('pay_distinct', 'acc_distinct', partition_by => 'acct') \gset
SELECT pg_temp.hwm_kb() AS hwm_unbounded \gset

SELECT is(:n_distinct::bigint, 400000::bigint, 'one row per payment');
SELECT is(:by_month_distinct::bigint, 400000::bigint,
	'each payment finds the accrual of its month');
SELECT is(:by_month_one::bigint, 400000::bigint,
	'with one month too');
SELECT cmp_ok((:hwm_distinct - :hwm_one)::bigint, '<', 8192::bigint,
	format('under a 1MB bound, 400,000 distinct months raise the peak by %s kB, under 8 MB',
		:hwm_distinct - :hwm_one));
SELECT cmp_ok((:hwm_distinct - :hwm_before)::bigint, '<', (1024 + 12288)::bigint,
	format('under a 1MB bound, matching raised the peak by %s kB: the bound, the result store (work_mem) and a few MB',
		:hwm_distinct - :hwm_before));
SELECT is(:by_month_unbounded::bigint, 400000::bigint,
	'without a bound, the same matches');
SELECT cmp_ok((:hwm_unbounded - :hwm_distinct)::bigint, '>', 16384::bigint,
	format('without a bound the rows and months are held whole: the peak rises by %s kB more',
		:hwm_unbounded - :hwm_distinct));

SELECT * FROM finish();
ROLLBACK;
