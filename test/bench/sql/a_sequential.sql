-- a_sequential.sql: allocate_payments(), strategy 'sequential', on the
-- tables match_payments() reads, with their amount columns.
\ir measure_begin.sql
SELECT count(*) AS bench_out FROM allocate_payments(:'pay', :'acc', 'sequential') \gset
\ir measure_end.sql
