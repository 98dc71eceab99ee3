-- m_loop.sql: the PL/pgSQL loop with indexes (bench.loop_match in setup.sql).
SET max_parallel_workers_per_gather = 0;
\ir measure_begin.sql
SELECT count(*) AS bench_out FROM bench.loop_match(:'pay', :'acc') \gset
\ir measure_end.sql
