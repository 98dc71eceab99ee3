-- m_partitioned.sql: match_payments() per account (partition_by).  At the
-- benchmark's work_mem (256MB) the rows of 1M + 1M are grouped in memory;
-- 10M + 10M are read ordered by key (see "Per-account matching" in the
-- README).
SET max_parallel_workers_per_gather = 0;
\ir measure_begin.sql
SELECT count(*) AS bench_out
FROM match_payments(:'pay', :'acc', partition_by => 'account_id') \gset
\ir measure_end.sql
