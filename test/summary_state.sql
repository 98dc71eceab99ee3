--
-- pgTAP: action_summary_state on seeded random data: rollups per account
-- and day merged later equal the summary of the raw rows, through dumps of
-- the states as text and as binary (COPY); random states are written as an
-- independent SQL formatter writes them and read back exactly; merging is
-- the sum of counts and the latest times, in any order; every error has
-- its SQLSTATE.  Run with pg_prove (see the Makefile's prove target).
--
-- The COPY round trips go through a file in the server's data directory,
-- accmatch_summary_state.copy, left empty at the end.
--
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS accmatch;
SET LOCAL TimeZone = 'UTC';

SELECT plan(34);
SELECT setseed(0.20261205);

-- Empties the COPY file.
CREATE FUNCTION pg_temp.copy_file_clear() RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	EXECUTE format('COPY (SELECT 1 WHERE false) TO %L',
				   current_setting('data_directory') || '/accmatch_summary_state.copy');
END
$$;

-- Writes the rows of query to the COPY file and reads them back into the
-- table target, in the given format (text or binary).
CREATE FUNCTION pg_temp.copy_through_file(query text, target text, format text)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	path text := current_setting('data_directory') || '/accmatch_summary_state.copy';
BEGIN
	EXECUTE format('COPY (%s) TO %L (FORMAT %s)', query, path, format);
	EXECUTE format('COPY %s FROM %L (FORMAT %s)', target, path, format);
	PERFORM pg_temp.copy_file_clear();
END
$$;

--
-- Rollups over random actions
--

-- Type names of every kind: the four, others that differ from them by
-- case or a byte, the empty name, and random names of quotes, backslashes,
-- spaces, control characters, ':' and '@', and characters beyond ASCII.
CREATE TABLE tap_pool AS
SELECT DISTINCT name FROM (
	SELECT string_agg(substr(E'ab"\\ \t\n:@é€x', 1 + floor(random() * 12)::int, 1), '')
		AS name
	FROM generate_series(1, 400) i
	CROSS JOIN LATERAL generate_series(1, 1 + floor(random() * 6)::int + (i - i)) c
	GROUP BY i
	UNION ALL
	SELECT unnest(ARRAY['create', 'read', 'update', 'delete', 'Read', 'creat', 'created',
						'delete ', '', 'share'])
) t;
CREATE TABLE tap_pool_numbered AS
SELECT row_number() OVER (ORDER BY name COLLATE "C") AS k, name FROM tap_pool;

-- 20,000 actions of 300 accounts over 30 days; a quarter of them of the
-- pool's odd names, some NULL types, some NULL created_at (a day of their
-- own in the rollup), microseconds everywhere.
CREATE TABLE tap_act AS
SELECT g AS id,
	   1 + floor(random() * 300)::int AS account,
	   CASE WHEN random() < 0.05 THEN NULL
			WHEN random() < 0.75
				THEN (ARRAY['create', 'read', 'read', 'update', 'delete'])[1 + floor(random() * 5)::int]
			ELSE (SELECT name FROM tap_pool_numbered p WHERE p.k = r.k)
	   END AS type,
	   CASE WHEN random() < 0.05 THEN NULL
			ELSE timestamptz '2016-01-01 00:00:00+00'
				 + floor(random() * 30 * 86400 * 1000000)::bigint * interval '1 microsecond'
	   END AS created_at
FROM (SELECT g, 1 + floor(random() * (SELECT count(*) FROM tap_pool))::int AS k
	  FROM generate_series(1, 20000) g) r;
ANALYZE tap_act;

CREATE TABLE tap_daily AS
SELECT account, created_at::date AS day, action_summary_partial(type, created_at) AS s
FROM tap_act GROUP BY 1, 2;

CREATE TABLE tap_direct AS
SELECT account, action_summary(type, created_at) AS summary
FROM tap_act GROUP BY account;

SELECT ok((SELECT count(*) FROM tap_daily) > 5000
		  AND (SELECT count(*) FROM tap_act WHERE type IS NULL) > 0
		  AND (SELECT count(*) FROM tap_act WHERE created_at IS NULL) > 0
		  AND (SELECT count(DISTINCT type) FROM tap_act) > 100,
		  'the rollup has thousands of states and the actions many odd types');

SELECT results_eq(
	$$SELECT account, action_summary(s) FROM tap_daily GROUP BY account ORDER BY account$$,
	$$SELECT account, summary FROM tap_direct ORDER BY account$$,
	'action_summary over the daily states equals action_summary over the raw rows');
SELECT results_eq(
	$$SELECT account, action_summary_result(action_summary_merge(s))
	  FROM tap_daily GROUP BY account ORDER BY account$$,
	$$SELECT account, summary FROM tap_direct ORDER BY account$$,
	'action_summary_result of the merged daily states equals it too');
SELECT results_eq(
	$$SELECT account, action_summary(m) FROM (
		SELECT account, extract(day FROM day)::int % 7 AS part,
			action_summary_merge(s ORDER BY random()) AS m
		FROM tap_daily GROUP BY 1, 2) x
	  GROUP BY account ORDER BY account$$,
	$$SELECT account, summary FROM tap_direct ORDER BY account$$,
	'states merged in random order and in two steps equal it too');
SELECT results_eq(
	$$SELECT account, action_summary_v11(type, created_at)::text FROM tap_act
	  GROUP BY account ORDER BY account$$,
	$$SELECT account, summary::text FROM tap_direct ORDER BY account$$,
	'action_summary gives the jsonb of the 1.1 aggregate, byte for byte');

-- The daily states dumped and restored: as text and as binary (COPY), and
-- as text through a text column.
CREATE TABLE tap_daily_text (LIKE tap_daily);
CREATE TABLE tap_daily_binary (LIKE tap_daily);
SELECT pg_temp.copy_through_file('SELECT * FROM tap_daily', 'tap_daily_text', 'text');
SELECT pg_temp.copy_through_file('SELECT * FROM tap_daily', 'tap_daily_binary', 'binary');

SELECT is((SELECT count(*) FROM tap_daily_text), (SELECT count(*) FROM tap_daily),
		  'COPY in text restores every state');
SELECT is((SELECT count(*) FROM tap_daily d
		   JOIN tap_daily_text t ON t.account = d.account AND t.day IS NOT DISTINCT FROM d.day
		   WHERE action_summary_state_send(d.s) = action_summary_state_send(t.s)
			 AND d.s::text = t.s::text),
		  (SELECT count(*) FROM tap_daily),
		  'each state restored from text has its bytes and its text');
SELECT is((SELECT count(*) FROM tap_daily d
		   JOIN tap_daily_binary b ON b.account = d.account AND b.day IS NOT DISTINCT FROM d.day
		   WHERE action_summary_state_send(d.s) = action_summary_state_send(b.s)),
		  (SELECT count(*) FROM tap_daily),
		  'each state restored from binary COPY has its bytes');
SELECT is((SELECT count(*) FROM tap_daily
		   WHERE s::text::action_summary_state::text <> s::text),
		  0::bigint, 'each state cast to text and back is the same text');
SELECT results_eq(
	$$SELECT account, action_summary(s) FROM tap_daily_binary GROUP BY account ORDER BY account$$,
	$$SELECT account, summary FROM tap_direct ORDER BY account$$,
	'the states restored from binary merge into the raw rows'' summary');
SELECT results_eq(
	$$SELECT account, action_summary(s) FROM tap_daily_text GROUP BY account ORDER BY account$$,
	$$SELECT account, summary FROM tap_direct ORDER BY account$$,
	'the states restored from text merge into the raw rows'' summary');

-- The binary COPY of a state is its send form, which a bytea column reads.
CREATE TABLE tap_bytes (account int, day date, b bytea);
SELECT pg_temp.copy_through_file('SELECT * FROM tap_daily', 'tap_bytes', 'binary');
SELECT is((SELECT count(*) FROM tap_daily d
		   JOIN tap_bytes t ON t.account = d.account AND t.day IS NOT DISTINCT FROM d.day
		   WHERE t.b = action_summary_state_send(d.s)),
		  (SELECT count(*) FROM tap_daily),
		  'the binary form of a state is what send gives');

-- In parallel, the daily states merge into the same summaries.
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
SELECT results_eq(
	$$SELECT account, action_summary(s) FROM tap_daily GROUP BY account ORDER BY account$$,
	$$SELECT account, summary FROM tap_direct ORDER BY account$$,
	'the daily states merged in a parallel plan equal the raw rows'' summary');
SELECT results_eq(
	$$SELECT account, action_summary_partial(type, created_at)::text FROM tap_act
	  GROUP BY account ORDER BY account$$,
	$$SELECT account, action_summary_merge(s)::text FROM tap_daily
	  GROUP BY account ORDER BY account$$,
	'partial states made in parallel equal the merged daily states, as text');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

--
-- Random states, written by hand
--

-- The text form of a time, written with to_char from PostgreSQL's own
-- calendar: UTC, astronomical years, no trailing zeros in the fraction.
CREATE FUNCTION pg_temp.tap_time(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
	SELECT CASE
		WHEN t = 'infinity' THEN 'infinity'
		WHEN t = '-infinity' THEN '-infinity'
		ELSE (CASE WHEN to_char(u, 'BC') = 'BC'
				   THEN CASE WHEN to_char(u, 'YYYY')::int = 1 THEN '0000'
							 ELSE '-' || lpad((to_char(u, 'YYYY')::int - 1)::text, 4, '0') END
				   ELSE to_char(u, 'YYYY') END)
			 || to_char(u, '-MM-DD"T"HH24:MI:SS')
			 || CASE WHEN to_char(u, 'US') = '000000' THEN ''
					 ELSE '.' || rtrim(to_char(u, 'US'), '0') END
			 || 'Z'
	END
	FROM (SELECT t AT TIME ZONE 'UTC' AS u) x
$$;

-- A random time: mostly in 3500 BC to 4700 AD to the microsecond, some at
-- the ends of the range.
CREATE FUNCTION pg_temp.tap_random_time() RETURNS timestamptz
LANGUAGE sql VOLATILE
AS $$
	SELECT CASE floor(random() * 20)::int
		WHEN 0 THEN timestamptz '-infinity'
		WHEN 1 THEN timestamptz 'infinity'
		WHEN 2 THEN timestamptz '4714-11-24 00:00:00+00 BC'
		WHEN 3 THEN timestamptz '294276-12-31 23:59:59.999999+00'
		WHEN 4 THEN timestamptz '0001-01-01 00:00:00+00 BC' + floor(random() * 1000000)::bigint * interval '1 microsecond'
		ELSE timestamptz '2000-01-01 00:00:00+00'
			 + (floor(random() * 3000000)::bigint - 2000000) * interval '1 day'
			 + floor(random() * 86400000000)::bigint * interval '1 microsecond'
	END
$$;

-- 300 random states as entries (state, position, name, count, last): the
-- four types, then 0 to 8 other types from the pool in byte order; counts
-- up to the bigint maximum (states 1 to 150) or small enough to add
-- (151 to 300); a last time for most types with actions.
CREATE TABLE tap_entries AS
WITH fixed AS (
	SELECT i, f.pos, f.name,
		   CASE WHEN random() < 0.2 THEN 0
				WHEN i <= 150 AND random() < 0.1 THEN 9223372036854775807
				WHEN i <= 150 THEN floor(random() * 9.2e18)::bigint
				ELSE 1 + floor(random() * 1e12)::bigint END AS count
	FROM generate_series(1, 300) i,
		 unnest(ARRAY['create', 'read', 'update', 'delete']) WITH ORDINALITY f(name, pos)
), others AS (
	SELECT i, p.name,
		   CASE WHEN i <= 150 THEN 1 + floor(random() * 9.2e18)::bigint
				ELSE 1 + floor(random() * 1e12)::bigint END AS count
	FROM generate_series(1, 300) i
	CROSS JOIN LATERAL (
		SELECT name FROM tap_pool
		WHERE name NOT IN ('create', 'read', 'update', 'delete')
		ORDER BY random() + (i - i) LIMIT floor(random() * 9)::int) p
)
SELECT i, pos, name, count,
	   CASE WHEN count > 0 AND random() < 0.8 THEN pg_temp.tap_random_time() END AS last
FROM (SELECT i, pos, name, count FROM fixed
	  UNION ALL
	  SELECT i, 4 + row_number() OVER (PARTITION BY i ORDER BY name COLLATE "C"), name, count
	  FROM others) e;

-- Each state's text, written from its entries in SQL.
CREATE TABLE tap_states AS
SELECT i, string_agg(
		CASE WHEN pos > 4
			 THEN '"' || replace(replace(name, '\', '\\'), '"', '\"') || '":' ELSE '' END
		|| count || coalesce('@' || pg_temp.tap_time(last), ''),
		' ' ORDER BY pos) AS t
FROM tap_entries GROUP BY i;

SELECT ok((SELECT count(*) FROM tap_entries WHERE count = 9223372036854775807) > 0
		  AND (SELECT count(*) FROM tap_entries WHERE last = '-infinity') > 0
		  AND (SELECT count(*) FROM tap_entries WHERE last < '0001-01-01 00:00:00+00 BC') > 0
		  AND (SELECT count(*) FROM tap_entries WHERE last > '10000-01-01 00:00:00+00') > 0
		  AND (SELECT count(*) FROM tap_entries WHERE name ~ '["\\]') > 0
		  AND (SELECT count(*) FROM tap_entries WHERE pos > 4) > 500,
		  'the random states reach the bigint maximum, both ends of time, and names to escape');

SELECT is((SELECT string_agg(t, E'\n') FROM tap_states
		   WHERE t::action_summary_state::text IS DISTINCT FROM t),
		  NULL, 'each random state is read and written back as the same text');
SELECT is((SELECT count(*) FROM tap_states s
		   CROSS JOIN LATERAL ROWS FROM (
			   jsonb_to_recordset(action_summary_result(s.t::action_summary_state))
				   AS (type text, last timestamptz, count bigint))
			   WITH ORDINALITY AS r(type, last, count, pos)
		   JOIN tap_entries e ON e.i = s.i AND e.pos = r.pos
		   WHERE e.name = r.type AND e.count = r.count AND e.last IS NOT DISTINCT FROM r.last),
		  (SELECT count(*) FROM tap_entries),
		  'each entry of each random state has its name, count and last time');

CREATE TABLE tap_states_copy (i int, s action_summary_state);
SELECT pg_temp.copy_through_file(
	'SELECT i, t::action_summary_state FROM tap_states', 'tap_states_copy', 'binary');
SELECT is((SELECT count(*) FROM tap_states s JOIN tap_states_copy c USING (i)
		   WHERE c.s::text = s.t),
		  300::bigint, 'each random state comes back from binary COPY the same');

-- Merging: counts add up, the latest time wins, in any order.
CREATE TABLE tap_pairs AS
SELECT a.i AS a, b.i AS b, c.i AS c,
	   a.t::action_summary_state AS sa, b.t::action_summary_state AS sb,
	   c.t::action_summary_state AS sc
FROM tap_states a
JOIN tap_states b ON b.i = 151 + (a.i - 151 + 1) % 150
JOIN tap_states c ON c.i = 151 + (a.i - 151 + 7) % 150
WHERE a.i > 150;

CREATE FUNCTION pg_temp.merged(VARIADIC states action_summary_state[])
RETURNS action_summary_state
LANGUAGE sql IMMUTABLE
AS $$ SELECT action_summary_merge(s ORDER BY o) FROM unnest(states) WITH ORDINALITY u(s, o) $$;

SELECT is((SELECT count(*) FROM tap_pairs
		   WHERE pg_temp.merged(sa, sb)::text = pg_temp.merged(sb, sa)::text),
		  150::bigint, 'merging two states does not depend on their order');
SELECT is((SELECT count(*) FROM tap_pairs
		   WHERE pg_temp.merged(pg_temp.merged(sa, sb), sc)::text
				 = pg_temp.merged(sa, pg_temp.merged(sb, sc))::text),
		  150::bigint, 'merging three states does not depend on their grouping');
SELECT is((SELECT count(*) FROM tap_pairs
		   WHERE pg_temp.merged(sa, '0 0 0 0')::text = sa::text),
		  150::bigint, 'merging the empty state changes nothing');

-- What merging two states must give, from their entries in SQL.
SELECT is((SELECT string_agg(format('%s + %s', p.a, p.b), ', ')
		   FROM tap_pairs p
		   WHERE pg_temp.merged(p.sa, p.sb)::text IS DISTINCT FROM (
			   SELECT string_agg(
						  CASE WHEN pos > 4
							   THEN '"' || replace(replace(name, '\', '\\'), '"', '\"') || '":'
							   ELSE '' END
						  || count || coalesce('@' || pg_temp.tap_time(last), ''),
						  ' ' ORDER BY least(pos, 5), name COLLATE "C")
			   FROM (SELECT name, min(pos) AS pos, sum(count)::bigint AS count, max(last) AS last
					 FROM tap_entries WHERE i IN (p.a, p.b)
					 GROUP BY name) m)),
		  NULL, 'merging two states adds the counts and keeps the latest times');

--
-- Errors
--
SELECT throws_ok($$SELECT '0 0 0'::action_summary_state$$, '22P02', NULL,
	'three counters are malformed (22P02)');
SELECT throws_ok($$SELECT '0 0 0 0 "b":1 "a":1'::action_summary_state$$, '22P02', NULL,
	'other types out of order are malformed (22P02)');
SELECT throws_ok($$SELECT '0 0 0 0 "delete":1'::action_summary_state$$, '22P02', NULL,
	'a fixed type among the others is malformed (22P02)');
SELECT throws_ok($$SELECT '9223372036854775808 0 0 0'::action_summary_state$$, '22003', NULL,
	'a count beyond bigint is out of range (22003)');
SELECT throws_ok($$SELECT '1@2016-02-30T00:00:00Z 0 0 0'::action_summary_state$$, '22008', NULL,
	'February 30 is a date field out of range (22008)');
SELECT throws_ok($$SELECT action_summary_merge(s) FROM (VALUES ('0 9223372036854775807 0 0'::action_summary_state), ('0 1 0 0')) v(s)$$,
	'22003', 'action count out of range', 'merging beyond the bigint maximum is 22003');
SELECT throws_ok($$SELECT action_summary_state_merge('0 0 0 0', '0 0 0 0')$$, '0A000', NULL,
	'the merge function refuses to run outside an aggregate (0A000)');

-- Corrupt binary states (a bytea column copied in binary into a state
-- column) are 22P03: a version 2, a name past the end, a name length of
-- 2^31 - 1, a NUL byte in a name.  (The receive function reads with the
-- deserialization function's reader, which test/summary_limits.sql shows
-- allocates nothing for a length it has not checked.)
CREATE FUNCTION pg_temp.recv(bytes bytea) RETURNS text
LANGUAGE plpgsql
AS $$
BEGIN
	CREATE TEMP TABLE tap_recv (s action_summary_state);
	PERFORM pg_temp.copy_through_file(format('SELECT %L::bytea', bytes), 'tap_recv', 'binary');
	DROP TABLE tap_recv;
	RETURN '00000';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;
CREATE FUNCTION pg_temp.binary_state(nextras int, rest bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE
AS $$ SELECT '\x01'::bytea || int4send(nextras) || decode(repeat('00', 4 * 17), 'hex') || rest $$;

SELECT is(pg_temp.recv(action_summary_state_send('1 0 0 0 "a":1')), '00000',
	'a valid binary state is received');
SELECT is(pg_temp.recv('\x02'::bytea || substr(action_summary_state_send('0 0 0 0'), 2)),
	'22P03 invalid binary action_summary_state value', 'an unknown version is 22P03');
SELECT is(pg_temp.recv(pg_temp.binary_state(1, int8send(1) || int8send(0) || '\x00'::bytea
											|| int4send(9) || 'abc'::bytea)),
	'22P03 invalid binary action_summary_state value', 'a name past the end is 22P03');
SELECT is(pg_temp.recv(pg_temp.binary_state(1, int8send(1) || int8send(0) || '\x00'::bytea
											|| int4send(2147483647) || 'abc'::bytea)),
	'22P03 invalid binary action_summary_state value', 'a name length of 2^31 - 1 is 22P03');
SELECT is(pg_temp.recv(pg_temp.binary_state(1, int8send(1) || int8send(0) || '\x00'::bytea
											|| int4send(3) || '\x610062'::bytea)),
	'22P03 invalid binary action_summary_state value', 'a NUL byte in a name is 22P03');

SELECT pg_temp.copy_file_clear();

SELECT * FROM finish();
ROLLBACK;
