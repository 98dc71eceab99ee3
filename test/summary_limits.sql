--
-- pgTAP: the limits of action_summary() and account_actions(): corrupt
-- serialized states, and very many types in any order.  Run with pg_prove.
--
-- The tests of many types are not timed: each must finish under a
-- statement_timeout ten times what it needs, which an insertion sort of the
-- types (quadratic: about a minute for 400,000 types given in descending
-- order) cannot meet.
--
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS accmatch;
SET LOCAL TimeZone = 'UTC';

SELECT plan(20);
SELECT setseed(0.20240601);

--
-- Corrupt serialized states with huge name lengths fail with 22P03 before
-- anything is allocated for the name.  These run first, while the
-- backend's peak virtual memory (VmPeak) is still small, so that a large
-- allocation would show in it.
--

-- The deserialization function, reached inside an aggregate: the first row
-- becomes the state and the second row calls it on that state.
CREATE SCHEMA lim;
CREATE FUNCTION lim.deserial(bytea, bytea) RETURNS bytea
	AS '$libdir/accmatch', 'action_summary_deserial' LANGUAGE C STRICT;
CREATE AGGREGATE lim.deserial_agg(bytea) (SFUNC = lim.deserial, STYPE = bytea);

-- A state with four zero counters and one other type of count 1 whose name
-- claims len bytes and has 4.
CREATE FUNCTION lim.state_with_name_length(len int) RETURNS bytea
LANGUAGE sql IMMUTABLE
AS $$
	SELECT '\x01'::bytea || int4send(1) || decode(repeat('00', 4 * 17), 'hex')
		|| int8send(1) || int8send(0) || '\x00'::bytea
		|| int4send(len) || 'name'::bytea
$$;

CREATE FUNCTION lim.deserialize(state bytea) RETURNS boolean
LANGUAGE sql
AS $$
	SELECT lim.deserial_agg(b) IS NOT NULL FROM (VALUES (state), ('\x')) v(b)
$$;

-- The backend's peak virtual memory, in kB.
CREATE FUNCTION lim.vm_peak_kb() RETURNS bigint
LANGUAGE sql VOLATILE
AS $$
	SELECT substring(pg_read_file('/proc/self/status') FROM 'VmPeak:\s*(\d+)')::bigint
$$;

CREATE TEMP TABLE lim_peak AS SELECT lim.vm_peak_kb() AS before_kb;

SELECT throws_ok($$SELECT lim.deserialize(lim.state_with_name_length(2147483647))$$,
	'22P03', 'invalid serialized action_summary state',
	'a name length of 2^31 - 1 is 22P03');
SELECT throws_ok($$SELECT lim.deserialize(lim.state_with_name_length(1073741824))$$,
	'22P03', 'invalid serialized action_summary state',
	'a name length of 1 GiB is 22P03');
SELECT throws_ok($$SELECT lim.deserialize(lim.state_with_name_length(1073741823))$$,
	'22P03', 'invalid serialized action_summary state',
	'a name length just under 1 GiB is 22P03');
SELECT throws_ok($$SELECT lim.deserialize(lim.state_with_name_length(5))$$,
	'22P03', 'invalid serialized action_summary state',
	'a name length one past the end is 22P03');
SELECT cmp_ok(lim.vm_peak_kb() - (SELECT before_kb FROM lim_peak), '<', 65536::bigint,
	'the corrupt states raised the peak virtual memory by less than 64 MB');

-- And VmPeak does see a large allocation.
DO $$BEGIN PERFORM length(repeat('x', 300000000)); END$$;
SELECT cmp_ok(lim.vm_peak_kb() - (SELECT before_kb FROM lim_peak), '>', 250000::bigint,
	'a 300 MB string raises the peak virtual memory by more than 250 MB');

--
-- Very many other types, in descending, ascending and random order.
--

-- 400,000 type names whose byte order is their number's order, stored in
-- random order, and what the summary of one action of each, with a NULL
-- created_at, must be.
CREATE TABLE lim_types AS
SELECT g, 't' || to_char(g, 'FM0000000') AS type, r
FROM (SELECT g, random() AS r FROM generate_series(1, 400000) g) t
ORDER BY r;

CREATE TABLE lim_expected AS
SELECT jsonb_build_array(
		   jsonb_build_object('type', 'create', 'last', NULL, 'count', 0),
		   jsonb_build_object('type', 'read', 'last', NULL, 'count', 0),
		   jsonb_build_object('type', 'update', 'last', NULL, 'count', 0),
		   jsonb_build_object('type', 'delete', 'last', NULL, 'count', 0))
	   || jsonb_agg(jsonb_build_object('type', type, 'last', NULL, 'count', 1)
					ORDER BY type COLLATE "C") AS s
FROM lim_types;

-- Whether a statement finishes under the statement_timeout in force (a
-- cancel is not caught by pgTAP's lives_ok), and where the results go.
CREATE FUNCTION lim.finishes(query text) RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
	EXECUTE query;
	RETURN true;
EXCEPTION WHEN query_canceled THEN
	RETURN false;
END
$$;
CREATE TABLE lim_result (name text PRIMARY KEY, s jsonb);

SET LOCAL statement_timeout = '10s';
SET LOCAL max_parallel_workers_per_gather = 0;

SELECT ok(lim.finishes($$INSERT INTO lim_result
	SELECT 'desc', action_summary(type, NULL ORDER BY g DESC) FROM lim_types$$),
	'400,000 types in descending order are summarized under the timeout');
SELECT is((SELECT s FROM lim_result WHERE name = 'desc'), (SELECT s FROM lim_expected),
	'and listed in byte order');

SELECT ok(lim.finishes($$INSERT INTO lim_result
	SELECT 'asc', action_summary(type, NULL ORDER BY g) FROM lim_types$$),
	'400,000 types in ascending order are summarized under the timeout');
SELECT is((SELECT s FROM lim_result WHERE name = 'asc'), (SELECT s FROM lim_expected),
	'and listed in byte order');

SELECT ok(lim.finishes($$INSERT INTO lim_result
	SELECT 'random', action_summary(type, NULL ORDER BY r) FROM lim_types$$),
	'400,000 types in random order are summarized under the timeout');
SELECT is((SELECT s FROM lim_result WHERE name = 'random'), (SELECT s FROM lim_expected),
	'and listed in byte order');

-- account_actions() on one document holding the same actions, descending.
RESET statement_timeout;
CREATE TABLE lim_doc AS
SELECT jsonb_build_object('number', 1, 'sessions', jsonb_build_array(
		   jsonb_build_object('actions',
			   jsonb_agg(jsonb_build_object('type', type) ORDER BY g DESC)))) AS doc
FROM lim_types;
SET LOCAL statement_timeout = '10s';

SELECT ok(lim.finishes($$INSERT INTO lim_result
	SELECT 'document', account_actions(doc) FROM lim_doc$$),
	'account_actions() summarizes 400,000 types in descending order under the timeout');
SELECT is((SELECT s FROM lim_result WHERE name = 'document'),
	(SELECT jsonb_build_object('number', 1, 'actions', s) FROM lim_expected),
	'and lists them in byte order');

-- In parallel, each worker reads about half of the types, in the random
-- order of the table, and the combine function merges the two halves, which
-- interleave.
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;

CREATE FUNCTION lim.plan(query text) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
	line text;
	plan text := '';
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
		plan := plan || line || E'\n';
	END LOOP;
	RETURN plan;
END
$$;

SELECT ok(lim.plan($$SELECT action_summary(type, NULL) FROM lim_types$$)
		  LIKE '%Gather%Partial Aggregate%',
		  'the summary of the 400,000 types gets a parallel plan');
SELECT ok(lim.finishes($$INSERT INTO lim_result
	SELECT 'parallel', action_summary(type, NULL) FROM lim_types$$),
	'400,000 types are summarized in parallel under the timeout');
SELECT is((SELECT s FROM lim_result WHERE name = 'parallel'), (SELECT s FROM lim_expected),
	'and listed in byte order');
RESET statement_timeout;

--
-- Many groups over a pool of random type names (of 0 to 12 bytes, upper,
-- lower case and punctuation, so that some are prefixes of others), with
-- random times: the summaries equal plain SQL, serial and in parallel.
--
CREATE TABLE lim_pool AS
SELECT i, string_agg(substr('AZaz_-.09~ ', 1 + floor(random() * 11)::int, 1), '') AS type
FROM generate_series(1, 3000) i
CROSS JOIN LATERAL generate_series(1, floor(random() * 13)::int + (i - i)) c
GROUP BY i;
INSERT INTO lim_pool SELECT 0, '';

-- Pool numbers without a name give NULL types.
CREATE TABLE lim_rows AS
SELECT floor(random() * 40)::int AS grp, p.type,
	   CASE WHEN random() < 0.1 THEN NULL
		   ELSE timestamptz '2016-01-01' + random() * interval '1000 days' END AS created_at
FROM (SELECT g, floor(random() * 3001)::int AS k
	  FROM generate_series(1, 200000) g) s
LEFT JOIN lim_pool p ON p.i = s.k;
ANALYZE lim_rows;

CREATE TABLE lim_rows_expected AS
WITH fixed(type, ord) AS (
	VALUES ('create', 1), ('read', 2), ('update', 3), ('delete', 4)
), groups AS (
	SELECT DISTINCT grp FROM lim_rows
), per_type AS (
	SELECT grp, type, count(*) AS count, max(created_at) AS last
	FROM lim_rows WHERE type IS NOT NULL
	GROUP BY grp, type
), entries AS (
	SELECT g.grp, f.ord, f.type, coalesce(p.count, 0) AS count, p.last
	FROM groups g CROSS JOIN fixed f
	LEFT JOIN per_type p ON p.grp = g.grp AND p.type = f.type
	UNION ALL
	SELECT p.grp, 5, p.type, p.count, p.last
	FROM per_type p WHERE p.type NOT IN (SELECT type FROM fixed)
)
SELECT grp,
	   jsonb_agg(jsonb_build_object('type', type, 'last', last, 'count', count)
				 ORDER BY ord, type COLLATE "C") AS s
FROM entries GROUP BY grp;

SELECT ok(lim.plan($$SELECT grp, action_summary(type, created_at) FROM lim_rows GROUP BY grp$$)
		  LIKE '%Gather%Partial%Aggregate%',
		  'the grouped summaries of random types get a parallel plan');
SELECT results_eq(
	$$SELECT grp, action_summary(type, created_at) FROM lim_rows GROUP BY grp ORDER BY grp$$,
	$$SELECT grp, s FROM lim_rows_expected ORDER BY grp$$,
	'grouped summaries of random types in parallel equal plain SQL');
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT results_eq(
	$$SELECT grp, action_summary(type, created_at) FROM lim_rows GROUP BY grp ORDER BY grp$$,
	$$SELECT grp, s FROM lim_rows_expected ORDER BY grp$$,
	'grouped summaries of random types, serial, equal plain SQL');

SELECT * FROM finish();
ROLLBACK;
