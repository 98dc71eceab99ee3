-- s_aggregate_parallel.sql: action_summary() with parallel workers (the
-- plan is forced to be parallel; see check_summary.sql for the proof).
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
-- Not 0: with free tuple transfer, PostgreSQL 18 gathers the joined rows
-- and aggregates them in the leader alone (15 and 17 do not); a small
-- cost keeps the partial aggregation in the workers on all three.
SET parallel_tuple_cost = 0.01;
SET min_parallel_table_scan_size = 0;
\ir s_aggregate_query.sql
