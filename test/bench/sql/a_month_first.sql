-- a_month_first.sql: allocate_payments(), strategy 'month_first'.
\ir measure_begin.sql
SELECT count(*) AS bench_out FROM allocate_payments(:'pay', :'acc', 'month_first') \gset
\ir measure_end.sql
