-- gen_summary.sql: deterministic accounts, sessions and actions (normalized)
-- and account documents built from them, for the summary benchmark.
-- psql variables: account, session, action, doc (table names), n (the
-- size: 2n actions in n/2 sessions of n/5 accounts; documents for the
-- first n/10 accounts), seed.
--
-- Action types: read 45%, create 25%, update 15%, delete 12%, and two
-- other types (export, share) 3%; about 0.1% of actions have a NULL
-- created_at.  Times are whole seconds, in 2016-2020.  Rows are stored in
-- random order.

SET client_min_messages = warning;
SET TimeZone = 'UTC';
DROP TABLE IF EXISTS :doc, :action, :session, :account;

CREATE TABLE :account AS
SELECT i::int AS id,
	(7800000000000 + i)::text AS number,
	'User ' || i AS name
FROM generate_series(1, greatest(:n / 5, 1)) AS i
ORDER BY bench.u(i, :seed, 20);

CREATE TABLE :session AS
SELECT i AS id,
	1 + floor(bench.u(i, :seed, 21) * greatest(:n / 5, 1))::int AS account_id,
	timestamptz '2016-01-01 00:00:00+00'
		+ floor(bench.u(i, :seed, 22) * 1826 * 86400) * interval '1 second' AS created_at,
	md5(i::text || ':' || :seed) AS session_id
FROM generate_series(1, greatest(:n / 2, 1)) AS i
ORDER BY bench.u(i, :seed, 23);

CREATE TABLE :action AS
SELECT i AS id, sid AS session_id,
	CASE WHEN t < 0.45 THEN 'read' WHEN t < 0.70 THEN 'create'
		WHEN t < 0.85 THEN 'update' WHEN t < 0.97 THEN 'delete'
		WHEN t < 0.985 THEN 'export' ELSE 'share' END AS type,
	CASE WHEN bench.u(i, :seed, 26) < 0.001 THEN NULL
	ELSE timestamptz '2016-01-01 00:00:00+00'
		+ floor(bench.u(sid, :seed, 22) * 1826 * 86400) * interval '1 second'
		+ floor(bench.u(i, :seed, 27) * 10800) * interval '1 second' END AS created_at
FROM (SELECT i,
		1 + floor(bench.u(i, :seed, 24) * greatest(:n / 2, 1))::bigint AS sid,
		bench.u(i, :seed, 25) AS t
	  FROM generate_series(1, 2 * :n) AS i) g
ORDER BY bench.u(i, :seed, 28);

CREATE TABLE :doc AS
WITH sa AS (
	SELECT session_id,
		jsonb_agg(jsonb_build_object('type', type, 'created_at', created_at)
				  ORDER BY created_at, id) AS actions
	FROM :action GROUP BY session_id
), ss AS (
	SELECT s.account_id,
		jsonb_agg(jsonb_build_object('created_at', s.created_at,
									 'session_id', s.session_id,
									 'actions', coalesce(sa.actions, '[]'))
				  ORDER BY s.created_at, s.id) AS sessions
	FROM :session s LEFT JOIN sa ON sa.session_id = s.id
	GROUP BY s.account_id
)
SELECT jsonb_build_object('number', c.number, 'name', c.name,
						  'sessions', coalesce(ss.sessions, '[]')) AS doc
FROM :account c LEFT JOIN ss ON ss.account_id = c.id
WHERE c.id <= greatest(:n / 10, 1)
ORDER BY bench.u(c.id, :seed, 29);

VACUUM ANALYZE :account;
VACUUM ANALYZE :session;
VACUUM ANALYZE :action;
VACUUM ANALYZE :doc;
