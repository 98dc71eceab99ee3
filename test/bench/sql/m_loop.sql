-- m_loop.sql: the PL/pgSQL loop with indexes (bench.loop_match in setup.sql).
\ir measure_begin.sql
SELECT count(*) AS bench_out FROM bench.loop_match(:'pay', :'acc') \gset
\ir measure_end.sql
