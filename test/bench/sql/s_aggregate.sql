-- s_aggregate.sql: action_summary(), serial.
SET max_parallel_workers_per_gather = 0;
\ir s_aggregate_query.sql
