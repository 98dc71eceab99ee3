-- a_partitioned_month_first.sql: allocate_payments() per account
-- (partition_by), strategy 'month_first'.
\ir measure_begin.sql
SELECT count(*) AS bench_out
FROM allocate_payments(:'pay', :'acc', 'month_first', partition_by => 'account_id') \gset
\ir measure_end.sql
