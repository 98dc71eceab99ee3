-- m_month_first.sql: match_payments(), strategy 'month_first'.
\ir measure_begin.sql
SELECT count(*) AS bench_out FROM match_payments(:'pay', :'acc', 'month_first') \gset
\ir measure_end.sql
