-- a_partitioned.sql: allocate_payments() per account (partition_by),
-- strategy 'sequential'.
\ir measure_begin.sql
SELECT count(*) AS bench_out
FROM allocate_payments(:'pay', :'acc', 'sequential', partition_by => 'account_id') \gset
\ir measure_end.sql
