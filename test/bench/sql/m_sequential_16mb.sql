-- m_sequential_16mb.sql: match_payments() 'sequential' with work_mem 16MB,
-- the baseline for the memory of per-account matching at the same setting.
SET max_parallel_workers_per_gather = 0;
SET work_mem = '16MB';
\ir measure_begin.sql
SELECT count(*) AS bench_out FROM match_payments(:'pay', :'acc', 'sequential') \gset
\ir measure_end.sql
