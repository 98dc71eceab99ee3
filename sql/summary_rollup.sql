--
-- Rollups: states per account and day, stored, merged later; the 1.1
-- aggregate action_summary_v11 next to the new one.
--
CREATE EXTENSION IF NOT EXISTS accmatch;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- summary_rows(summary) and try_sql(query) are in sql/setup.sql.

-- 3000 actions of 40 accounts over 10 days: the four types, others, NULL
-- types and NULL created_at; accounts 41 to 43 have only NULL types.
CREATE TABLE roll_action AS
SELECT g AS id,
	   1 + (g * 7) % 40 AS account,
	   CASE g % 13
		   WHEN 0 THEN NULL
		   WHEN 1 THEN 'create' WHEN 2 THEN 'update' WHEN 3 THEN 'delete'
		   WHEN 4 THEN 'share' WHEN 5 THEN 'x' || (g % 7)
		   WHEN 6 THEN 'Read' WHEN 7 THEN ''
		   ELSE 'read'
	   END AS type,
	   CASE WHEN g % 17 = 0 THEN NULL
		   ELSE timestamptz '2016-01-01' + (g * 7919 % 864000) * interval '1 second'
				+ (g % 1000) * interval '1 microsecond'
	   END AS created_at
FROM generate_series(1, 3000) g
UNION ALL
SELECT 3000 + g, 40 + g, NULL, timestamptz '2016-01-05'
FROM generate_series(1, 3) g;

-- The rollup: one state per account and day (rows without created_at go
-- to a day of their own).
CREATE TABLE roll_daily AS
SELECT account, created_at::date AS day,
	   action_summary_partial(type, created_at) AS actions
FROM roll_action
GROUP BY account, created_at::date;

SELECT count(*) AS states, count(DISTINCT account) AS accounts,
	   count(*) FILTER (WHERE actions::text = '0 0 0 0') AS empty_states
FROM roll_daily;

-- The summary per account, from the raw rows, and merged from the rollup
-- three ways: the aggregate over states, action_summary_result of merged
-- states, and merged states stored and read back as text.
CREATE TEMP TABLE roll_direct AS
SELECT account, action_summary(type, created_at) AS s
FROM roll_action GROUP BY account;

SELECT count(*) AS accounts,
	   count(*) FILTER (WHERE d.s IS DISTINCT FROM m.s) AS differ_aggregate,
	   count(*) FILTER (WHERE d.s IS DISTINCT FROM r.s) AS differ_result,
	   count(*) FILTER (WHERE d.s IS DISTINCT FROM t.s) AS differ_text
FROM roll_direct d
FULL JOIN (SELECT account, action_summary(actions) AS s
		   FROM roll_daily GROUP BY account) m USING (account)
FULL JOIN (SELECT account, action_summary_result(action_summary_merge(actions)) AS s
		   FROM roll_daily GROUP BY account) r USING (account)
FULL JOIN (SELECT account, action_summary(actions::text::action_summary_state) AS s
		   FROM roll_daily GROUP BY account) t USING (account);

-- Merging in another grouping (by day, over all accounts) and merging
-- merged states give the same as the raw rows.
SELECT (SELECT action_summary(type, created_at) FROM roll_action)
		   = (SELECT action_summary(actions) FROM roll_daily) AS total_same,
	   (SELECT action_summary(type, created_at) FROM roll_action)
		   = (SELECT action_summary(s) FROM (SELECT action_summary_merge(actions) AS s
											 FROM roll_daily GROUP BY day) d) AS by_day_same,
	   (SELECT count(*) FROM (
			SELECT created_at::date, action_summary(type, created_at) FROM roll_action GROUP BY 1
			EXCEPT
			SELECT day, action_summary(actions) FROM roll_daily GROUP BY 1) x) AS days_differ;

-- Byte-identical to the aggregate of 1.1, renamed action_summary_v11.
SELECT count(*) AS accounts,
	   count(*) FILTER (WHERE d.s::text IS DISTINCT FROM v.s::text) AS differ_from_v11
FROM roll_direct d
FULL JOIN (SELECT account, action_summary_v11(type, created_at) AS s
		   FROM roll_action GROUP BY account) v USING (account);

-- What was compared, for two accounts: one with every kind of entry, one
-- with only NULL types (four zero entries).
SELECT d.account, r.*
FROM roll_direct d, summary_rows(d.s) r
WHERE d.account IN (1, 41)
ORDER BY d.account, r.pos;

--
-- NULLs: a NULL state is skipped by the merging aggregates, which give the
-- empty state (or the four zero entries) when there is nothing to merge.
--
SELECT action_summary_merge(s) AS merged, action_summary(s) AS summary
FROM (VALUES (NULL::action_summary_state), ('1 0 0 0'), (NULL)) v(s);
SELECT action_summary_merge(s) AS merged, action_summary(s) AS summary
FROM (VALUES (NULL::action_summary_state)) v(s);
SELECT action_summary_merge(s) AS merged, action_summary(s) AS summary
FROM (VALUES (NULL::action_summary_state)) v(s) WHERE false;
SELECT action_summary_partial(type, created_at) AS partial
FROM roll_action WHERE false;

-- Merging adds counts and keeps the latest time of each type.
SELECT action_summary_merge(s)
FROM (VALUES ('1@2016-01-01T00:00:00Z 2 0 3@2016-01-03T00:00:00Z "a":1'::action_summary_state),
			 ('4@2015-01-01T00:00:00Z 0 5@2017-01-01T00:00:00Z 6 "a":2@2016-01-01T00:00:00Z "b":1'),
			 ('0 7@-infinity 0 0 "0":1')) v(s);

-- A count beyond bigint is an error, as count(*) would be.
SELECT state, message, detail FROM try_sql($$
	SELECT action_summary_merge(s)
	FROM (VALUES ('9223372036854775807 0 0 0'::action_summary_state), ('1 0 0 0')) v(s)$$);
SELECT state, message, detail FROM try_sql($$
	SELECT action_summary_merge(s)
	FROM (VALUES ('0 0 0 0 "a":9223372036854775807'::action_summary_state), ('0 0 0 0 "a":1')) v(s)$$);

--
-- The states in other plans.
--

-- Sorted after the aggregate: each state is written flat into the sort
-- (PostgreSQL 17 and later sort in a memory context without pfree), the
-- other types put in order on the way.
EXPLAIN (COSTS OFF)
SELECT account, split_part(actions::text, ' ', 1) AS create_counter,
	   length(actions::text) AS length
FROM (SELECT account, action_summary_partial(type, created_at) AS actions
	  FROM roll_action WHERE account <= 3 OR account > 40 GROUP BY account
	  ORDER BY account DESC OFFSET 0) s;
SELECT account, split_part(actions::text, ' ', 1) AS create_counter,
	   length(actions::text) AS length
FROM (SELECT account, action_summary_partial(type, created_at) AS actions
	  FROM roll_action WHERE account <= 3 OR account > 40 GROUP BY account
	  ORDER BY account DESC OFFSET 0) s;

-- By sorting instead of hashing, and with grouping sets.
SET enable_hashagg = off;
SELECT count(*) FILTER (WHERE d.s IS DISTINCT FROM m.s) AS differ_sorted
FROM roll_direct d
JOIN (SELECT account, action_summary(actions) AS s FROM roll_daily GROUP BY account) m
	USING (account);
RESET enable_hashagg;
SELECT g.account IS NULL AS total, count(*) AS sets,
	   bool_and(g.s = coalesce(d.s, (SELECT action_summary(type, created_at) FROM roll_action)))
		   AS same
FROM (SELECT account, action_summary(actions) AS s
	  FROM roll_daily GROUP BY GROUPING SETS ((account), ())) g
LEFT JOIN roll_direct d USING (account)
GROUP BY 1 ORDER BY 1;

-- action_summary and action_summary_partial over the same rows share one
-- state; each gives its own result.
SELECT action_summary(type, created_at)
		   = action_summary_result(action_summary_partial(type, created_at)) AS same,
	   action_summary(type, created_at) = (SELECT s FROM roll_direct WHERE account = 2)
		   AS right
FROM roll_action WHERE account = 2;

-- A running merge over the days of an account, as a window: the read
-- counter grows day by day.
SELECT day, split_part(action_summary_merge(actions) OVER (ORDER BY day)::text, ' ', 2)
		   AS read_counter
FROM roll_daily WHERE account = 3 AND day IS NOT NULL
ORDER BY day;

-- A state made by a subquery's aggregate merged by the outer one (the
-- outer merge reads the inner state in memory).
SELECT action_summary(s) = (SELECT action_summary(type, created_at) FROM roll_action) AS same
FROM (SELECT action_summary_partial(type, created_at) AS s
	  FROM roll_action GROUP BY account % 3) q;

--
-- The support functions refuse to run outside an aggregate.
--
SELECT state, message, detail
FROM try_sql($$SELECT action_summary_state_add(NULL, 'read', '2016-01-01T00:00:00Z')$$);
SELECT state, message, detail
FROM try_sql($$SELECT action_summary_state_merge('0 0 0 0', '1 0 0 0')$$);
-- The final functions can be called: they only read.
SELECT action_summary_state_final(NULL) = action_summary_result('0 0 0 0') AS zeros,
	   action_summary_state_finish(NULL)::text AS empty,
	   action_summary_state_finish('1 0 0 0')::text AS same;

DROP TABLE roll_action, roll_daily;
