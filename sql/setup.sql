--
-- setup: runs first.  The extension, and the helpers the other tests share
-- (plain functions in public, dropped by the cleanup test, which runs last).
--
CREATE EXTENSION IF NOT EXISTS accmatch;

-- Runs a statement and shows how it failed (or 00000).
CREATE FUNCTION try_sql(query text,
	OUT state text, OUT message text, OUT detail text, OUT context text)
LANGUAGE plpgsql
AS $$
BEGIN
	EXECUTE query;
	state := '00000';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE,
		message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
		context = PG_EXCEPTION_CONTEXT;
END
$$;

-- The same in one line: 'ok', or the SQLSTATE and the message.
CREATE FUNCTION try(q text) RETURNS text
LANGUAGE sql
AS $$
	SELECT CASE WHEN state = '00000' THEN 'ok' ELSE state || ': ' || message END
	FROM try_sql(q)
$$;

-- How account_actions fails on a document.
CREATE FUNCTION try_doc(doc text,
	OUT state text, OUT message text, OUT detail text)
LANGUAGE sql
AS $$
	SELECT state, message, detail
	FROM try_sql(format('SELECT account_actions(%L)', doc))
$$;

-- One row per entry of a summary, in array order, to read results easily.
CREATE FUNCTION summary_rows(s jsonb,
	OUT pos bigint, OUT type text, OUT last text, OUT count jsonb)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE
AS $$
	SELECT o, e ->> 'type', e ->> 'last', e -> 'count'
	FROM jsonb_array_elements(s) WITH ORDINALITY AS t(e, o)
	ORDER BY o
$$;

-- The same for the "actions" of a document's summary.
CREATE FUNCTION actions_rows(doc jsonb,
	OUT pos bigint, OUT type text, OUT last text, OUT count jsonb)
RETURNS SETOF record
LANGUAGE sql STABLE
AS $$
	SELECT * FROM summary_rows(account_actions(doc) -> 'actions')
$$;

-- the helpers work: a failure, a success, a summary's rows
SELECT try($$SELECT 1 / 0$$), try($$SELECT 1$$);
SELECT state, message FROM try_sql($$SELECT 1 / 0$$);
SELECT * FROM summary_rows('[{"type": "read", "last": null, "count": 0}]');
