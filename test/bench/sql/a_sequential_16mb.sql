-- a_sequential_16mb.sql: allocate_payments() 'sequential' with work_mem
-- 16MB, so that the result's tuplestore spills early and the peak memory
-- is mostly the allocator's own (rows, amounts, chains).
SET max_parallel_workers_per_gather = 0;
SET work_mem = '16MB';
\ir measure_begin.sql
SELECT count(*) AS bench_out FROM allocate_payments(:'pay', :'acc', 'sequential') \gset
\ir measure_end.sql
