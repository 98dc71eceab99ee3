--
-- account_actions(doc): summaries of MongoDB-style account documents
--
CREATE EXTENSION IF NOT EXISTS accmatch;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, MDY';

-- try_sql(query), try_doc(doc) and actions_rows(doc) are in sql/setup.sql.

-- The seed example.
SELECT account_actions('{
	"number": 7800000000000,
	"name": "Jane Doe",
	"sessions": [
		{
			"created_at": "2016-01-01T01:20:00",
			"session_id": "6d6c3c4b-5f5a-4f4e-9f3e-2a1b0c9d8e7f",
			"actions": [
				{"type": "read", "created_at": "2016-01-01T01:20:01"},
				{"type": "read", "created_at": "2016-01-01T01:21:13"},
				{"type": "create", "created_at": "2016-01-01T01:33:59"}
			]
		}
	]
}');

-- The same document with its dates in MongoDB Extended JSON: a string, a
-- $numberLong of milliseconds since the Unix epoch, a plain number of
-- milliseconds.  Spread over two sessions, the summary is the same.
SELECT account_actions('{
	"number": 7800000000000,
	"sessions": [
		{"actions": [
			{"type": "read", "created_at": {"$date": "2016-01-01T01:20:01Z"}},
			{"type": "read", "created_at": {"$date": {"$numberLong": "1451611273000"}}}
		]},
		{"actions": [
			{"type": "create", "created_at": {"$date": 1451612039000}}
		]}
	]
}') = account_actions('{"number": 7800000000000, "sessions": [{"actions": [
	{"type": "read", "created_at": "2016-01-01T01:20:01"},
	{"type": "read", "created_at": "2016-01-01T01:21:13"},
	{"type": "create", "created_at": "2016-01-01T01:33:59"}]}]}') AS same;

-- Each Extended JSON form on its own.
SELECT d.form, r.last
FROM (VALUES
	(1, 'string with Z', '{"$date": "2016-01-01T01:20:01Z"}'),
	(2, 'string with offset', '{"$date": "2016-01-01T02:20:01.5+01:00"}'),
	(3, '$numberLong', '{"$date": {"$numberLong": "1451611201000"}}'),
	(4, '$numberLong with sign', '{"$date": {"$numberLong": "+1451611201000"}}'),
	(5, '$numberLong before 1970', '{"$date": {"$numberLong": "-1"}}'),
	(6, '$numberLong zero', '{"$date": {"$numberLong": "0"}}'),
	(7, 'number', '{"$date": 1451611201000}'),
	(8, 'number with exponent', '{"$date": 1.451611201e12}'),
	(9, 'number with fraction', '{"$date": 1451611201000.25}'),
	(10, 'number below a microsecond', '{"$date": 1451611201000.0004}'),
	(11, 'negative number', '{"$date": -86400000}')
) d(n, form, created_at),
	actions_rows(format('{"sessions": [{"actions": [{"type": "read", "created_at": %s}]}]}',
						d.created_at)::jsonb) r
WHERE r.pos = 2
ORDER BY d.n;

-- Date strings are read exactly as a ::timestamptz cast reads them: in the
-- session TimeZone when they have no zone (28 falls in the spring-forward
-- gap and 29 in the fall-back overlap of Los Angeles), with DateStyle for
-- ambiguous orders, special values included.  The ISO shapes (1-3, 5, 14,
-- 15, 17-23, 26-29, 31) take a fast path; the others, including the
-- out-of-range fields of 24 and 25 and the 7 fractional digits of 16, go to
-- PostgreSQL's parser.
CREATE TABLE date_strings (id int, s text);
INSERT INTO date_strings VALUES
	(1, '2016-01-01T01:20:01'),
	(2, '2016-01-01 01:20:01'),
	(3, '2016-01-01T01:20:01Z'),
	(4, '2016-01-01T01:20:01.123456789Z'),
	(5, '2016-01-01T01:20:01-08'),
	(6, '2016-01-01T01:20:01 America/New_York'),
	(7, '2016-01-01'),
	(8, '01/02/2016'),
	(9, 'Jan 2 2016 10:00 PST'),
	(10, 'epoch'),
	(11, 'infinity'),
	(12, '-infinity'),
	(13, '  2016-01-01T01:20:01Z  '),
	(14, '2016-01-01T01:20:01.5'),
	(15, '2016-01-01T01:20:01.123456Z'),
	(16, '2016-01-01T01:20:01.1234565Z'),
	(17, '2016-01-01T01:20:01+05:30'),
	(18, '2016-01-01T01:20:01-03:30'),
	(19, '2016-01-01T01:20:01+0530'),
	(20, '2016-01-01T01:20:01+05'),
	(21, '2016-01-01T01:20:01-00:00'),
	(22, '2016-01-01T01:20:01+15:59'),
	(23, '2016-02-29T12:00:00Z'),
	(24, '2016-01-01T24:00:00Z'),
	(25, '2016-12-31T23:59:60Z'),
	(26, '0001-01-01T00:00:00Z'),
	(27, '9999-12-31T23:59:59.999999Z'),
	(28, '2016-03-13T02:30:00'),
	(29, '2016-11-06T01:30:00'),
	(30, '2016-01-01t01:20:01z'),
	(31, '2016-07-01 12:00:00'),
	(32, '2016-01-01T00:00:00.');
-- each string read by account_actions() next to the ::timestamptz cast,
-- under the session's TimeZone and DateStyle at query time
CREATE TEMP VIEW date_check AS
SELECT id, s, r.last, r.last = to_jsonb(s::timestamptz) #>> '{}' AS same_as_cast
FROM date_strings,
	actions_rows(jsonb_build_object('sessions', jsonb_build_array(
		jsonb_build_object('actions', jsonb_build_array(
			jsonb_build_object('type', 'read', 'created_at', s)))))) r
WHERE r.pos = 2;
SELECT s, last, same_as_cast FROM date_check ORDER BY id;
SET TimeZone = 'America/Los_Angeles';
SET DateStyle = 'ISO, DMY';
SELECT s, last, same_as_cast FROM date_check ORDER BY id;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, MDY';

-- number is copied as whatever jsonb value it is; null when missing.
SELECT account_actions(d) -> 'number' AS number
FROM (VALUES
	('{"number": 7800000000000}'::jsonb),
	('{"number": "7800000000000"}'),
	('{"number": 1.5e3}'),
	('{"number": null}'),
	('{"number": true}'),
	('{"number": {"country": "FR", "id": [1, 2]}}'),
	('{"number": []}'),
	('{}')) v(d);
SELECT account_actions('{"number": {"country": "FR", "id": [1, 2]}}');
SELECT account_actions('{}');

-- Missing, null or empty sessions and actions mean none.
SELECT d, account_actions(d::jsonb) -> 'actions' -> 1 AS read
FROM (VALUES
	('{"number": 1}'),
	('{"number": 1, "sessions": null}'),
	('{"number": 1, "sessions": []}'),
	('{"number": 1, "sessions": [{}]}'),
	('{"number": 1, "sessions": [{"actions": null}]}'),
	('{"number": 1, "sessions": [{"actions": []}, {"actions": null}, {}]}')) v(d);

-- A missing or null type is ignored; a missing or null created_at counts
-- without changing last; other keys are ignored; other types follow the
-- four in byte order.
SELECT r.*
FROM actions_rows('{"number": 2, "name": "x", "sessions": [
	{"session_id": 1, "created_at": "2016-01-01T00:00:00Z", "actions": [
		{"created_at": "2016-05-01T00:00:00Z"},
		{"type": null, "created_at": "2016-05-01T00:00:00Z"},
		{"type": "read"},
		{"type": "read", "created_at": null},
		{"type": "read", "created_at": "2016-01-02T00:00:00Z", "extra": [1]},
		{"type": "update", "created_at": null},
		{"type": "login", "created_at": "2016-01-03T00:00:00Z"},
		{"type": "Login"},
		{"type": "login", "created_at": "2016-01-01T00:00:00Z"}
	]},
	{"actions": [
		{"type": "delete", "created_at": {"$date": {"$numberLong": "1451606400000"}}},
		{"type": "", "created_at": null}
	]}
]}') r
ORDER BY r.pos;

-- account_actions gives what action_summary gives over the same actions.
CREATE TABLE action (account bigint, session int, seq int, type text,
	created_at timestamptz);
INSERT INTO action VALUES
	(1, 1, 1, 'read', '2016-01-01T01:20:01Z'),
	(1, 1, 2, 'read', '2016-01-01T01:21:13Z'),
	(1, 1, 3, 'create', '2016-01-01T01:33:59Z'),
	(1, 2, 1, 'update', NULL),
	(1, 2, 2, NULL, '2017-01-01T00:00:00Z'),
	(1, 2, 3, 'share', '2016-06-01T00:00:00Z'),
	(2, 3, 1, 'delete', '2016-02-01T00:00:00Z'),
	(2, 3, 2, 'Delete', '2016-02-02T00:00:00Z'),
	(3, 4, 1, NULL, NULL);
WITH docs AS (
	SELECT account, jsonb_build_object('number', account, 'sessions',
			jsonb_agg(jsonb_build_object('actions', actions) ORDER BY session)) AS doc
	FROM (SELECT account, session,
				 jsonb_agg(jsonb_build_object('type', type, 'created_at', created_at)
						   ORDER BY seq) AS actions
		  FROM action GROUP BY account, session) s
	GROUP BY account
), summaries AS (
	SELECT account, action_summary(type, created_at) AS actions
	FROM action GROUP BY account
)
SELECT d.account,
	   account_actions(d.doc) = jsonb_build_object('number', s.account,
												   'actions', s.actions) AS same
FROM docs d JOIN summaries s USING (account)
ORDER BY d.account;

--
-- Malformed documents: errors of class 22 that say where.
--

-- The document itself.
SELECT 'array' AS doc, * FROM try_doc('[]')
UNION ALL SELECT 'string', * FROM try_doc('"x"')
UNION ALL SELECT 'number', * FROM try_doc('1')
UNION ALL SELECT 'null', * FROM try_doc('null');

-- sessions, a session, actions, an action, a type.
SELECT * FROM try_doc('{"sessions": "x"}')
UNION ALL SELECT * FROM try_doc('{"sessions": {"actions": []}}')
UNION ALL SELECT * FROM try_doc('{"sessions": [{}, {}, []]}')
UNION ALL SELECT * FROM try_doc('{"sessions": [null]}')
UNION ALL SELECT * FROM try_doc('{"sessions": [{"actions": 3}]}')
UNION ALL SELECT * FROM try_doc('{"sessions": [{}, {"actions": {"type": "read"}}]}')
UNION ALL SELECT * FROM try_doc('{"sessions": [{"actions": [{}, "read"]}]}')
UNION ALL SELECT * FROM try_doc('{"sessions": [{"actions": [null]}]}')
UNION ALL SELECT * FROM try_doc('{"sessions": [{"actions": [{"type": 1}]}]}')
UNION ALL SELECT * FROM try_doc('{"sessions": [{"actions": [{"type": ["read"]}]}]}')
UNION ALL SELECT * FROM try_doc('{"sessions": [{"actions": [{"type": true}]}]}');

-- created_at: unparsable (22007), out of range (22008), wrong shape (22023).
-- The path counts from 0; an action without a type still has its date
-- checked.
SELECT v.created_at, e.*
FROM (VALUES
	(1, '"garbage"'),
	(2, '""'),
	(3, '"2016-01-01T25:00:00"'),
	(4, '"2016-13-01"'),
	(5, '"2016-02-30"'),
	(6, '"294277-01-01"'),
	(7, '"4714-11-23 BC"'),
	(8, '"2016-01-01T00:00:00+16:00"'),
	(34, '"2015-02-29T00:00:00Z"'),
	(35, '"2016-04-31T00:00:00Z"'),
	(37, '"0000-01-01T00:00:00Z"'),
	(9, '{"$date": "garbage"}'),
	(10, '{"$date": {"$numberLong": "abc"}}'),
	(11, '{"$date": {"$numberLong": ""}}'),
	(12, '{"$date": {"$numberLong": "-"}}'),
	(13, '{"$date": {"$numberLong": " 1"}}'),
	(14, '{"$date": {"$numberLong": "1.5"}}'),
	(15, '{"$date": {"$numberLong": "99999999999999999999"}}'),
	(16, '{"$date": {"$numberLong": "9223372036854775807"}}'),
	(17, '{"$date": {"$numberLong": "-9223372036854775808"}}'),
	(18, '{"$date": {"$numberLong": "-210866803200001"}}'),
	(19, '{"$date": 1e30}'),
	(20, '{"$date": -1e17}'),
	(21, '1451611201000'),
	(22, 'true'),
	(23, '["2016-01-01"]'),
	(24, '{}'),
	(25, '{"date": "2016-01-01"}'),
	(26, '{"$date": "2016-01-01", "x": 1}'),
	(27, '{"$date": null}'),
	(28, '{"$date": true}'),
	(29, '{"$date": []}'),
	(30, '{"$date": {}}'),
	(31, '{"$date": {"$numberLong": 1451611201000}}'),
	(32, '{"$date": {"$numberLong": "1", "x": 1}}'),
	(33, '{"$date": {"$numberInt": "1"}}')
) v(n, created_at),
	try_doc(format('{"sessions": [{}, {}, {"actions": [{}, {"type": "read"}, {"type": "read", "created_at": "2016-01-01"}, {}, {}, {"type": "read", "created_at": %s}]}]}',
				   v.created_at)) e
ORDER BY v.n;
SELECT * FROM try_doc('{"sessions": [{"actions": [{"created_at": "garbage"}]}]}');

-- The limits just inside the range are accepted.
SELECT r.last
FROM actions_rows('{"sessions": [{"actions": [
	{"type": "create", "created_at": {"$date": {"$numberLong": "-210866803200000"}}},
	{"type": "read", "created_at": {"$date": 9224318015999999.999}}]}]}') r
WHERE r.pos <= 2
ORDER BY r.pos;

-- A time zone name the datetime parser does not know is reported by
-- PostgreSQL itself; the context says where.
SELECT state, message, context
FROM try_sql($$SELECT account_actions('{"sessions": [{"actions": [{"type": "read", "created_at": "2016-01-01 01:00 Mars/Olympus"}]}]}')$$);

DROP VIEW date_check;
DROP TABLE action, date_strings;
