-- m_partitioned_16mb.sql: match_payments() per account with work_mem 16MB.
-- At 1M + 1M and more the rows do not fit in work_mem * hash_mem_multiplier,
-- so they are read ordered by key: one account in memory; what else it uses
-- is PostgreSQL's: the two ordered scans' sorts and the result store, each
-- bounded by work_mem.
SET max_parallel_workers_per_gather = 0;
SET work_mem = '16MB';
\ir measure_begin.sql
SELECT count(*) AS bench_out
FROM match_payments(:'pay', :'acc', partition_by => 'account_id') \gset
\ir measure_end.sql
