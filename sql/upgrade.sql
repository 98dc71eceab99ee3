--
-- upgrade: install the oldest version, update it to the default version
-- through the update scripts, and check that the result is the extension a
-- fresh install of the default version gives: the same member objects, with
-- the same definitions and comments.  Data and views built on the old
-- versions must survive the update and give the same rows.
--
-- It works in a database of its own, so the other tests' objects do not
-- matter and the extension they use is left alone.  The comparison walks
-- the catalogs for whatever objects the extension has, so a new object
-- needs no change here: created by the fresh install script but not by an
-- update script (or differently), it shows up below as a difference.
--
SET client_min_messages = warning;
SELECT current_database() AS regress_db \gset
DROP DATABASE IF EXISTS accmatch_upgrade;
CREATE DATABASE accmatch_upgrade;
\c accmatch_upgrade
SET client_min_messages = warning;

-- Every member object of the extension as (object, property, value).
-- OIDs are never compared: references print as names and signatures.
CREATE VIEW accmatch_catalog (object, property, value) AS
WITH member AS (
	SELECT d.classid, d.objid,
		pg_describe_object(d.classid, d.objid, d.objsubid) AS object
	FROM pg_depend d
	JOIN pg_extension e ON e.oid = d.refobjid
	WHERE d.refclassid = 'pg_extension'::regclass
		AND e.extname = 'accmatch' AND d.deptype = 'e'
)
-- the extension itself
SELECT 'extension accmatch', p.property, p.value
FROM pg_extension e
CROSS JOIN LATERAL (VALUES
	('version', e.extversion),
	('schema', e.extnamespace::regnamespace::text),
	('relocatable', e.extrelocatable::text),
	('configuration tables', e.extconfig::regclass[]::text),
	('configuration conditions', e.extcondition::text)
) AS p (property, value)
WHERE e.extname = 'accmatch'
UNION ALL
-- every member and its comment
SELECT m.object, 'comment', c.description
FROM member m
LEFT JOIN pg_description c
	ON c.classoid = m.classid AND c.objoid = m.objid AND c.objsubid = 0
UNION ALL
-- functions, aggregates and procedures
SELECT m.object, p.property, p.value
FROM member m
JOIN pg_proc f ON m.classid = 'pg_proc'::regclass AND f.oid = m.objid
CROSS JOIN LATERAL (VALUES
	('kind', f.prokind::text),
	('arguments', pg_get_function_arguments(f.oid)),
	('result', pg_get_function_result(f.oid)),
	('volatility', f.provolatile::text),
	('strict', f.proisstrict::text),
	('parallel', f.proparallel::text),
	('security definer', f.prosecdef::text),
	('leakproof', f.proleakproof::text),
	('cost', f.procost::text),
	('rows', f.prorows::text),
	('support', f.prosupport::regprocedure::text),
	('language', (SELECT l.lanname::text FROM pg_language l WHERE l.oid = f.prolang)),
	('library', f.probin),
	('symbol', f.prosrc),
	('settings', f.proconfig::text),
	('owner', pg_get_userbyid(f.proowner)::text),
	('privileges', f.proacl::text)
) AS p (property, value)
UNION ALL
-- aggregates: support functions and their settings
SELECT m.object, p.property, p.value
FROM member m
JOIN pg_aggregate a ON m.classid = 'pg_proc'::regclass AND a.aggfnoid = m.objid
CROSS JOIN LATERAL (VALUES
	('aggregate kind', a.aggkind::text),
	('direct arguments', a.aggnumdirectargs::text),
	('transition function', a.aggtransfn::regprocedure::text),
	('final function', a.aggfinalfn::regprocedure::text),
	('combine function', a.aggcombinefn::regprocedure::text),
	('serialization function', a.aggserialfn::regprocedure::text),
	('deserialization function', a.aggdeserialfn::regprocedure::text),
	('moving transition function', a.aggmtransfn::regprocedure::text),
	('moving inverse function', a.aggminvtransfn::regprocedure::text),
	('moving final function', a.aggmfinalfn::regprocedure::text),
	('final extra', a.aggfinalextra::text),
	('moving final extra', a.aggmfinalextra::text),
	('final modify', a.aggfinalmodify::text),
	('moving final modify', a.aggmfinalmodify::text),
	('sort operator', a.aggsortop::regoperator::text),
	('state type', a.aggtranstype::regtype::text),
	('state space', a.aggtransspace::text),
	('moving state type', a.aggmtranstype::regtype::text),
	('moving state space', a.aggmtransspace::text),
	('initial value', a.agginitval),
	('moving initial value', a.aggminitval)
) AS p (property, value)
UNION ALL
-- types
SELECT m.object, p.property, p.value
FROM member m
JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
CROSS JOIN LATERAL (VALUES
	('type', t.typtype::text),
	('length', t.typlen::text),
	('by value', t.typbyval::text),
	('category', t.typcategory::text),
	('input', t.typinput::regprocedure::text),
	('output', t.typoutput::regprocedure::text),
	('receive', t.typreceive::regprocedure::text),
	('send', t.typsend::regprocedure::text),
	('alignment', t.typalign::text),
	('storage', t.typstorage::text),
	('base type', t.typbasetype::regtype::text),
	('element type', t.typelem::regtype::text),
	('not null', t.typnotnull::text),
	('default', t.typdefault),
	('privileges', t.typacl::text)
) AS p (property, value)
UNION ALL
-- tables and views: columns and definitions
SELECT m.object, p.property, p.value
FROM member m
JOIN pg_class r ON m.classid = 'pg_class'::regclass AND r.oid = m.objid
CROSS JOIN LATERAL (VALUES
	('relation kind', r.relkind::text),
	('columns', (SELECT string_agg(format('%s %s%s', a.attname,
			format_type(a.atttypid, a.atttypmod),
			CASE WHEN a.attnotnull THEN ' not null' ELSE '' END), ', '
			ORDER BY a.attnum)
		FROM pg_attribute a
		WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped)),
	('view definition', CASE WHEN r.relkind IN ('v', 'm') THEN pg_get_viewdef(r.oid) END),
	('privileges', r.relacl::text)
) AS p (property, value)
UNION ALL
-- operators
SELECT m.object, p.property, p.value
FROM member m
JOIN pg_operator o ON m.classid = 'pg_operator'::regclass AND o.oid = m.objid
CROSS JOIN LATERAL (VALUES
	('function', o.oprcode::regprocedure::text),
	('result', o.oprresult::regtype::text),
	('commutator', o.oprcom::regoperator::text),
	('negator', o.oprnegate::regoperator::text),
	('restriction', o.oprrest::regprocedure::text),
	('join', o.oprjoin::regprocedure::text),
	('merges', o.oprcanmerge::text),
	('hashes', o.oprcanhash::text)
) AS p (property, value)
UNION ALL
-- casts
SELECT m.object, p.property, p.value
FROM member m
JOIN pg_cast c ON m.classid = 'pg_cast'::regclass AND c.oid = m.objid
CROSS JOIN LATERAL (VALUES
	('function', c.castfunc::regprocedure::text),
	('context', c.castcontext::text),
	('method', c.castmethod::text)
) AS p (property, value);

-- A fresh install of the default version, as the reference.
CREATE EXTENSION accmatch;
CREATE TABLE fresh_catalog AS SELECT * FROM accmatch_catalog;
DROP EXTENSION accmatch;

-- The reference has what the comparison needs: functions with their
-- settings, an aggregate with its support functions, comments.
SELECT count(*) FILTER (WHERE property = 'volatility') > 0 AS has_functions,
	count(*) FILTER (WHERE property = 'combine function' AND value <> '-') > 0 AS has_combine,
	count(*) FILTER (WHERE property = 'serialization function' AND value <> '-') > 0 AS has_serial,
	count(*) FILTER (WHERE property = 'comment' AND value IS NOT NULL) > 0 AS has_comments
FROM fresh_catalog;

-- The action summary objects of the reference: the aggregates and their
-- state types, and the state type with its I/O functions.
SELECT object, value AS state_type
FROM fresh_catalog
WHERE property = 'state type'
ORDER BY object;
SELECT property, value
FROM fresh_catalog
WHERE object = 'type action_summary_state'
	AND property IN ('input', 'output', 'receive', 'send', 'length', 'storage', 'comment')
ORDER BY property;

-- The oldest version, and data and views built on it.
CREATE EXTENSION accmatch VERSION '1.0';

CREATE TABLE action_log (account int, type text, created_at timestamptz);
INSERT INTO action_log
SELECT i % 5, (ARRAY['create', 'read', 'update', 'delete', 'login'])[i % 7 % 5 + 1],
	timestamptz '2024-01-01 00:00:00+00' + i * interval '37 minutes'
FROM generate_series(1, 300) AS i;
CREATE VIEW account_summary AS
SELECT account, action_summary(type, created_at) AS summary
FROM action_log GROUP BY account;
CREATE MATERIALIZED VIEW account_summary_stored AS
SELECT * FROM account_summary;

CREATE TABLE accrual (id int, date date, month int);
CREATE TABLE payment (id int, date date, month int);
INSERT INTO accrual
SELECT i, date '2024-01-01' + i * 9, (i * 9 / 30) % 12 + 1 FROM generate_series(1, 40) AS i;
INSERT INTO payment
SELECT i, date '2024-01-05' + i * 8, (i * 5 / 30) % 12 + 1 FROM generate_series(1, 50) AS i;
CREATE VIEW payment_match AS
SELECT * FROM match_payments('payment', 'accrual', 'month_first');

-- 1.1, and views over action_summary and allocate_payments built on it.
ALTER EXTENSION accmatch UPDATE TO '1.1';
ALTER TABLE accrual ADD COLUMN amount numeric(10,2) DEFAULT 100;
ALTER TABLE payment ADD COLUMN amount numeric(10,2) DEFAULT 70;
CREATE VIEW allocation_11 AS
SELECT * FROM allocate_payments('public.payment', 'public.accrual');
CREATE VIEW account_summary_11 AS
SELECT account, action_summary(type, created_at) FILTER (WHERE type <> 'login') AS summary,
	(SELECT action_summary(type, created_at) FROM action_log) AS total
FROM action_log GROUP BY account;

CREATE TABLE account_doc (doc jsonb);
INSERT INTO account_doc
SELECT jsonb_build_object('number', 'A' || a, 'sessions', jsonb_agg(jsonb_build_object(
	'actions', jsonb_build_array(jsonb_build_object('type', type,
		'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))))))
FROM action_log AS l (a, type, created_at)
GROUP BY a;
CREATE VIEW doc_summary AS
SELECT account_actions(doc) AS summary FROM account_doc;

-- What the views give and how they are defined, before the update.
CREATE VIEW view_rows (view, row) AS
SELECT 'account_summary', to_jsonb(s) FROM account_summary s
UNION ALL SELECT 'account_summary_stored', to_jsonb(s) FROM account_summary_stored s
UNION ALL SELECT 'account_summary_11', to_jsonb(s) FROM account_summary_11 s
UNION ALL SELECT 'payment_match', to_jsonb(s) FROM payment_match s
UNION ALL SELECT 'allocation_11', to_jsonb(s) FROM allocation_11 s
UNION ALL SELECT 'doc_summary', to_jsonb(s) FROM doc_summary s
UNION ALL
SELECT 'definition of ' || c.relname, to_jsonb(pg_get_viewdef(c.oid))
FROM pg_class c
WHERE c.relname IN ('account_summary', 'account_summary_stored',
	'account_summary_11', 'payment_match', 'allocation_11', 'doc_summary');
CREATE TABLE rows_before AS SELECT * FROM view_rows;

SELECT view, count(*) FROM rows_before GROUP BY view ORDER BY view;
SELECT count(*) FILTER (WHERE row -> 'accrual_id' <> 'null') AS matched,
	count(*) FILTER (WHERE row -> 'accrual_id' = 'null') AS unmatched
FROM rows_before WHERE view = 'payment_match';

-- The update, to the default version through the update scripts.
ALTER EXTENSION accmatch UPDATE;
SELECT extversion = (SELECT value FROM fresh_catalog
		WHERE object = 'extension accmatch' AND property = 'version')
	AS updated_to_default
FROM pg_extension WHERE extname = 'accmatch';

-- The updated extension must equal the fresh install, property by
-- property: any row here is a difference.
SELECT 'fresh install only' AS side, * FROM (
	SELECT * FROM fresh_catalog EXCEPT ALL SELECT * FROM accmatch_catalog) AS d
UNION ALL
SELECT 'update only', * FROM (
	SELECT * FROM accmatch_catalog EXCEPT ALL SELECT * FROM fresh_catalog) AS d
ORDER BY 2, 3, 1;

-- The views give the same rows after the update, the materialized view
-- too once refreshed: any row here is a difference.
REFRESH MATERIALIZED VIEW account_summary_stored;
SELECT 'before update only' AS side, * FROM (
	SELECT * FROM rows_before WHERE view NOT LIKE 'definition of %'
	EXCEPT ALL
	SELECT * FROM view_rows WHERE view NOT LIKE 'definition of %') AS d
UNION ALL
SELECT 'after update only', * FROM (
	SELECT * FROM view_rows WHERE view NOT LIKE 'definition of %'
	EXCEPT ALL
	SELECT * FROM rows_before WHERE view NOT LIKE 'definition of %') AS d
ORDER BY 2, 3, 1;

-- They keep their definitions, but for the names of what the views were
-- built on, renamed by the update to 1.2: action_summary_v11,
-- match_payments_by_name and allocate_payments_by_name (a view points at
-- its functions by OID).
SELECT b.view, b.row = a.row AS unchanged,
	replace(replace(replace(b.row #>> '{}', 'action_summary(', 'action_summary_v11('),
		'FROM match_payments(', 'FROM match_payments_by_name('),
		'FROM allocate_payments(', 'FROM allocate_payments_by_name(') = a.row #>> '{}'
		AS renamed_only
FROM rows_before b JOIN view_rows a USING (view)
WHERE b.view LIKE 'definition of %'
ORDER BY 1;
SELECT c.relname AS view, string_agg(DISTINCT p.proname, ', ') AS calls
FROM pg_class c
JOIN pg_rewrite r ON r.ev_class = c.oid
JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
	AND d.refclassid = 'pg_proc'::regclass
JOIN pg_proc p ON p.oid = d.refobjid
WHERE c.relname IN ('account_summary', 'account_summary_stored',
	'account_summary_11', 'payment_match', 'allocation_11', 'doc_summary')
GROUP BY c.relname
ORDER BY 1;

-- The views built on 1.0 and 1.1 call action_summary_v11, whose state is
-- internal; action_summary is now the aggregate over action_summary_state,
-- and gives the same summaries, to the byte.
SELECT DISTINCT v.relname AS view, p.oid::regprocedure AS aggregate,
	a.aggtranstype::regtype AS state_type
FROM pg_depend d
JOIN pg_class v ON v.oid = (SELECT ev_class FROM pg_rewrite r WHERE r.oid = d.objid)
JOIN pg_proc p ON p.oid = d.refobjid
JOIN pg_aggregate a ON a.aggfnoid = p.oid
WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_proc'::regclass
	AND p.proname LIKE 'action\_summary%'
ORDER BY 1, 2;
SELECT a.aggtranstype::regtype AS state_type, a.aggcombinefn::regproc AS combine
FROM pg_aggregate a
WHERE a.aggfnoid = 'action_summary(text, timestamptz)'::regprocedure;
SELECT count(*) AS accounts,
	count(*) FILTER (WHERE o.summary::text IS DISTINCT FROM n.summary::text) AS differ
FROM account_summary o
FULL JOIN (SELECT account, action_summary(type, created_at) AS summary
		   FROM action_log GROUP BY account) n USING (account);

-- The same from a fresh 1.1, as a database installed with 1.1 is updated:
-- the update equals the fresh install too, and a materialized view over
-- allocate_payments() built on 1.1 gives the same rows once refreshed.
SET client_min_messages = warning;
DROP EXTENSION accmatch CASCADE;
CREATE EXTENSION accmatch VERSION '1.1';
CREATE MATERIALIZED VIEW allocation_stored AS
SELECT * FROM allocate_payments('public.payment', 'public.accrual', 'month_first');
CREATE TABLE allocation_before AS SELECT * FROM allocation_stored;
ALTER EXTENSION accmatch UPDATE;
SELECT 'fresh install only' AS side, * FROM (
	SELECT * FROM fresh_catalog EXCEPT ALL SELECT * FROM accmatch_catalog) AS d
UNION ALL
SELECT 'update only', * FROM (
	SELECT * FROM accmatch_catalog EXCEPT ALL SELECT * FROM fresh_catalog) AS d
ORDER BY 2, 3, 1;
REFRESH MATERIALIZED VIEW allocation_stored;
SELECT (SELECT count(*) FROM (TABLE allocation_before EXCEPT ALL TABLE allocation_stored) d) AS only_before,
	(SELECT count(*) FROM (TABLE allocation_stored EXCEPT ALL TABLE allocation_before) d) AS only_after,
	(SELECT count(*) FROM allocation_stored) AS rows;

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE accmatch_upgrade;
