--
-- action_summary in parallel plans: the partial states of the workers go
-- to the leader flat, as action_summary_state values, and are combined
-- there; the result must be the one of a serial plan.
--
CREATE EXTENSION IF NOT EXISTS accmatch;
SET TimeZone = 'UTC';

-- 30000 rows (few enough that ANALYZE reads them all, so plans are
-- stable): 1000 accounts with all four types, other types, NULL types and
-- NULL created_at, plus 10 accounts whose only rows have a NULL type.
CREATE TABLE par_action AS
SELECT g AS id,
	   (g * 7919) % 1000 AS number,
	   CASE g % 11
		   WHEN 0 THEN NULL
		   WHEN 1 THEN 'create'
		   WHEN 2 THEN 'read'
		   WHEN 3 THEN 'read'
		   WHEN 4 THEN 'update'
		   WHEN 5 THEN 'delete'
		   WHEN 6 THEN 'share'
		   WHEN 7 THEN 'x' || (g % 13)
		   ELSE 'read'
	   END AS type,
	   CASE WHEN g % 17 = 0 THEN NULL
		   ELSE timestamptz '2016-01-01' + (g * 7907 % 100000) * interval '1 minute'
	   END AS created_at
FROM generate_series(1, 29990) g
UNION ALL
SELECT 29990 + g, 1000 + g, NULL, timestamptz '2016-01-01'
FROM generate_series(1, 10) g;
ANALYZE par_action;

-- Enough memory that the planner hashes the 1010 groups, whatever it
-- assumes of a state's size.
SET work_mem = '64MB';
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
-- The workers do all the scanning, so their states always go to the
-- leader and through its combine function.
SET parallel_leader_participation = off;

-- True when the statement ran with at least one parallel worker.
CREATE FUNCTION ran_in_parallel(query text) RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
	plan json;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, COSTS OFF, TIMING OFF) ' || query
		INTO plan;
	RETURN (plan -> 0 -> 'Plan' ->> 'Workers Launched')::int > 0
		OR (plan -> 0 -> 'Plan' -> 'Plans' -> 0 ->> 'Workers Launched')::int > 0;
END
$$;

-- One summary of the whole table.
EXPLAIN (COSTS OFF)
SELECT action_summary(type, created_at) FROM par_action;
SELECT ran_in_parallel('SELECT action_summary(type, created_at) FROM par_action');
CREATE TEMP TABLE par_total AS
SELECT action_summary(type, created_at) AS s FROM par_action;

-- One summary per account.
EXPLAIN (COSTS OFF)
SELECT number, action_summary(type, created_at) FROM par_action GROUP BY number;
SELECT ran_in_parallel('SELECT number, action_summary(type, created_at) FROM par_action GROUP BY number');
CREATE TEMP TABLE par_groups AS
SELECT number, action_summary(type, created_at) AS s
FROM par_action GROUP BY number;

-- The same by sorting, so that the final step is a GroupAggregate.
SET enable_hashagg = off;
EXPLAIN (COSTS OFF)
SELECT number, action_summary(type, created_at) FROM par_action GROUP BY number;
CREATE TEMP TABLE par_groups_sorted AS
SELECT number, action_summary(type, created_at) AS s
FROM par_action GROUP BY number;
RESET enable_hashagg;

-- The serial plans.
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF)
SELECT number, action_summary(type, created_at) FROM par_action GROUP BY number;
CREATE TEMP TABLE ser_total AS
SELECT action_summary(type, created_at) AS s FROM par_action;
CREATE TEMP TABLE ser_groups AS
SELECT number, action_summary(type, created_at) AS s
FROM par_action GROUP BY number;

-- No differences, either way.
SELECT (SELECT s FROM par_total) = (SELECT s FROM ser_total) AS same_total;
SELECT count(*) AS groups,
	   (SELECT count(*) FROM (SELECT * FROM par_groups EXCEPT SELECT * FROM ser_groups) d) AS only_parallel,
	   (SELECT count(*) FROM (SELECT * FROM ser_groups EXCEPT SELECT * FROM par_groups) d) AS only_serial,
	   (SELECT count(*) FROM (SELECT * FROM par_groups_sorted EXCEPT SELECT * FROM ser_groups) d) AS only_parallel_sorted,
	   (SELECT count(*) FROM (SELECT * FROM ser_groups EXCEPT SELECT * FROM par_groups_sorted) d) AS only_serial_sorted
FROM ser_groups;

-- And both are right: the same summaries written in plain SQL (the four
-- types with zeros, then the others in C collation order).
CREATE TEMP TABLE sql_groups AS
WITH fixed(type, ord) AS (
	VALUES ('create', 1), ('read', 2), ('update', 3), ('delete', 4)
), accounts AS (
	SELECT DISTINCT number FROM par_action
), per_type AS (
	SELECT number, type, count(*) AS count, max(created_at) AS last
	FROM par_action WHERE type IS NOT NULL
	GROUP BY number, type
), entries AS (
	SELECT a.number, f.ord, f.type, coalesce(p.count, 0) AS count, p.last
	FROM accounts a CROSS JOIN fixed f
	LEFT JOIN per_type p ON p.number = a.number AND p.type = f.type
	UNION ALL
	SELECT p.number, 5, p.type, p.count, p.last
	FROM per_type p WHERE p.type NOT IN (SELECT type FROM fixed)
)
SELECT number,
	   jsonb_agg(jsonb_build_object('type', type, 'last', last, 'count', count)
				 ORDER BY ord, type COLLATE "C") AS s
FROM entries GROUP BY number;
SELECT count(*) AS groups,
	   count(*) FILTER (WHERE p.s IS DISTINCT FROM q.s) AS differ_from_sql
FROM par_groups p FULL JOIN sql_groups q USING (number);

-- What was compared: the total, entry by entry, and two accounts, one of
-- them with only NULL types.
SELECT e.*
FROM par_total,
	ROWS FROM (jsonb_to_recordset(s) AS (type text, last text, count int))
		WITH ORDINALITY AS e(type, last, count, pos)
ORDER BY e.pos;
SELECT number, e.*
FROM par_groups,
	ROWS FROM (jsonb_to_recordset(s) AS (type text, last text, count int))
		WITH ORDINALITY AS e(type, last, count, pos)
WHERE number IN (0, 1001)
ORDER BY number, e.pos;

--
-- States in parallel: action_summary_partial and action_summary_merge
-- run partial aggregates whose states (of type action_summary_state) the
-- workers hand to the leader flat; the 1.1 aggregate action_summary_v11
-- still serializes its internal state.
--
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT number, action_summary_partial(type, created_at) FROM par_action GROUP BY number;
SELECT ran_in_parallel('SELECT number, action_summary_partial(type, created_at) FROM par_action GROUP BY number');
CREATE TEMP TABLE par_states AS
SELECT number, action_summary_partial(type, created_at) AS st
FROM par_action GROUP BY number;
CREATE TEMP TABLE par_v11 AS
SELECT number, action_summary_v11(type, created_at) AS s
FROM par_action GROUP BY number;

-- states stored per account and part of its rows, merged again in
-- parallel, a hundred accounts to a group
CREATE TABLE par_state_table AS
SELECT number / 100 AS hundreds, number, id % 20 AS part,
	   action_summary_partial(type, created_at) AS st
FROM par_action GROUP BY number, id % 20;
ANALYZE par_state_table;
EXPLAIN (COSTS OFF)
SELECT hundreds, action_summary_merge(st) FROM par_state_table GROUP BY hundreds;
SELECT ran_in_parallel('SELECT hundreds, action_summary_merge(st) FROM par_state_table GROUP BY hundreds');
CREATE TEMP TABLE par_merged AS
SELECT hundreds, action_summary_merge(st) AS st
FROM par_state_table GROUP BY hundreds;

SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE ser_states AS
SELECT number, action_summary_partial(type, created_at) AS st
FROM par_action GROUP BY number;
CREATE TEMP TABLE ser_merged AS
SELECT number / 100 AS hundreds, action_summary_partial(type, created_at) AS st
FROM par_action GROUP BY 1;

SELECT count(*) AS groups,
	   count(*) FILTER (WHERE p.st::text IS DISTINCT FROM q.st::text) AS states_differ,
	   count(*) FILTER (WHERE action_summary_result(p.st) IS DISTINCT FROM g.s) AS results_differ,
	   count(*) FILTER (WHERE v.s::text IS DISTINCT FROM g.s::text) AS v11_differs
FROM par_states p
FULL JOIN ser_states q USING (number)
FULL JOIN ser_groups g USING (number)
FULL JOIN par_v11 v USING (number);
SELECT count(*) AS groups,
	   count(*) FILTER (WHERE p.st::text IS DISTINCT FROM q.st::text) AS merged_differ
FROM par_merged p FULL JOIN ser_merged q USING (hundreds);

DROP FUNCTION ran_in_parallel(text);
DROP TABLE par_action, par_state_table;
