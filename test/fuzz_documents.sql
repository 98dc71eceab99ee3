-- fuzz_documents.sql: account_actions() on more than 10,000 generated
-- account documents, valid, mutated and random (seeded).
--
-- The documents: valid ones in every created_at form (ISO strings with and
-- without a zone, {"$date": string}, {"$date": {"$numberLong": string}},
-- {"$date": number}, null, missing); the same with one to three values
-- replaced, at every level, by a value of another kind (huge and tiny
-- numbers, odd date strings, Extended JSON variants gone wrong, arrays,
-- objects, booleans, nulls, deep nesting) or removed; every such value at
-- every level of one document; random JSON trees built from the same keys;
-- deeply nested and very large documents.
--
-- Each call must either return a summary or raise an error of class 22,
-- and the server must never restart.  A summary must be {number, actions}
-- with the document's number, create/read/update/delete first and the
-- other types after them in byte order, once each, and the per-type counts
-- of the document's typed actions, counted here with SQL/JSON paths.
-- Takes about 10 s.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS accmatch;
SELECT plan(12);

CREATE TEMP TABLE fuzz_start AS
SELECT pg_backend_pid() AS pid, pg_postmaster_start_time() AS started;

SELECT setseed(0.1616);

-- ---------------------------------------------------------------------
-- Generators
-- ---------------------------------------------------------------------

-- a random element of an array
CREATE FUNCTION pg_temp.pick(a anyarray) RETURNS anyelement
LANGUAGE sql AS $$ SELECT a[1 + floor(random() * array_length(a, 1))::int] $$;

-- Values of every kind that do not belong where they are put.
CREATE TEMP TABLE weird (id serial PRIMARY KEY, v jsonb NOT NULL);
INSERT INTO weird (v)
SELECT v::jsonb FROM (VALUES
	-- numbers
	('0'), ('-1'), ('1'), ('0.5'), ('-0.0'), ('1e400'), ('-1e400'), ('1e-400'),
	('123456789012345678901234567890'), ('9223372036854775807'),
	('9223372036854775808'), ('-9223372036854775809'), ('1451606400000'),
	('-62135596800000'), ('1.5e15'), ('3.999999999e17'),
	-- strings that are, or are nearly, dates
	('""'), ('" "'), ('"x"'), ('"null"'), ('"true"'), ('"2016-13-45"'),
	('"2016-02-30T00:00:00Z"'), ('"2016-01-01T24:00:00Z"'),
	('"2016-01-01T23:59:60Z"'), ('"2016-01-01T25:00:00Z"'),
	('"2016-01-01T00:00:00.1234567Z"'), ('"2016-01-01T00:00:00+99:00"'),
	('"2016-01-01T00:00:00+15:59"'), ('"2016-01-01T00:00:00-1530"'),
	('"2016-01-01T00:00:00 Europe/Moscow"'), ('"2016-01-01T00:00:00 Foo/Bar"'),
	('"2016-01-01T00:00:00 XYZ"'), ('"2016-01-01T"'), ('"2016-01-01"'),
	('"2016-1-1 1:2:3"'), ('"T00:00:00"'), ('"00:00:00"'), ('"infinity"'),
	('"-infinity"'), ('"epoch"'), ('"now"'), ('"today"'), ('"tomorrow"'),
	('"allballs"'), ('"0001-01-01 00:00:00 BC"'), ('"4714-11-24 00:00:00+00 BC"'),
	('"4714-11-23 00:00:00+00 BC"'), ('"294276-12-31 23:59:59+00"'),
	('"294277-01-01 00:00:00+00"'), ('"5874897-12-31"'), ('"J2451545"'),
	('"1e10"'), ('"0x10"'), ('"1451606400000"'), ('"2016-01-01T00:00:00Zjunk"'),
	('"2016‐01‐01T00:00:00Z"'), ('"２０１６-01-01"'), ('"Пользователь"'),
	('"\\u0001"'), ('"2016-01-01T00:00:00\\n"'),
	-- Extended JSON, right and wrong
	('{"$date": "2016-01-01T00:00:00Z"}'), ('{"$date": "2016-13-45"}'),
	('{"$date": ""}'), ('{"$date": "infinity"}'), ('{"$date": 1451606400000}'),
	('{"$date": 1e400}'), ('{"$date": -1e400}'), ('{"$date": 1.5}'),
	('{"$date": -0.5}'), ('{"$date": 9223372036854775807}'),
	('{"$date": 9.3e15}'), ('{"$date": -2.1e14}'),
	('{"$date": {"$numberLong": "1451606400000"}}'),
	('{"$date": {"$numberLong": "-62135596800000"}}'),
	('{"$date": {"$numberLong": "9223372036854775807"}}'),
	('{"$date": {"$numberLong": "9223372036854775808"}}'),
	('{"$date": {"$numberLong": "-9223372036854775808"}}'),
	('{"$date": {"$numberLong": "99999999999999999999999"}}'),
	('{"$date": {"$numberLong": "abc"}}'), ('{"$date": {"$numberLong": ""}}'),
	('{"$date": {"$numberLong": "+"}}'), ('{"$date": {"$numberLong": "-"}}'),
	('{"$date": {"$numberLong": " 1"}}'), ('{"$date": {"$numberLong": "1e3"}}'),
	('{"$date": {"$numberLong": 1451606400000}}'),
	('{"$date": {"$numberLong": "1", "x": 2}}'), ('{"$date": {"$numberLong": null}}'),
	('{"$date": null}'), ('{"$date": []}'), ('{"$date": {}}'), ('{"$date": true}'),
	('{"$date": "2016-01-01T00:00:00Z", "extra": 1}'), ('{"$numberLong": "1"}'),
	('{"$date": {"$date": "2016-01-01T00:00:00Z"}}'), ('{"date": "2016-01-01"}'),
	('{"$oid": "5f1d7f3e9d1b2c0001a1b2c3"}'),
	-- other kinds
	('true'), ('false'), ('null'), ('[]'), ('[1]'), ('[null]'), ('["read"]'),
	('[{}]'), ('[[]]'), ('{}'), ('{"a": 1}'), ('{"type": "read"}'),
	('[{"type": "read"}]'), ('[{"actions": []}]'), ('{"actions": []}'),
	('[{"actions": [{"type": "read", "created_at": 1}]}]')
) t(v);
-- long strings and deep nesting
INSERT INTO weird (v) VALUES
	(to_jsonb(repeat('9', 500))), (to_jsonb(repeat('x', 20000))),
	(to_jsonb(repeat('2016-01-01 ', 200))),
	((repeat('[', 200) || '1' || repeat(']', 200))::jsonb),
	((repeat('{"a": ', 200) || 'null' || repeat('}', 200))::jsonb),
	((repeat('{"$date": ', 100) || '"2016-01-01T00:00:00Z"' || repeat('}', 100))::jsonb),
	((repeat('[{"actions": ', 50) || '[]' || repeat('}]', 50))::jsonb),
	((SELECT jsonb_agg(g) FROM generate_series(1, 5000) g)),
	((SELECT jsonb_object_agg('k' || g, g) FROM generate_series(1, 2000) g));

CREATE FUNCTION pg_temp.weird_value() RETURNS jsonb
LANGUAGE sql AS $$
	SELECT v FROM weird
	WHERE id = (SELECT 1 + floor(random() * max(id))::int FROM weird)
$$;

-- A created_at in one of the forms documents use, or NULL for "missing".
CREATE FUNCTION pg_temp.valid_created_at() RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	t timestamptz := timestamptz '2015-06-01 00:00:00+00'
		+ random() * interval '1000 days';
	u timestamp := t AT TIME ZONE 'UTC';
	ms bigint := floor(extract(epoch FROM t) * 1000);
BEGIN
	CASE floor(random() * 10)::int
		WHEN 0 THEN RETURN to_jsonb(to_char(u, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
		WHEN 1 THEN RETURN to_jsonb(to_char(u, 'YYYY-MM-DD HH24:MI:SS.US') || '+03:00');
		WHEN 2 THEN RETURN to_jsonb(to_char(u, 'YYYY-MM-DD"T"HH24:MI:SS.MS'));
		WHEN 3 THEN RETURN jsonb_build_object('$date', to_char(u, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
		WHEN 4 THEN RETURN jsonb_build_object('$date', jsonb_build_object('$numberLong', ms::text));
		WHEN 5 THEN RETURN jsonb_build_object('$date', ms);
		WHEN 6 THEN RETURN 'null';
		WHEN 7 THEN RETURN NULL;
		WHEN 8 THEN RETURN to_jsonb(t::text);
		ELSE RETURN to_jsonb(to_char(u, 'DD Mon YYYY HH24:MI:SS') || ' UTC');
	END CASE;
END $$;

-- A well-formed document: 0-3 sessions of 0-5 actions, with now and then
-- a missing or null sessions, actions, type or created_at.
CREATE FUNCTION pg_temp.valid_doc(max_actions int DEFAULT 5) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	sessions jsonb := '[]';
	actions jsonb;
	action jsonb;
	ca jsonb;
	doc jsonb;
BEGIN
	FOR s IN 1 .. floor(random() * 4)::int LOOP
		actions := '[]';
		FOR a IN 1 .. floor(random() * (max_actions + 1))::int LOOP
			action := CASE floor(random() * 20)::int
				WHEN 0 THEN '{}'::jsonb
				WHEN 1 THEN '{"type": null}'::jsonb
				ELSE jsonb_build_object('type', pg_temp.pick(ARRAY['create', 'read',
					'update', 'delete', 'read', 'create', 'login', '', 'Read', 'ünïcode']))
			END;
			ca := pg_temp.valid_created_at();
			IF ca IS NOT NULL THEN
				action := action || jsonb_build_object('created_at', ca);
			END IF;
			actions := actions || jsonb_build_array(action);
		END LOOP;
		sessions := sessions || jsonb_build_array(
			jsonb_build_object('created_at', coalesce(pg_temp.valid_created_at(), 'null'),
				'session_id', md5(random()::text))
			|| CASE floor(random() * 20)::int
				WHEN 0 THEN '{}'::jsonb
				WHEN 1 THEN '{"actions": null}'::jsonb
				ELSE jsonb_build_object('actions', actions)
			END);
	END LOOP;
	doc := jsonb_build_object('_id', jsonb_build_object('$oid', md5(random()::text)),
		'number', (7800000000000 + floor(random() * 1000000))::bigint::text,
		'name', 'Account ' || floor(random() * 1000));
	RETURN doc || CASE floor(random() * 20)::int
		WHEN 0 THEN '{}'::jsonb
		WHEN 1 THEN '{"sessions": null}'::jsonb
		ELSE jsonb_build_object('sessions', sessions)
	END;
END $$;

-- Paths to every level of a document; %1$s is a session, %2$s an action.
CREATE TEMP TABLE fuzz_paths (p text);
INSERT INTO fuzz_paths VALUES ('{number}'), ('{name}'), ('{_id}'), ('{sessions}'),
	('{sessions,%1$s}'), ('{sessions,%1$s,created_at}'),
	('{sessions,%1$s,actions}'), ('{sessions,%1$s,actions,%2$s}'),
	('{sessions,%1$s,actions,%2$s,type}'), ('{sessions,%1$s,actions,%2$s,created_at}'),
	('{sessions,%1$s,actions,%2$s,created_at,$date}'),
	('{sessions,%1$s,actions,%2$s,created_at,$date,$numberLong}'),
	('{sessions,%1$s,actions,%2$s,extra}'), ('{extra}');

-- Replace (or, one time in six, remove) the value at a random level.
CREATE FUNCTION pg_temp.mutate(doc jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	path text[] := format(pg_temp.pick(ARRAY(SELECT p FROM fuzz_paths)),
		floor(random() * 3)::int, floor(random() * 4)::int)::text[];
BEGIN
	IF random() < 1.0 / 6 THEN
		RETURN doc #- path;
	END IF;
	RETURN jsonb_set(doc, path, pg_temp.weird_value(), true);
EXCEPTION WHEN invalid_parameter_value OR data_exception THEN
	RETURN doc;					-- a path through a scalar: leave it
END $$;

-- A random JSON tree over the keys documents use.
CREATE FUNCTION pg_temp.random_json(depth int) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	r float8 := random();
	o jsonb;
BEGIN
	IF depth <= 0 OR r < 0.3 THEN
		RETURN CASE WHEN random() < 0.5 THEN pg_temp.weird_value()
			ELSE coalesce(pg_temp.valid_created_at(), '"read"') END;
	ELSIF r < 0.7 THEN
		o := '{}';
		FOR i IN 1 .. floor(random() * 4)::int LOOP
			o := o || jsonb_build_object(pg_temp.pick(ARRAY['number', 'sessions',
				'actions', 'type', 'created_at', '$date', '$numberLong', 'name', 'x']),
				pg_temp.random_json(depth - 1));
		END LOOP;
		RETURN o;
	ELSE
		o := '[]';
		FOR i IN 1 .. floor(random() * 4)::int LOOP
			o := o || jsonb_build_array(pg_temp.random_json(depth - 1));
		END LOOP;
		RETURN o;
	END IF;
END $$;

-- ---------------------------------------------------------------------
-- The documents
-- ---------------------------------------------------------------------
CREATE TEMP TABLE fuzz_docs (id serial PRIMARY KEY, kind text, doc jsonb NOT NULL);

INSERT INTO fuzz_docs (kind, doc)
SELECT 'valid', pg_temp.valid_doc() FROM generate_series(1, 2500);

INSERT INTO fuzz_docs (kind, doc)
SELECT 'mutated', CASE
		WHEN random() < 0.03 THEN pg_temp.weird_value()		-- not even a document
		WHEN n = 1 THEN pg_temp.mutate(d)
		WHEN n = 2 THEN pg_temp.mutate(pg_temp.mutate(d))
		ELSE pg_temp.mutate(pg_temp.mutate(pg_temp.mutate(d)))
	END
FROM (SELECT pg_temp.valid_doc() AS d, 1 + floor(random() * 3)::int AS n
	  FROM generate_series(1, 5500)) s;

-- every weird value at every level of one document with all the forms
INSERT INTO fuzz_docs (kind, doc)
SELECT 'every level', jsonb_set(base.doc, format(fp.p, 0, a)::text[], w.v, true)
FROM (SELECT '{"number": "7800000000009", "sessions": [{"actions": [
		{"type": "read", "created_at": "2016-01-01T01:20:01Z"},
		{"type": "create", "created_at": {"$date": "2016-01-01T01:33:59Z"}},
		{"type": "update", "created_at": {"$date": {"$numberLong": "1451610000000"}}},
		{"type": "delete", "created_at": {"$date": 1451610000000}}]}]}'::jsonb AS doc) base,
	fuzz_paths fp, weird w, generate_series(0, 3) a
WHERE fp.p LIKE '%\%2$s%' OR a = 0;

INSERT INTO fuzz_docs (kind, doc)
SELECT 'random', jsonb_build_object('number', pg_temp.random_json(1),
	'sessions', pg_temp.random_json(4))
FROM generate_series(1, 1500);

-- deep nesting around and inside a valid document, and very large ones
INSERT INTO fuzz_docs (kind, doc)
SELECT 'deep', (repeat('{"sessions": [', n) || '{}' || repeat(']}', n))::jsonb
FROM generate_series(1, 300, 7) n;
INSERT INTO fuzz_docs (kind, doc)
SELECT 'deep', jsonb_build_object('number',
	(repeat('[', n) || '"7800000000000"' || repeat(']', n))::jsonb,
	'sessions', '[{"actions": [{"type": "read"}]}]'::jsonb)
FROM generate_series(1, 1000, 50) n;
INSERT INTO fuzz_docs (kind, doc)
SELECT 'large', pg_temp.valid_doc(4000) FROM generate_series(1, 5);
INSERT INTO fuzz_docs (kind, doc)
SELECT 'large', jsonb_build_object('number', 'many sessions', 'sessions',
	(SELECT jsonb_agg(jsonb_build_object('actions', jsonb_build_array(
		jsonb_build_object('type', 't' || (g % 300), 'created_at', g)))) -- last one is wrong
	 FROM generate_series(1, 20000) g));
INSERT INTO fuzz_docs (kind, doc)
SELECT 'large', jsonb_build_object('number', 'many types', 'sessions',
	(SELECT jsonb_agg(jsonb_build_object('actions', (SELECT jsonb_agg(
		jsonb_build_object('type', md5((s * 100 + g)::text), 'created_at',
			jsonb_build_object('$date', 1451606400000 + g)))
		FROM generate_series(1, 100) g)))
	 FROM generate_series(1, 50) s));

-- ---------------------------------------------------------------------
-- The calls
-- ---------------------------------------------------------------------
CREATE TEMP TABLE fuzz_results (id int PRIMARY KEY, result jsonb, state text,
	message text, context text);

DO $$
DECLARE
	d record;
	r jsonb;
	ctx text;
BEGIN
	FOR d IN SELECT id, doc FROM fuzz_docs ORDER BY id LOOP
		BEGIN
			r := account_actions(d.doc);
			INSERT INTO fuzz_results VALUES (d.id, r, NULL, NULL, NULL);
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS ctx = PG_EXCEPTION_CONTEXT;
			INSERT INTO fuzz_results VALUES (d.id, NULL, SQLSTATE, SQLERRM, ctx);
		END;
	END LOOP;
END $$;

-- is a non-null "last" a timestamptz?
CREATE FUNCTION pg_temp.is_timestamptz(s text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM s::timestamptz;
	RETURN true;
EXCEPTION WHEN OTHERS THEN
	RETURN false;
END $$;

-- ---------------------------------------------------------------------
-- Checks
-- ---------------------------------------------------------------------
SELECT cmp_ok((SELECT count(*) FROM fuzz_results), '>=', 10000::bigint,
	'more than 10,000 documents went through account_actions()');
SELECT is((SELECT count(*) FROM fuzz_results), (SELECT count(*) FROM fuzz_docs),
	'every document gave a result or an error');
SELECT ok((SELECT count(*) FILTER (WHERE state IS NULL) >= 3000
			  AND count(*) FILTER (WHERE state IS NOT NULL) >= 3000
		   FROM fuzz_results),
	'thousands of documents were accepted and thousands rejected');
SELECT is((SELECT count(*) FROM fuzz_results r JOIN fuzz_docs d USING (id)
		   WHERE d.kind = 'valid' AND r.state IS NOT NULL),
	0::bigint, 'every valid document is accepted');

SELECT is((SELECT string_agg(DISTINCT state || ' ' || message, '; ')
		   FROM fuzz_results WHERE state NOT LIKE '22%'),
	NULL, 'every error is of class 22');
SELECT is((SELECT string_agg(DISTINCT message, '; ') FROM fuzz_results
		   WHERE state IS NOT NULL
		     AND message || ' ' || context !~ ' at (top level|sessions)|reading sessions\['),
	NULL, 'every error says where in the document it is');

-- summaries
SELECT is((SELECT count(*) FROM fuzz_results
		   WHERE state IS NULL
		     AND (jsonb_typeof(result) <> 'object'
			      OR (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(result) k)
			         <> '{actions,number}'
			      OR jsonb_typeof(result->'actions') <> 'array')),
	0::bigint, 'every summary is an object {number, actions}');
SELECT is((SELECT count(*) FROM fuzz_results r JOIN fuzz_docs d USING (id)
		   WHERE r.state IS NULL
		     AND r.result->'number' IS DISTINCT FROM coalesce(d.doc->'number', 'null')),
	0::bigint, 'every summary carries the document''s number');
SELECT is((SELECT count(*) FROM fuzz_results
		   WHERE state IS NULL
		     AND (jsonb_array_length(result->'actions') < 4
			      OR ARRAY(SELECT e->>'type' FROM jsonb_array_elements(result->'actions')
					       WITH ORDINALITY x(e, i) WHERE i <= 4 ORDER BY i)
			         <> '{create,read,update,delete}')),
	0::bigint, 'every summary starts with create, read, update, delete');
SELECT is((SELECT count(*) FROM fuzz_results r
		   WHERE r.state IS NULL
		     AND EXISTS (
				SELECT 1
				FROM jsonb_array_elements(r.result->'actions') WITH ORDINALITY x(e, i)
				WHERE jsonb_typeof(e->'type') <> 'string'
				   OR jsonb_typeof(e->'count') <> 'number'
				   OR (e->>'count')::numeric < CASE WHEN i > 4 THEN 1 ELSE 0 END
				   OR (e->'last' <> 'null' AND (jsonb_typeof(e->'last') <> 'string'
						OR NOT pg_temp.is_timestamptz(e->>'last')))
				   OR ((e->>'count')::numeric = 0 AND e->'last' <> 'null')
				   OR (i > 5 AND (SELECT (p->>'type') COLLATE "C" >= (e->>'type') COLLATE "C"
						FROM jsonb_array_elements(r.result->'actions') WITH ORDINALITY y(p, j)
						WHERE j = i - 1))
				   OR (i > 4 AND e->>'type' IN ('create', 'read', 'update', 'delete')))),
	0::bigint,
	'every entry: a string type, a count (at least 1 past the four), a last time only with a count; other types once each, in byte order');

-- the counts, from the document itself
SELECT is((SELECT count(*) FROM fuzz_results r JOIN fuzz_docs d USING (id)
		   WHERE r.state IS NULL
		     AND (SELECT coalesce(jsonb_object_agg(t, c), '{}')
				  FROM (SELECT t #>> '{}' AS t, count(*) AS c
						FROM jsonb_path_query(d.doc,
							'$.sessions[*].actions[*].type ? (@.type() == "string")') t
						GROUP BY 1) s)
			     IS DISTINCT FROM
				 (SELECT coalesce(jsonb_object_agg(e->>'type', (e->>'count')::bigint), '{}')
				  FROM jsonb_array_elements(r.result->'actions') e
				  WHERE (e->>'count')::bigint > 0)),
	0::bigint, 'every summary counts each type as often as the document has it');

SELECT ok((SELECT pid = pg_backend_pid() AND started = pg_postmaster_start_time()
		   FROM fuzz_start),
	'the same backend ran everything and the server never restarted');

-- what happened, for the log
SELECT diag(format('%s: %s accepted, %s rejected', kind,
		count(*) FILTER (WHERE state IS NULL), count(*) FILTER (WHERE state IS NOT NULL)))
FROM fuzz_results JOIN fuzz_docs USING (id) GROUP BY kind ORDER BY kind;
SELECT diag(format('%s: %s', state, count(*)))
FROM fuzz_results WHERE state IS NOT NULL GROUP BY state ORDER BY state;

SELECT * FROM finish();
ROLLBACK;
