-- m_partitioned.sql: match_payments() per account (partition_by).
SET max_parallel_workers_per_gather = 0;
\ir measure_begin.sql
SELECT count(*) AS bench_out
FROM match_payments(:'pay', :'acc', partition_by => 'account_id') \gset
\ir measure_end.sql
