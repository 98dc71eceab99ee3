--
-- action_summary(type, created_at): shapes, ordering, NULLs, grouping
--
CREATE EXTENSION IF NOT EXISTS accmatch;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- summary_rows(summary) and try_sql(query) are in sql/setup.sql.

-- The seed example, over normalized tables.
CREATE TABLE account (number bigint PRIMARY KEY, name text);
CREATE TABLE session (id int PRIMARY KEY, account bigint REFERENCES account,
	created_at timestamptz);
CREATE TABLE action (session int REFERENCES session, type text,
	created_at timestamptz);

INSERT INTO account VALUES
	(7800000000000, 'seed'),
	(7800000000001, 'no sessions'),
	(7800000000002, 'a session without actions'),
	(7800000000003, 'all four types, two sessions');
INSERT INTO session VALUES
	(1, 7800000000000, '2016-01-01T01:20:00Z'),
	(2, 7800000000002, '2016-02-01T00:00:00Z'),
	(3, 7800000000003, '2016-03-01T00:00:00Z'),
	(4, 7800000000003, '2016-03-02T00:00:00Z');
INSERT INTO action VALUES
	(1, 'read', '2016-01-01T01:20:01Z'),
	(1, 'read', '2016-01-01T01:21:13Z'),
	(1, 'create', '2016-01-01T01:33:59Z'),
	(3, 'delete', '2016-03-01T10:00:00Z'),
	(3, 'update', '2016-03-01T09:00:00Z'),
	(4, 'update', '2016-03-02T08:00:00Z'),
	(4, 'update', '2016-03-02T07:00:00.5Z'),
	(4, 'read', '2016-03-02T06:00:00Z'),
	(3, 'create', '2016-03-01T05:00:00+05:00');

-- The exact result for the seed account.
SELECT action_summary(x.type, x.created_at)
FROM account a
JOIN session s ON s.account = a.number
JOIN action x ON x.session = s.id
WHERE a.number = 7800000000000;

-- It is what to_jsonb gives for the same summary written in SQL.
SELECT action_summary(x.type, x.created_at) = (
	SELECT jsonb_agg(jsonb_build_object(
			'type', t.type,
			'last', (SELECT max(y.created_at) FROM action y
					 WHERE y.session = 1 AND y.type = t.type),
			'count', (SELECT count(*) FROM action y
					  WHERE y.session = 1 AND y.type = t.type))
		ORDER BY t.ord)
	FROM unnest(ARRAY['create', 'read', 'update', 'delete'])
		WITH ORDINALITY AS t(type, ord)) AS same_as_sql
FROM action x
WHERE x.session = 1;

-- GROUP BY over several accounts; LEFT JOINs keep the accounts without
-- sessions or actions, whose only row has a NULL type: four zero entries.
SELECT a.number, action_summary(x.type, x.created_at)
FROM account a
LEFT JOIN session s ON s.account = a.number
LEFT JOIN action x ON x.session = s.id
GROUP BY a.number
ORDER BY a.number;

-- The same by sorting instead of hashing.
SET enable_hashagg = off;
SELECT a.number, action_summary(x.type, x.created_at)
FROM account a
LEFT JOIN session s ON s.account = a.number
LEFT JOIN action x ON x.session = s.id
GROUP BY a.number
ORDER BY a.number;
RESET enable_hashagg;

-- Grouping sets: each set has its own state; () sums all accounts.
SELECT a.number, r.*
FROM (SELECT a.number, action_summary(x.type, x.created_at) AS s
	  FROM account a
	  LEFT JOIN session s ON s.account = a.number
	  LEFT JOIN action x ON x.session = s.id
	  GROUP BY GROUPING SETS ((a.number), ())) a,
	summary_rows(a.s) r
WHERE a.number IS NULL OR a.number = 7800000000003
ORDER BY a.number NULLS LAST, r.pos;

-- Empty input: four entries with count 0 and last null.
SELECT action_summary(type, created_at) FROM action WHERE false;

-- Only NULL types: ignored, so the same as empty input.
SELECT action_summary(type, created_at)
FROM (VALUES (NULL::text, '2016-01-01T00:00:00Z'::timestamptz),
			 (NULL, NULL)) v(type, created_at);

-- A NULL created_at is counted and does not change last; a type with only
-- NULL created_at has count > 0 and last null.
SELECT r.*
FROM summary_rows((
	SELECT action_summary(type, created_at)
	FROM (VALUES ('read', '2016-01-01T00:00:00Z'::timestamptz),
				 ('read', NULL),
				 ('read', '2015-12-31T23:59:59.999999Z'),
				 ('update', NULL),
				 ('update', NULL),
				 (NULL, '2020-01-01T00:00:00Z')) v(type, created_at))) r
ORDER BY r.pos;

-- Other types follow the four, in byte order (the C collation), whatever
-- the database collation: upper case before '_' before lower case, the
-- empty string first, a prefix before its extensions.  Case matters: "Read"
-- is not "read".
SELECT r.*
FROM summary_rows((
	SELECT action_summary(type, created_at)
	FROM (VALUES ('b', '2016-01-02T00:00:00Z'::timestamptz),
				 ('~', NULL),
				 ('a', '2016-01-01T00:00:00Z'),
				 ('B', '2016-01-03T00:00:00Z'),
				 ('_x', NULL),
				 ('Read', '2016-01-04T00:00:00Z'),
				 ('', NULL),
				 ('readx', '2016-01-05T00:00:00Z'),
				 ('rea', '2016-01-06T00:00:00Z'),
				 ('b', '2016-01-01T00:00:00Z'),
				 ('read', '2016-01-07T00:00:00Z'),
				 ('delete ', NULL),
				 ('creat', NULL)) v(type, created_at))) r
ORDER BY r.pos;

-- Many other types, added in reverse order, come out sorted.
SELECT count(*) AS entries,
	   bool_and(r.type = 't' || lpad((r.pos - 4)::text, 3, '0')) AS sorted,
	   sum((r.count)::int) AS total
FROM summary_rows((
	SELECT action_summary('t' || lpad(g::text, 3, '0'), NULL)
	FROM generate_series(300, 1, -1) g)) r
WHERE r.pos > 4;

-- Infinite and extreme timestamps, encoded as to_jsonb encodes them.
SELECT r.*,
	   r.last = (to_jsonb(v.t) #>> '{}') AS same_as_to_jsonb
FROM summary_rows((
	SELECT action_summary(type, created_at)
	FROM (VALUES ('create', '-infinity'::timestamptz),
				 ('read', '-infinity'),
				 ('read', '4713-01-01 00:00:00+00 BC'),
				 ('update', 'infinity'),
				 ('update', '294276-12-31 23:59:59.999999+00'),
				 ('delete', '294276-12-31 23:59:59.999999+00')) v(type, created_at))) r
JOIN (VALUES (1, '-infinity'::timestamptz),
			 (2, '4713-01-01 00:00:00+00 BC'),
			 (3, 'infinity'),
			 (4, '294276-12-31 23:59:59.999999+00')) v(pos, t)
	ON v.pos = r.pos
ORDER BY r.pos;

-- last is encoded in the session time zone, like to_jsonb.
SET TimeZone = 'America/New_York';
SELECT r.last, r.last = (to_jsonb('2016-07-01T12:00:00Z'::timestamptz) #>> '{}') AS same_as_to_jsonb
FROM summary_rows((
	SELECT action_summary('read', '2016-07-01T12:00:00Z'))) r
WHERE r.pos = 2;
SET TimeZone = 'UTC';

-- As a window function the final function runs many times on one state,
-- which it must not change.
SELECT x.created_at, r.type, r.last, r.count
FROM (SELECT created_at,
			 action_summary(type, created_at) OVER (ORDER BY created_at) AS s
	  FROM action WHERE session IN (3, 4)) x,
	summary_rows(x.s) r
WHERE r.count <> '0'
ORDER BY x.created_at, r.pos;

--
-- The support functions of action_summary_v11, the aggregate of 1.1 with
-- an internal state (kept for views built on 1.1), refuse to run outside
-- the aggregate.  Those of the 1.2 aggregates are tested in
-- sql/summary_rollup.sql.
--

-- From SQL they cannot even be called, as no value of type internal can be
-- written: PostgreSQL finds no such function (42883).  Older minor releases
-- (15.18, for one) take the untyped NULL as internal and call the C
-- function, which refuses to run outside the aggregate (0A000).  Either
-- way the call fails, which is what is checked here.
SELECT state IN ('42883', '0A000') AS refused
FROM try_sql($$SELECT action_summary_trans(NULL, 'read', '2016-01-01T00:00:00Z')$$);
SELECT state IN ('42883', '0A000') AS refused
FROM try_sql($$SELECT action_summary_combine(NULL, NULL)$$);

-- Reached through other signatures, the C functions check their caller.
CREATE SCHEMA probe;
CREATE FUNCTION probe.trans(bytea, text, timestamptz) RETURNS bytea
	AS '$libdir/accmatch', 'action_summary_trans' LANGUAGE C;
CREATE FUNCTION probe.combine(bytea, bytea) RETURNS bytea
	AS '$libdir/accmatch', 'action_summary_combine' LANGUAGE C;
CREATE FUNCTION probe.serial(bytea) RETURNS bytea
	AS '$libdir/accmatch', 'action_summary_serial' LANGUAGE C STRICT;
CREATE FUNCTION probe.deserial(bytea, bytea) RETURNS bytea
	AS '$libdir/accmatch', 'action_summary_deserial' LANGUAGE C STRICT;

SELECT state, message, detail FROM try_sql($$SELECT probe.trans(NULL, 'read', '2016-01-01T00:00:00Z')$$);
SELECT state, message, detail FROM try_sql($$SELECT probe.combine(NULL, NULL)$$);
SELECT state, message, detail FROM try_sql($$SELECT probe.serial('\x00')$$);
SELECT state, message, detail FROM try_sql($$SELECT probe.deserial('\x00', '\x00')$$);

-- A corrupt serialized state is an error (22P03), never a crash.  The
-- deserialization function is reached inside an aggregate by making it the
-- transition function of a bytea aggregate: the first row becomes the state
-- and the second row calls it on that state.  Only invalid states are
-- given, since a valid one would come back as an internal pointer.
CREATE AGGREGATE probe.deserial_agg(bytea) (
	SFUNC = probe.deserial, STYPE = bytea);

-- a counter: count, last, has_last
CREATE FUNCTION probe.counter(count bigint, last bigint, flag int)
RETURNS bytea LANGUAGE sql IMMUTABLE
AS $$
	SELECT int8send(count) || int8send(last) || decode(lpad(to_hex(flag), 2, '0'), 'hex')
$$;
-- a serialized state: version, number of other types, then the rest
CREATE FUNCTION probe.state(version int, nextras int, rest bytea)
RETURNS bytea LANGUAGE sql IMMUTABLE
AS $$
	SELECT decode(lpad(to_hex(version), 2, '0'), 'hex') || int4send(nextras) || rest
$$;
CREATE FUNCTION probe.try(state bytea,
	OUT state text, OUT message text, OUT detail text)
LANGUAGE sql
AS $$
	SELECT state, message, detail FROM try_sql(format(
		'SELECT probe.deserial_agg(b) FROM (VALUES (%L::bytea), (''\x'')) v(b)',
		state))
$$;

-- A valid state of four zero counters, for reference: 73 bytes.
SELECT length(probe.state(1, 0, probe.counter(0, 0, 0) || probe.counter(0, 0, 0)
						  || probe.counter(0, 0, 0) || probe.counter(0, 0, 0)));

SELECT 'empty' AS problem, * FROM probe.try('\x')
UNION ALL
SELECT 'version 2', * FROM probe.try(probe.state(2, 0, '\x'))
UNION ALL
SELECT 'no counters', * FROM probe.try(probe.state(1, 0, '\x'))
UNION ALL
SELECT 'three counters', * FROM probe.try(probe.state(1, 0,
	probe.counter(0, 0, 0) || probe.counter(0, 0, 0) || probe.counter(0, 0, 0)))
UNION ALL
SELECT 'negative number of others', * FROM probe.try(probe.state(1, -1,
	decode(repeat('00', 4 * 17), 'hex')))
UNION ALL
SELECT 'more others than bytes', * FROM probe.try(probe.state(1, 2,
	decode(repeat('00', 4 * 17 + 21), 'hex')))
UNION ALL
SELECT 'flag 2', * FROM probe.try(probe.state(1, 0,
	probe.counter(1, 0, 2) || decode(repeat('00', 3 * 17), 'hex')))
UNION ALL
SELECT 'negative count', * FROM probe.try(probe.state(1, 0,
	probe.counter(-1, 0, 0) || decode(repeat('00', 3 * 17), 'hex')))
UNION ALL
SELECT 'last without action', * FROM probe.try(probe.state(1, 0,
	probe.counter(0, 1, 1) || decode(repeat('00', 3 * 17), 'hex')))
UNION ALL
SELECT 'last without flag', * FROM probe.try(probe.state(1, 0,
	probe.counter(1, 1, 0) || decode(repeat('00', 3 * 17), 'hex')))
UNION ALL
SELECT 'last out of range', * FROM probe.try(probe.state(1, 0,
	probe.counter(1, -9223372036854775807, 1) || decode(repeat('00', 3 * 17), 'hex')))
UNION ALL
SELECT 'trailing byte', * FROM probe.try(probe.state(1, 0,
	decode(repeat('00', 4 * 17 + 1), 'hex')))
UNION ALL
SELECT 'other with count 0', * FROM probe.try(probe.state(1, 1,
	decode(repeat('00', 4 * 17), 'hex')
	|| probe.counter(0, 0, 0) || int4send(1) || 'x'::bytea))
UNION ALL
SELECT 'fixed type as other', * FROM probe.try(probe.state(1, 1,
	decode(repeat('00', 4 * 17), 'hex')
	|| probe.counter(1, 0, 0) || int4send(4) || 'read'::bytea))
UNION ALL
SELECT 'others out of order', * FROM probe.try(probe.state(1, 2,
	decode(repeat('00', 4 * 17), 'hex')
	|| probe.counter(1, 0, 0) || int4send(1) || 'b'::bytea
	|| probe.counter(1, 0, 0) || int4send(1) || 'a'::bytea))
UNION ALL
SELECT 'duplicate other', * FROM probe.try(probe.state(1, 2,
	decode(repeat('00', 4 * 17), 'hex')
	|| probe.counter(1, 0, 0) || int4send(1) || 'a'::bytea
	|| probe.counter(1, 0, 0) || int4send(1) || 'a'::bytea))
UNION ALL
SELECT 'negative name length', * FROM probe.try(probe.state(1, 1,
	decode(repeat('00', 4 * 17), 'hex')
	|| probe.counter(1, 0, 0) || int4send(-1) || 'a'::bytea))
UNION ALL
SELECT 'name past the end', * FROM probe.try(probe.state(1, 1,
	decode(repeat('00', 4 * 17), 'hex')
	|| probe.counter(1, 0, 0) || int4send(9) || 'a'::bytea));

SET client_min_messages = warning;
DROP SCHEMA probe CASCADE;
RESET client_min_messages;
DROP TABLE action, session, account;
