-- d_function.sql: document summaries with account_actions().
SET max_parallel_workers_per_gather = 0;
\ir measure_begin.sql
SELECT count(account_actions(doc)) AS bench_out FROM :doc \gset
\ir measure_end.sql
