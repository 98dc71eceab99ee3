-- s_aggregate_parallel.sql: action_summary() with parallel workers (the
-- plan is forced to be parallel; see check_summary.sql for the proof).
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
\ir s_aggregate_query.sql
