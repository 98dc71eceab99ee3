-- m_sequential.sql: match_payments(), strategy 'sequential'.  Settings
-- come from run.sh (none: PostgreSQL's defaults, or a raised work_mem).
\ir measure_begin.sql
SELECT count(*) AS bench_out FROM match_payments(:'pay', :'acc', 'sequential') \gset
\ir measure_end.sql
