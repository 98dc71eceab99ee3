-- d_sql.sql: document summaries in SQL with jsonb_array_elements (the view
-- :doc_view, defined in views_summary.sql).
\ir measure_begin.sql
SELECT count(doc_summary) AS bench_out FROM :doc_view \gset
\ir measure_end.sql
