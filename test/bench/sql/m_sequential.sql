-- m_sequential.sql: match_payments(), strategy 'sequential'.
SET max_parallel_workers_per_gather = 0;
\ir measure_begin.sql
SELECT count(*) AS bench_out FROM match_payments(:'pay', :'acc', 'sequential') \gset
\ir measure_end.sql
