-- a_loop.sql: the PL/pgSQL allocation loop with running balances
-- (bench.loop_allocate in setup.sql).
SET max_parallel_workers_per_gather = 0;
\ir measure_begin.sql
SELECT count(*) AS bench_out FROM bench.loop_allocate(:'pay', :'acc') \gset
\ir measure_end.sql
