-- a_month_first.sql: allocate_payments(), strategy 'month_first'.
SET max_parallel_workers_per_gather = 0;
\ir measure_begin.sql
SELECT count(*) AS bench_out FROM allocate_payments(:'pay', :'acc', 'month_first') \gset
\ir measure_end.sql
