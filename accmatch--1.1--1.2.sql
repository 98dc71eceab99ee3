/* accmatch--1.1--1.2.sql: action_summary's state becomes a type */

\echo Use "ALTER EXTENSION accmatch UPDATE TO '1.2'" to load this file. \quit

-- The objects below are exactly those of accmatch--1.2.sql (sql/upgrade.sql
-- compares an updated database with a fresh install).

/*
 * Action summaries
 *
 * Up to 1.1, action_summary(text, timestamptz) kept its state in an
 * internal value.  1.2 gives the state a type, action_summary_state, and
 * adds aggregates that store and merge states.  A transition type cannot
 * be altered and views call an aggregate by its OID, so the update to 1.2
 * renames the old aggregate to action_summary_v11 (its support functions
 * keep their names), which the views built on it go on calling, and then
 * creates the new action_summary; a fresh install creates both, so that
 * updated and fresh databases are alike and a dump of either restores
 * into the other.
 */

-- The aggregate of 1.0 and 1.1, under its 1.2 name.
ALTER AGGREGATE action_summary(text, timestamptz) RENAME TO action_summary_v11;

COMMENT ON AGGREGATE action_summary_v11(text, timestamptz) IS
'action_summary of versions 1.0 and 1.1, with an internal state, kept for the views built on them; use action_summary';

COMMENT ON FUNCTION action_summary_trans(internal, text, timestamptz) IS
'transition function of action_summary_v11';

COMMENT ON FUNCTION action_summary_combine(internal, internal) IS
'combine function of action_summary_v11';

COMMENT ON FUNCTION action_summary_serial(internal) IS
'serialization function of action_summary_v11';

COMMENT ON FUNCTION action_summary_deserial(bytea, internal) IS
'deserialization function of action_summary_v11';

COMMENT ON FUNCTION action_summary_final(internal) IS
'final function of action_summary_v11';

-- The state of action_summary as a type of its own (1.2): a value that can
-- be stored, sent between servers as text or binary, and merged later.
-- Its text form is documented in the README ("action_summary_state").

CREATE TYPE action_summary_state;

CREATE FUNCTION action_summary_state_in(cstring)
RETURNS action_summary_state
AS 'MODULE_PATHNAME', 'action_summary_state_in'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION action_summary_state_in(cstring) IS
'input function of action_summary_state: the text form, the same whatever the session settings';

CREATE FUNCTION action_summary_state_out(action_summary_state)
RETURNS cstring
AS 'MODULE_PATHNAME', 'action_summary_state_out'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION action_summary_state_out(action_summary_state) IS
'output function of action_summary_state: the text form, the same whatever the session settings';

CREATE FUNCTION action_summary_state_recv(internal)
RETURNS action_summary_state
AS 'MODULE_PATHNAME', 'action_summary_state_recv'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION action_summary_state_recv(internal) IS
'receive function of action_summary_state: the binary form, checked';

CREATE FUNCTION action_summary_state_send(action_summary_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'action_summary_state_send'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION action_summary_state_send(action_summary_state) IS
'send function of action_summary_state: the binary form';

CREATE TYPE action_summary_state (
	INPUT = action_summary_state_in,
	OUTPUT = action_summary_state_out,
	RECEIVE = action_summary_state_recv,
	SEND = action_summary_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = extended
);

COMMENT ON TYPE action_summary_state IS
'state of action_summary: per type of action, the count and the latest created_at; made by action_summary_partial, merged by action_summary_merge, finished by action_summary_result';

CREATE FUNCTION action_summary_state_add(action_summary_state, text, timestamptz)
RETURNS action_summary_state
AS 'MODULE_PATHNAME', 'action_summary_state_add'
LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION action_summary_state_add(action_summary_state, text, timestamptz) IS
'transition function of action_summary(text, timestamptz) and action_summary_partial';

CREATE FUNCTION action_summary_state_merge(action_summary_state, action_summary_state)
RETURNS action_summary_state
AS 'MODULE_PATHNAME', 'action_summary_state_merge'
LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION action_summary_state_merge(action_summary_state, action_summary_state) IS
'combine function of the aggregates over action_summary_state, transition function of action_summary(action_summary_state) and action_summary_merge';

CREATE FUNCTION action_summary_state_final(action_summary_state)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'action_summary_state_jsonb'
LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL SAFE;

COMMENT ON FUNCTION action_summary_state_final(action_summary_state) IS
'final function of action_summary: the jsonb summary, four zero entries for no state';

CREATE FUNCTION action_summary_state_finish(action_summary_state)
RETURNS action_summary_state
AS 'MODULE_PATHNAME', 'action_summary_state_finish'
LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION action_summary_state_finish(action_summary_state) IS
'final function of action_summary_partial and action_summary_merge: the state, the empty state for no state';

CREATE FUNCTION action_summary_result(state action_summary_state)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'action_summary_state_jsonb'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

COMMENT ON FUNCTION action_summary_result(action_summary_state) IS
'the jsonb summary of a state, as action_summary gives it for the same rows';

CREATE AGGREGATE action_summary(type text, created_at timestamptz) (
	SFUNC = action_summary_state_add,
	STYPE = action_summary_state,
	FINALFUNC = action_summary_state_final,
	COMBINEFUNC = action_summary_state_merge,
	SSPACE = 128,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE action_summary(text, timestamptz) IS
'per-type latest time and count of actions: create, read, update, delete, then other types';

CREATE AGGREGATE action_summary(state action_summary_state) (
	SFUNC = action_summary_state_merge,
	STYPE = action_summary_state,
	FINALFUNC = action_summary_state_final,
	COMBINEFUNC = action_summary_state_merge,
	SSPACE = 128,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE action_summary(action_summary_state) IS
'the summary of merged states, equal to action_summary over the rows they were made of';

CREATE AGGREGATE action_summary_partial(type text, created_at timestamptz) (
	SFUNC = action_summary_state_add,
	STYPE = action_summary_state,
	FINALFUNC = action_summary_state_finish,
	COMBINEFUNC = action_summary_state_merge,
	SSPACE = 128,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE action_summary_partial(text, timestamptz) IS
'the state of action_summary over the rows, to store and merge later';

CREATE AGGREGATE action_summary_merge(state action_summary_state) (
	SFUNC = action_summary_state_merge,
	STYPE = action_summary_state,
	FINALFUNC = action_summary_state_finish,
	COMBINEFUNC = action_summary_state_merge,
	SSPACE = 128,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE action_summary_merge(action_summary_state) IS
'states merged into one, as if made from all their rows';
