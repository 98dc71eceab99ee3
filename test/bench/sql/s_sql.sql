-- s_sql.sql: action summaries in plain SQL (the view :sum_view, defined in
-- views_summary.sql).
\ir measure_begin.sql
SELECT count(summary) AS bench_out FROM :sum_view \gset
\ir measure_end.sql
