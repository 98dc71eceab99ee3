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

SELECT plan(25);
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

SELECT throws_ok(format('SELECT lim.deserialize(lim.state_with_name_length(%s))', len),
				 '22P03', 'invalid serialized action_summary state',
				 format('a name length of %s is 22P03', what))
FROM (VALUES (2147483647, '2^31 - 1'), (1073741824, '1 GiB'),
			 (1073741823, '1 GiB - 1'), (5, 'one byte too many')) v(len, what);

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

-- Runs a CREATE TABLE AS under EXPLAIN ANALYZE: the number of parallel
-- workers it launched, or NULL when the statement_timeout in force cancelled
-- it (pgTAP's lives_ok does not catch a cancel).
CREATE FUNCTION lim.run(ctas text) RETURNS int
LANGUAGE plpgsql
AS $$
DECLARE
	plan jsonb;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || ctas
		INTO plan;
	RETURN coalesce(jsonb_path_query_first(plan, '$.**."Workers Launched"')::int, 0);
EXCEPTION WHEN query_canceled THEN
	RETURN NULL;
END
$$;

-- The summary s in a table made by lim.run, NULL if there is no such table.
CREATE FUNCTION lim.result(name text) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	result jsonb;
BEGIN
	EXECUTE format('SELECT s FROM %I', name) INTO result;
	RETURN result;
EXCEPTION WHEN undefined_table THEN
	RETURN NULL;
END
$$;

SET LOCAL statement_timeout = '10s';
SET LOCAL max_parallel_workers_per_gather = 0;

SELECT ok(lim.run($$CREATE TABLE lim_desc AS
	SELECT action_summary(type, NULL ORDER BY g DESC) AS s FROM lim_types$$) IS NOT NULL,
	'400,000 types in descending order are summarized under the timeout');
SELECT is(lim.result('lim_desc'), (SELECT s FROM lim_expected),
	'and listed in byte order');

SELECT ok(lim.run($$CREATE TABLE lim_asc AS
	SELECT action_summary(type, NULL ORDER BY g) AS s FROM lim_types$$) IS NOT NULL,
	'400,000 types in ascending order are summarized under the timeout');
SELECT is(lim.result('lim_asc'), (SELECT s FROM lim_expected),
	'and listed in byte order');

SELECT ok(lim.run($$CREATE TABLE lim_random AS
	SELECT action_summary(type, NULL ORDER BY r) AS s FROM lim_types$$) IS NOT NULL,
	'400,000 types in random order are summarized under the timeout');
SELECT is(lim.result('lim_random'), (SELECT s FROM lim_expected),
	'and listed in byte order');

-- account_actions() on one document holding the same actions, descending.
RESET statement_timeout;
CREATE TABLE lim_doc AS
SELECT jsonb_build_object('number', 1, 'sessions', jsonb_build_array(
		   jsonb_build_object('actions',
			   jsonb_agg(jsonb_build_object('type', type) ORDER BY g DESC)))) AS doc
FROM lim_types;
SET LOCAL statement_timeout = '10s';

SELECT ok(lim.run($$CREATE TABLE lim_document AS
	SELECT account_actions(doc) -> 'actions' AS s FROM lim_doc$$) IS NOT NULL,
	'account_actions() summarizes 400,000 types in descending order under the timeout');
SELECT is(lim.result('lim_document'), (SELECT s FROM lim_expected),
	'and lists them in byte order');

-- In parallel, each worker reads about half of the types, in the random
-- order of the table, and the combine function merges the two halves, which
-- interleave.
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;

SELECT ok(lim.run($$CREATE TABLE lim_parallel AS
	SELECT action_summary(type, NULL) AS s FROM lim_types$$) > 0,
	'400,000 types are summarized by parallel workers under the timeout');
SELECT is(lim.result('lim_parallel'), (SELECT s FROM lim_expected),
	'and listed in byte order');

-- As a state of type action_summary_state: made from the rows in random
-- order, written as text and read back, and merged from two halves that
-- interleave.
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT ok(lim.run($$CREATE TABLE lim_state AS
	SELECT action_summary_partial(type, NULL ORDER BY r) AS st FROM lim_types$$) IS NOT NULL,
	'the state of 400,000 types in random order is made under the timeout');
SELECT ok(lim.run($$CREATE TABLE lim_state_text AS
	SELECT action_summary_result(st::text::action_summary_state) AS s FROM lim_state$$) IS NOT NULL,
	'written as text and read back under the timeout');
SELECT is(lim.result('lim_state_text'), (SELECT s FROM lim_expected),
	'and finished in byte order');
SELECT ok(lim.run($$CREATE TABLE lim_halves AS
	SELECT action_summary_partial(type, NULL ORDER BY r) AS st
	FROM lim_types GROUP BY g % 2$$) IS NOT NULL,
	'two states of 200,000 interleaving types each are made under the timeout');
SELECT ok(lim.run($$CREATE TABLE lim_merged AS
	SELECT action_summary(st) AS s FROM lim_halves$$) IS NOT NULL,
	'and merged under the timeout');
SELECT is(lim.result('lim_merged'), (SELECT s FROM lim_expected),
	'into the 400,000 types in byte order');
RESET statement_timeout;
SET LOCAL max_parallel_workers_per_gather = 2;

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

-- What the summaries must be, entry by entry: per group and type the count
-- and the latest time, the four fixed types always (count 0 when absent)
-- and first, then the others in byte order.
CREATE TABLE lim_rows_expected AS
SELECT grp, type, count(*) FILTER (WHERE counted) AS count, max(created_at) AS last,
	   row_number() OVER (PARTITION BY grp
						  ORDER BY array_position(ARRAY['create', 'read', 'update', 'delete'],
												  type) NULLS LAST,
								   type COLLATE "C") AS pos
FROM (SELECT grp, type, created_at, true AS counted
	  FROM lim_rows WHERE type IS NOT NULL
	  UNION ALL
	  SELECT DISTINCT grp, f.type, NULL::timestamptz, false
	  FROM lim_rows, unnest(ARRAY['create', 'read', 'update', 'delete']) f(type)) x
GROUP BY grp, type;

-- The summaries s of a table of (grp, s), entry by entry.
CREATE FUNCTION lim.entries(tab text,
	OUT grp int, OUT pos bigint, OUT type text, OUT last timestamptz, OUT count bigint)
RETURNS SETOF record
LANGUAGE plpgsql
AS $$
BEGIN
	RETURN QUERY EXECUTE format(
		'SELECT q.grp, e.pos, e.type, e.last, e.count FROM %I q,
			ROWS FROM (jsonb_to_recordset(q.s) AS (type text, last timestamptz, count bigint))
				WITH ORDINALITY AS e(type, last, count, pos)', tab);
END
$$;

SELECT ok(lim.run($$CREATE TABLE lim_groups_parallel AS
	SELECT grp, action_summary(type, created_at) AS s FROM lim_rows GROUP BY grp$$) > 0,
	'the grouped summaries of random types are made by parallel workers');
SELECT results_eq(
	$$SELECT * FROM lim.entries('lim_groups_parallel') ORDER BY grp, pos$$,
	$$SELECT grp, pos, type, last, count FROM lim_rows_expected ORDER BY grp, pos$$,
	'grouped summaries of random types in parallel equal plain SQL');
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TABLE lim_groups_serial AS
SELECT grp, action_summary(type, created_at) AS s FROM lim_rows GROUP BY grp;
SELECT results_eq(
	$$SELECT * FROM lim.entries('lim_groups_serial') ORDER BY grp, pos$$,
	$$SELECT grp, pos, type, last, count FROM lim_rows_expected ORDER BY grp, pos$$,
	'grouped summaries of random types, serial, equal plain SQL');

SELECT * FROM finish();
ROLLBACK;
