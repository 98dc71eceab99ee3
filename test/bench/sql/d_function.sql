-- d_function.sql: document summaries with account_actions().
\ir measure_begin.sql
SELECT count(account_actions(doc)) AS bench_out FROM :doc \gset
\ir measure_end.sql
