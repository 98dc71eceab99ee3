-- t_asc.sql: action_summary() over n distinct types in ascending order.
\set first 1
\set last :n
\set step 1
\ir t_aggregate_query.sql
