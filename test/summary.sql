--
-- pgTAP: action_summary() and account_actions() against plain SQL on
-- seeded random data.  Run with pg_prove (see the Makefile's prove target).
--
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS accmatch;
SET LOCAL TimeZone = 'UTC';

SELECT plan(23);

SELECT setseed(0.20160101);

-- 2000 accounts: 1..1800 get the sessions, so 200 have none; sessions
-- 4801..5000 get no actions.  Types: the four, others (some differing only
-- in case, one empty), and NULL; created_at: NULL, or a time with
-- microseconds or with whole milliseconds (which every Extended JSON form
-- can carry).
CREATE TABLE tap_account AS
SELECT g AS number, 'account ' || g AS name
FROM generate_series(1, 2000) g;

CREATE TABLE tap_session AS
SELECT g AS id,
	   1 + floor(random() * 1800)::int AS account,
	   timestamptz '2016-01-01' + random() * interval '365 days' AS created_at
FROM generate_series(1, 5000) g;

CREATE TABLE tap_action AS
SELECT g AS seq,
	   1 + floor(random() * 4800)::int AS session,
	   (ARRAY['create', 'create', 'read', 'read', 'read', 'read', 'update',
			  'update', 'delete', 'share', 'login', 'Read', '', NULL])
		   [1 + floor(random() * 14)::int] AS type,
	   CASE floor(random() * 3)::int
		   WHEN 0 THEN NULL
		   WHEN 1 THEN timestamptz '2016-01-01' + random() * interval '365 days'
		   ELSE date_trunc('milliseconds',
						   timestamptz '2016-01-01' + random() * interval '365 days')
	   END AS created_at
FROM generate_series(1, 30000) g;

ANALYZE tap_account;
ANALYZE tap_session;
ANALYZE tap_action;

-- The rows an aggregate sees: every account, with NULLs for those without
-- sessions or actions.
CREATE VIEW tap_rows AS
SELECT a.number, x.type, x.created_at
FROM tap_account a
LEFT JOIN tap_session s ON s.account = a.number
LEFT JOIN tap_action x ON x.session = s.id;

-- The summary in plain SQL: per account and type, count and max, pivoted
-- to the four types (with zeros) followed by the others in C collation
-- order, as to_jsonb encodes them.
CREATE VIEW tap_sql_summary AS
WITH fixed(type, ord) AS (
	VALUES ('create', 1), ('read', 2), ('update', 3), ('delete', 4)
), accounts AS (
	SELECT DISTINCT number FROM tap_rows
), per_type AS (
	SELECT number, type, count(*) AS count, max(created_at) AS last
	FROM tap_rows WHERE type IS NOT NULL
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
				 ORDER BY ord, type COLLATE "C") AS actions
FROM entries GROUP BY number;

-- The same data as MongoDB-style documents, in every shape the contract
-- allows: sessions missing, null or empty; actions missing, null or empty;
-- type and created_at missing or null; created_at as an ISO string with or
-- without a zone (read in the session TimeZone), {"$date": string},
-- {"$date": {"$numberLong": ms}} or {"$date": ms}.
CREATE VIEW tap_docs AS
WITH acts AS (
	SELECT x.session,
		   jsonb_agg(
			   jsonb_strip_nulls(jsonb_build_object('drop', CASE WHEN x.seq % 2 = 0 THEN 1 END))
			   || CASE WHEN x.type IS NULL AND x.seq % 3 = 0 THEN '{}'::jsonb
					   ELSE jsonb_build_object('type', x.type) END
			   || CASE
					  WHEN x.created_at IS NULL AND x.seq % 3 = 0 THEN '{}'::jsonb
					  WHEN x.created_at IS NULL THEN '{"created_at": null}'::jsonb
					  WHEN date_trunc('milliseconds', x.created_at) <> x.created_at
						   OR x.seq % 5 = 0
						  THEN jsonb_build_object('created_at', x.created_at)
					  WHEN x.seq % 5 = 1
						  THEN jsonb_build_object('created_at',
							  to_char(x.created_at AT TIME ZONE current_setting('TimeZone'),
									  'YYYY-MM-DD"T"HH24:MI:SS.US'))
					  WHEN x.seq % 5 = 2
						  THEN jsonb_build_object('created_at',
							  jsonb_build_object('$date', to_jsonb(x.created_at)))
					  WHEN x.seq % 5 = 3
						  THEN jsonb_build_object('created_at',
							  jsonb_build_object('$date', jsonb_build_object('$numberLong',
								  (extract(epoch FROM x.created_at) * 1000)::bigint::text)))
					  ELSE jsonb_build_object('created_at',
						  jsonb_build_object('$date',
							  (extract(epoch FROM x.created_at) * 1000)::bigint))
				  END
			   ORDER BY x.seq) AS actions
	FROM tap_action x
	GROUP BY x.session
), sess AS (
	SELECT s.account,
		   jsonb_agg(
			   jsonb_build_object('created_at', s.created_at, 'session_id', s.id)
			   || CASE
					  WHEN a.actions IS NOT NULL THEN jsonb_build_object('actions', a.actions)
					  WHEN s.id % 3 = 0 THEN '{}'::jsonb
					  WHEN s.id % 3 = 1 THEN '{"actions": null}'::jsonb
					  ELSE '{"actions": []}'::jsonb
				  END
			   ORDER BY s.id) AS sessions
	FROM tap_session s LEFT JOIN acts a ON a.session = s.id
	GROUP BY s.account
)
SELECT t.number,
	   jsonb_build_object('number', t.number, 'name', t.name)
	   || CASE
			  WHEN s.sessions IS NOT NULL THEN jsonb_build_object('sessions', s.sessions)
			  WHEN t.number % 3 = 0 THEN '{}'::jsonb
			  WHEN t.number % 3 = 1 THEN '{"sessions": null}'::jsonb
			  ELSE '{"sessions": []}'::jsonb
		  END AS doc
FROM tap_account t LEFT JOIN sess s ON s.account = t.number;

-- account_actions written in SQL with jsonb_array_elements.
CREATE VIEW tap_sql_documents AS
WITH acts AS (
	SELECT d.number, a ->> 'type' AS type,
		   CASE jsonb_typeof(a -> 'created_at')
			   WHEN 'string' THEN (a ->> 'created_at')::timestamptz
			   WHEN 'object' THEN
				   CASE jsonb_typeof(a -> 'created_at' -> '$date')
					   WHEN 'string' THEN (a -> 'created_at' ->> '$date')::timestamptz
					   WHEN 'number' THEN timestamptz 'epoch'
						   + (a -> 'created_at' ->> '$date')::numeric * interval '1 ms'
					   ELSE timestamptz 'epoch'
						   + (a -> 'created_at' -> '$date' ->> '$numberLong')::numeric
						   * interval '1 ms'
				   END
		   END AS created_at
	FROM tap_docs d
	CROSS JOIN LATERAL jsonb_array_elements(
		CASE jsonb_typeof(d.doc -> 'sessions') WHEN 'array' THEN d.doc -> 'sessions'
			ELSE '[]' END) s
	CROSS JOIN LATERAL jsonb_array_elements(
		CASE jsonb_typeof(s -> 'actions') WHEN 'array' THEN s -> 'actions'
			ELSE '[]' END) a
), fixed(type, ord) AS (
	VALUES ('create', 1), ('read', 2), ('update', 3), ('delete', 4)
), per_type AS (
	SELECT number, type, count(*) AS count, max(created_at) AS last
	FROM acts WHERE type IS NOT NULL
	GROUP BY number, type
), entries AS (
	SELECT d.number, f.ord, f.type, coalesce(p.count, 0) AS count, p.last
	FROM tap_docs d CROSS JOIN fixed f
	LEFT JOIN per_type p ON p.number = d.number AND p.type = f.type
	UNION ALL
	SELECT p.number, 5, p.type, p.count, p.last
	FROM per_type p WHERE p.type NOT IN (SELECT type FROM fixed)
)
SELECT d.number,
	   jsonb_build_object('number', d.doc -> 'number', 'actions',
		   (SELECT jsonb_agg(jsonb_build_object('type', e.type, 'last', e.last,
												'count', e.count)
							 ORDER BY e.ord, e.type COLLATE "C")
			FROM entries e WHERE e.number = d.number)) AS summary
FROM tap_docs d;

-- The data covers what it should.
SELECT ok((SELECT count(*) FROM tap_rows WHERE type IS NULL AND created_at IS NULL) >= 200,
		  'some accounts or sessions have no actions');
SELECT ok((SELECT count(*) FROM tap_action WHERE type IS NULL) > 0
		  AND (SELECT count(*) FROM tap_action WHERE type = '') > 0
		  AND (SELECT count(*) FROM tap_action WHERE type = 'Read') > 0,
		  'the data has NULL, empty and mixed-case types');
SELECT ok((SELECT count(*) FROM tap_action WHERE type IS NOT NULL AND created_at IS NULL) > 0,
		  'the data has typed actions without created_at');
SELECT ok((SELECT count(*) FROM tap_docs WHERE doc ? 'sessions') < 2000
		  AND (SELECT count(*) FROM tap_docs WHERE doc -> 'sessions' = 'null') > 0
		  AND (SELECT count(*) FROM tap_docs WHERE doc -> 'sessions' = '[]') > 0,
		  'the documents have missing, null and empty sessions');

-- action_summary against plain SQL.
SELECT results_eq(
	$$SELECT number, action_summary(type, created_at) FROM tap_rows
	  GROUP BY number ORDER BY number$$,
	$$SELECT number, actions FROM tap_sql_summary ORDER BY number$$,
	'action_summary by hashing equals the plain SQL summary');

SET LOCAL enable_hashagg = off;
SELECT results_eq(
	$$SELECT number, action_summary(type, created_at) FROM tap_rows
	  GROUP BY number ORDER BY number$$,
	$$SELECT number, actions FROM tap_sql_summary ORDER BY number$$,
	'action_summary by sorting equals the plain SQL summary');
RESET enable_hashagg;

SELECT is(
	(SELECT action_summary(type, created_at) FROM tap_rows),
	(SELECT jsonb_agg(e ORDER BY ord, e ->> 'type' COLLATE "C")
	 FROM (SELECT jsonb_build_object('type', f.type, 'last', max(r.created_at),
									 'count', count(r.type)) AS e, f.ord
		   FROM (VALUES ('create', 1), ('read', 2), ('update', 3), ('delete', 4)) f(type, ord)
		   LEFT JOIN tap_rows r ON r.type = f.type
		   GROUP BY f.type, f.ord
		   UNION ALL
		   SELECT jsonb_build_object('type', type, 'last', max(created_at),
									 'count', count(*)), 5
		   FROM tap_rows
		   WHERE type NOT IN ('create', 'read', 'update', 'delete')
		   GROUP BY type) t),
	'action_summary over all rows equals the plain SQL summary');

-- In parallel: partial states are serialized, deserialized and combined.
CREATE FUNCTION tap_plan(query text) RETURNS text
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

SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
SELECT ok(tap_plan($$SELECT number, action_summary(type, created_at) FROM tap_rows
					GROUP BY number$$) LIKE '%Partial%Aggregate%',
		  'the grouped query gets a parallel plan with a partial aggregate');
SELECT results_eq(
	$$SELECT number, action_summary(type, created_at) FROM tap_rows
	  GROUP BY number ORDER BY number$$,
	$$SELECT number, actions FROM tap_sql_summary ORDER BY number$$,
	'action_summary in parallel equals the plain SQL summary');
SELECT ok(tap_plan($$SELECT action_summary(type, created_at) FROM tap_action$$)
		  LIKE '%Partial Aggregate%',
		  'the total gets a parallel plan with a partial aggregate');
SELECT is(
	(SELECT action_summary(type, created_at) FROM tap_action),
	(SELECT jsonb_agg(e ORDER BY ord, e ->> 'type' COLLATE "C")
	 FROM (SELECT jsonb_build_object('type', f.type, 'last', max(x.created_at),
									 'count', count(x.type)) AS e, f.ord
		   FROM (VALUES ('create', 1), ('read', 2), ('update', 3), ('delete', 4)) f(type, ord)
		   LEFT JOIN tap_action x ON x.type = f.type
		   GROUP BY f.type, f.ord
		   UNION ALL
		   SELECT jsonb_build_object('type', type, 'last', max(created_at),
									 'count', count(*)), 5
		   FROM tap_action
		   WHERE type NOT IN ('create', 'read', 'update', 'delete')
		   GROUP BY type) t),
	'action_summary in parallel over all actions equals the plain SQL summary');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- account_actions on the documents.
SELECT results_eq(
	$$SELECT number, account_actions(doc) FROM tap_docs ORDER BY number$$,
	$$SELECT number, jsonb_build_object('number', number, 'actions', actions)
	  FROM tap_sql_summary ORDER BY number$$,
	'account_actions on the documents equals the aggregate over the normalized rows');
SELECT results_eq(
	$$SELECT number, account_actions(doc) FROM tap_docs ORDER BY number$$,
	$$SELECT number, summary FROM tap_sql_documents ORDER BY number$$,
	'account_actions equals its plain SQL version with jsonb_array_elements');

-- In another time zone, strings without a zone are read in it, and last is
-- encoded in it, exactly as the casts and to_jsonb do.
SET LOCAL TimeZone = 'Asia/Kolkata';
SELECT results_eq(
	$$SELECT number, action_summary(type, created_at) FROM tap_rows
	  GROUP BY number ORDER BY number$$,
	$$SELECT number, actions FROM tap_sql_summary ORDER BY number$$,
	'action_summary equals the plain SQL summary in Asia/Kolkata');
SELECT results_eq(
	$$SELECT number, account_actions(doc) FROM tap_docs ORDER BY number$$,
	$$SELECT number, summary FROM tap_sql_documents ORDER BY number$$,
	'account_actions equals its plain SQL version in Asia/Kolkata');
SET LOCAL TimeZone = 'UTC';

-- Random ISO-like strings, mostly valid, some with fields out of range,
-- lower case, odd zones or many fractional digits: account_actions reads
-- each as the ::timestamptz cast does (its fast path or PostgreSQL's
-- parser), or fails where the cast fails with the same SQLSTATE (22008 for
-- the cast's 22009, time zone displacement out of range).
CREATE TABLE tap_date_strings AS
SELECT lpad((CASE WHEN random() < 0.03 THEN 0
				  WHEN random() < 0.5 THEN 1970 + floor(random() * 68)::int
				  ELSE 1 + floor(random() * 9999)::int END)::text, 4, '0')
	   || '-' || lpad((CASE WHEN random() < 0.95 THEN 1 + floor(random() * 12)::int
						   ELSE floor(random() * 14)::int END)::text, 2, '0')
	   || '-' || lpad((CASE WHEN random() < 0.97 THEN 1 + floor(random() * 31)::int
						   ELSE floor(random() * 33)::int END)::text, 2, '0')
	   || (ARRAY['T', 'T', 'T', ' ', ' ', 't'])[1 + floor(random() * 6)::int]
	   || lpad((CASE WHEN random() < 0.95 THEN floor(random() * 24)::int
					ELSE floor(random() * 26)::int END)::text, 2, '0')
	   || ':' || lpad((CASE WHEN random() < 0.97 THEN floor(random() * 60)::int
						   ELSE floor(random() * 62)::int END)::text, 2, '0')
	   || ':' || lpad((CASE WHEN random() < 0.95 THEN floor(random() * 60)::int
						   ELSE floor(random() * 62)::int END)::text, 2, '0')
	   || CASE WHEN random() < 0.4 THEN ''
			   ELSE '.' || left(floor(random() * 100000000)::text || '0000000',
								1 + floor(random() * 8)::int) END
	   || CASE floor(random() * 10)::int
			  WHEN 0 THEN '' WHEN 1 THEN '' WHEN 2 THEN ''
			  WHEN 3 THEN 'Z' WHEN 4 THEN 'Z'
			  WHEN 5 THEN (ARRAY['+', '-'])[1 + floor(random() * 2)::int]
						  || lpad(floor(random() * 17)::int::text, 2, '0')
			  WHEN 6 THEN (ARRAY['+', '-'])[1 + floor(random() * 2)::int]
						  || lpad(floor(random() * 17)::int::text, 2, '0')
						  || lpad((ARRAY[0, 30, 45, 59, 60])[1 + floor(random() * 5)::int]::text, 2, '0')
			  ELSE (ARRAY['+', '-'])[1 + floor(random() * 2)::int]
				   || lpad(floor(random() * 17)::int::text, 2, '0') || ':'
				   || lpad((ARRAY[0, 30, 45, 59, 60])[1 + floor(random() * 5)::int]::text, 2, '0')
		  END AS s
FROM generate_series(1, 3000);

-- NULL when account_actions and the cast agree on s, else what differs.
CREATE FUNCTION tap_date_check(s text) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
	cast_value text;
	cast_state text := '00000';
	our_value text;
	our_state text := '00000';
BEGIN
	BEGIN
		cast_value := to_jsonb(s::timestamptz) #>> '{}';
	EXCEPTION WHEN OTHERS THEN
		cast_state := SQLSTATE;
	END;
	BEGIN
		our_value := account_actions(jsonb_build_object('sessions', jsonb_build_array(
			jsonb_build_object('actions', jsonb_build_array(
				jsonb_build_object('type', 'read', 'created_at', s))))))
			-> 'actions' -> 1 ->> 'last';
	EXCEPTION WHEN OTHERS THEN
		our_state := SQLSTATE;
	END;
	IF cast_state = '00000' AND our_state = '00000' AND cast_value = our_value THEN
		RETURN NULL;
	END IF;
	IF cast_state <> '00000' AND
		(our_state = cast_state OR (cast_state = '22009' AND our_state = '22008')) THEN
		RETURN NULL;
	END IF;
	RETURN format('%s: cast %s %s, account_actions %s %s',
				  s, cast_state, cast_value, our_state, our_value);
END
$$;

-- Whether the cast accepts s.
CREATE FUNCTION tap_cast_ok(s text) RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM s::timestamptz;
	RETURN true;
EXCEPTION WHEN OTHERS THEN
	RETURN false;
END
$$;

SELECT ok((SELECT count(*) FILTER (WHERE tap_cast_ok(s)) FROM tap_date_strings) > 2000
		  AND (SELECT count(*) FILTER (WHERE NOT tap_cast_ok(s)) FROM tap_date_strings) > 100,
		  'most random date strings are valid, some are not');
SET LOCAL TimeZone = 'UTC';
SELECT is((SELECT string_agg(e, E'\n')
		   FROM (SELECT tap_date_check(s) AS e FROM tap_date_strings) t),
		  NULL, 'random date strings are read as the cast reads them in UTC');
SET LOCAL TimeZone = 'America/New_York';
SELECT is((SELECT string_agg(e, E'\n')
		   FROM (SELECT tap_date_check(s) AS e FROM tap_date_strings) t),
		  NULL, 'random date strings are read as the cast reads them in America/New_York');
SET LOCAL TimeZone = 'Australia/Lord_Howe';
SELECT is((SELECT string_agg(e, E'\n')
		   FROM (SELECT tap_date_check(s) AS e FROM tap_date_strings) t),
		  NULL, 'random date strings are read as the cast reads them in Australia/Lord_Howe');
SET LOCAL TimeZone = 'UTC';

-- Errors are clean and of class 22.
SELECT throws_ok($$SELECT account_actions('[]')$$, '22023',
	'invalid account document at top level',
	'a document that is not an object is 22023');
SELECT throws_ok($$SELECT account_actions('{"sessions": [{}, {"actions": [{"type": 7}]}]}')$$,
	'22023', 'invalid type at sessions[1].actions[0].type',
	'a type that is not a string is 22023, with its path');
SELECT throws_ok($$SELECT account_actions('{"sessions": [{"actions": [{"type": "read", "created_at": "yesterday-ish"}]}]}')$$,
	'22007', 'invalid created_at at sessions[0].actions[0].created_at',
	'an unparsable date is 22007, with its path');
SELECT throws_ok($$SELECT account_actions('{"sessions": [{"actions": [{"type": "read", "created_at": {"$date": {"$numberLong": "99999999999999999"}}}]}]}')$$,
	'22008', 'created_at out of range at sessions[0].actions[0].created_at',
	'an out-of-range date is 22008, with its path');

SELECT * FROM finish();
ROLLBACK;
