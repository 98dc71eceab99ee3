--
-- action_summary_state: the text form, its round trips and its errors
--
CREATE EXTENSION IF NOT EXISTS accmatch;
SET TimeZone = 'UTC';

-- try_sql(query) is in sql/setup.sql.

-- The state of a few actions: the four counters (create, read, update,
-- delete), then the other types in byte order, each count@last in UTC.
SELECT action_summary_partial(type, created_at)
FROM (VALUES ('read', '2016-01-01T01:20:01Z'::timestamptz),
			 ('read', '2016-01-01T01:21:13.25Z'),
			 ('create', '2016-01-01T01:33:59Z'),
			 ('share', NULL),
			 ('export', '2015-12-31T23:00:00-05:00'),
			 ('update', NULL),
			 (NULL, '2020-01-01T00:00:00Z')) v(type, created_at);

-- No typed action: the empty state, not NULL.
SELECT action_summary_partial(type, created_at)
FROM (VALUES (NULL::text, '2016-01-01T00:00:00Z'::timestamptz)) v(type, created_at);
SELECT action_summary_partial(type, created_at) FROM (VALUES (NULL::text, NULL::timestamptz)) v(type, created_at) WHERE false;

-- The text form depends on no setting: the same state written under other
-- time zones, date styles and interval styles.
CREATE TEMP TABLE state_settings (setting text, state text);
SET TimeZone = 'America/New_York';
SET DateStyle = 'SQL, DMY';
INSERT INTO state_settings
SELECT 'New York, SQL', action_summary_partial(type, created_at)::text
FROM (VALUES ('read', '2016-07-01T12:00:00.123456Z'::timestamptz),
			 ('delete', '1999-12-31T23:59:59Z')) v(type, created_at);
SET TimeZone = 'Asia/Kolkata';
SET DateStyle = 'German';
SET IntervalStyle = 'sql_standard';
INSERT INTO state_settings
SELECT 'Kolkata, German', action_summary_partial(type, created_at)::text
FROM (VALUES ('read', '2016-07-01T12:00:00.123456Z'::timestamptz),
			 ('delete', '1999-12-31T23:59:59Z')) v(type, created_at);
RESET IntervalStyle;
SET DateStyle = 'ISO, YMD';
SET TimeZone = 'UTC';
SELECT * FROM state_settings ORDER BY setting;
-- and is read back the same under any of them
SET TimeZone = 'Pacific/Chatham';
SELECT state::action_summary_state::text = state AS same FROM state_settings;
SET TimeZone = 'UTC';

-- Written and read back: the same text, and the same binary form.
CREATE TEMP TABLE state_text (id int, t text);
INSERT INTO state_text VALUES
	(1, '0 0 0 0'),
	(2, '1 2 3 4'),
	(3, '9223372036854775807 0 0 9223372036854775807 "x":9223372036854775807'),
	(4, '1@2016-01-01T00:00:00Z 1@2016-01-01T00:00:00.5Z 1@2016-01-01T00:00:00.000001Z 1@2016-01-01T00:00:00.123456Z'),
	(5, '1@-infinity 1@infinity 1@-4713-11-24T00:00:00Z 1@294276-12-31T23:59:59.999999Z'),
	(6, '1@0000-02-29T12:00:00Z 1@-0001-12-31T23:59:59Z 1@0001-01-01T00:00:00Z 1@9999-12-31T23:59:59Z'),
	(7, '0 0 0 0 "":1 " ":2 "\"":3@2016-01-01T00:00:00Z "@":4 "Read":5 "\\":6 "a b":7 "a\\\"b":8 "creat":9 "created":10 "x:1 \"y\":2":11');
SELECT id, t::action_summary_state AS state,
	   t::action_summary_state::text = t AS same_text,
	   action_summary_state_send(t::action_summary_state::text::action_summary_state)
		   = action_summary_state_send(t::action_summary_state) AS same_binary
FROM state_text ORDER BY id;
-- Names with control characters and characters beyond ASCII, read and
-- written back (shown by length only).
SELECT t::action_summary_state::text = t AS same_text,
	   octet_length(t) AS bytes
FROM (VALUES (E'0 0 0 0 "\t":1 "\n":2 "\r\n":3'),
			 ('0 0 0 0 "café":1 "é":2 "€":3 "中文":4')) v(t);

-- What the input accepts beyond what the output writes: runs of spaces,
-- tabs and newlines, leading zeros, a fraction of fewer digits or with
-- trailing zeros, -0.
SELECT E'  0007\t1@2016-01-01T00:00:00Z \n 1@2016-01-01T00:00:00.500000Z  -0  "a":01 '::action_summary_state;
SELECT E'0 1@2016-01-01T00:00:00.5Z 0 0'::action_summary_state::text;

-- The binary form (send) is the serialized state of 1.1: version 1, the
-- number of other types, four counters of count, last (microseconds since
-- 2000-01-01 UTC) and a flag, then each other type with its name.
SELECT action_summary_state_send('1@2000-01-01T00:00:01Z 2 0 0 "ab":3');
SELECT length(action_summary_state_send('0 0 0 0')) AS empty_bytes;

-- The jsonb of a state is action_summary's for the same rows, in the
-- session time zone.
SELECT action_summary_result('1@2016-01-01T00:00:00Z 0 0 1@infinity "share":2');
SET TimeZone = 'America/New_York';
SELECT action_summary_result('1@2016-01-01T00:00:00Z 0 0 1@infinity "share":2');
SET TimeZone = 'UTC';
SELECT action_summary_result(NULL) IS NULL AS null_for_null;

--
-- Errors: malformed text 22P02, a count out of range 22003, a date field
-- or a time out of range 22008 (as timestamptz's input says them).
--
SELECT t.input, r.state, r.message, r.detail
FROM (VALUES
	(1, ''),
	(2, '0 0 0'),
	(3, '0 0 0 0 0'),
	(4, '0  0 0 x'),
	(5, '0,0,0,0'),
	(6, '0 0 0 0 a:1'),
	(7, '0 0 0 0 "a" 1'),
	(8, '0 0 0 0 "a:1'),
	(9, '0 0 0 0 "a\b":1'),
	(10, '0 0 0 0 "a":'),
	(11, '0 0 0 0 "a":1"b":1'),
	(12, '+1 0 0 0'),
	(13, '1@ 0 0 0'),
	(14, '1@2016-01-01 0 0 0'),
	(15, '1@2016-01-01 00:00:00Z 0 0 0'),
	(16, '1@2016-01-01T00:00:00 0 0 0'),
	(17, '1@2016-01-01T00:00:00+00 0 0 0'),
	(18, '1@16-01-01T00:00:00Z 0 0 0'),
	(19, '1@2016-1-01T00:00:00Z 0 0 0'),
	(20, '1@2016-01-01T00:00:00.Z 0 0 0'),
	(21, '1@2016-01-01T00:00:00.1234567Z 0 0 0'),
	(22, '1@Infinity 0 0 0'),
	(23, '1@2016-01-01T00:00:00Zx 0 0 0'),
	(24, '0@2016-01-01T00:00:00Z 0 0 0'),
	(25, '0 0 0 0 "b":1 "a":1'),
	(26, '0 0 0 0 "a":1 "a":1'),
	(27, '0 0 0 0 "read":1'),
	(28, '-1 0 0 0'),
	(29, '9223372036854775808 0 0 0'),
	(30, '99999999999999999999999 0 0 0'),
	(31, '0 0 0 0 "a":0'),
	(32, '1@2016-13-01T00:00:00Z 0 0 0'),
	(33, '1@2015-02-29T00:00:00Z 0 0 0'),
	(34, '1@2016-01-01T24:00:00Z 0 0 0'),
	(35, '1@2016-01-01T23:60:00Z 0 0 0'),
	(36, '1@2016-01-01T23:59:60Z 0 0 0'),
	(37, '1@-4713-11-23T23:59:59.999999Z 0 0 0'),
	(38, '1@294277-01-01T00:00:00Z 0 0 0'),
	(39, '1@99999999999-01-01T00:00:00Z 0 0 0')
	) t(id, input)
CROSS JOIN LATERAL try_sql(format('SELECT %L::action_summary_state', t.input)) r
ORDER BY t.id;

-- A long malformed input is quoted in part.
SELECT state, message, detail
FROM try_sql(format('SELECT %L::action_summary_state',
	'0 0 0 0 ' || repeat('"x":1 ', 100) || '?'));

-- The type has no operators: states are compared through their text or
-- their binary form.
SELECT state, message FROM try_sql($$SELECT '0 0 0 0'::action_summary_state = '0 0 0 0'::action_summary_state$$);
SELECT '1 0 0 0'::action_summary_state::text = '01 0 0 0'::action_summary_state::text AS same_text,
	   action_summary_state_send('1 0 0 0') = action_summary_state_send('01 0 0 0') AS same_binary;

-- Stored in a table column, the state is its binary form: compressed
-- when large, read back whole.
CREATE TEMP TABLE state_column (s action_summary_state);
INSERT INTO state_column
SELECT action_summary_partial('t' || lpad(g::text, 5, '0'), NULL)
FROM generate_series(1, 20000) g;
SELECT pg_column_size(s) < length(action_summary_state_send(s)) AS compressed,
	   length(s::text) AS text_length,
	   jsonb_array_length(action_summary_result(s)) AS entries
FROM state_column;

DROP TABLE state_settings, state_text, state_column;
