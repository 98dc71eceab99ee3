-- t_desc.sql: action_summary() over n distinct types in descending order,
-- the order that costs most when types are inserted into a sorted array.
\set first :n
\set last 1
\set step -1
\ir t_aggregate_query.sql
