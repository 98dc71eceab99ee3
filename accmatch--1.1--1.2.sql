/* accmatch--1.1--1.2.sql: tables as regclass, ids of any type, corrections, action_summary_state */

\echo Use "ALTER EXTENSION accmatch UPDATE TO '1.2'" to load this file. \quit

-- The objects below are created exactly as in accmatch--1.2.sql
-- (sql/upgrade.sql compares an updated database with a fresh install).

/*
 * Matching and allocation.  1.1's functions, whose tables are text names,
 * keep their OIDs under new names, so that the views built on them keep
 * working (a view points at its functions by OID); the new functions take
 * the old names.  Created exactly as in accmatch--1.2.sql (sql/upgrade.sql
 * compares the two).
 */

ALTER FUNCTION match_payments(text, text, text, text)
	RENAME TO match_payments_by_name;

COMMENT ON FUNCTION match_payments_by_name(text, text, text, text) IS
'match_payments() of version 1.1: tables named by text, looked up through search_path when the call runs';

ALTER FUNCTION allocate_payments(text, text, text, text, text)
	RENAME TO allocate_payments_by_name;

COMMENT ON FUNCTION allocate_payments_by_name(text, text, text, text, text) IS
'allocate_payments() of version 1.1: tables named by text, looked up through search_path when the call runs';

/*
 * Payment matching
 *
 * The tables are regclass: a view calling match_payments('payment', ...)
 * binds them when it is created, depends on them and is dumped with their
 * names.  A text value is cast to regclass when the call runs, through
 * search_path.  The defaults are text, cast when the call runs.
 */

CREATE FUNCTION match_payments(
	payments regclass DEFAULT 'payment'::text,
	accruals regclass DEFAULT 'accrual'::text,
	strategy text DEFAULT 'sequential',
	partition_by text DEFAULT NULL,
	OUT payment_id bigint,
	OUT accrual_id bigint,
	OUT matched_by text,
	OUT partition_key text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'match_payments'
LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL RESTRICTED
ROWS 1000;

COMMENT ON FUNCTION match_payments(regclass, regclass, text, text) IS
'match every payment to at most one strictly earlier accrual, same month first, else the oldest; one row per payment, ids as bigint';

CREATE FUNCTION match_payments_typed(
	id_type anyelement,
	payments regclass DEFAULT 'payment'::text,
	accruals regclass DEFAULT 'accrual'::text,
	strategy text DEFAULT 'sequential',
	partition_by text DEFAULT NULL,
	OUT payment_id anyelement,
	OUT accrual_id anyelement,
	OUT matched_by text,
	OUT partition_key text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'match_payments_typed'
LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL RESTRICTED
ROWS 1000;

COMMENT ON FUNCTION match_payments_typed(anyelement, regclass, regclass, text, text) IS
'match_payments() for ids of any type: payment_id and accrual_id have the type of id_type, the ids'' own';

/*
 * Payment allocation
 */

CREATE FUNCTION allocate_payments(
	payments regclass DEFAULT 'payment'::text,
	accruals regclass DEFAULT 'accrual'::text,
	strategy text DEFAULT 'sequential',
	partition_by text DEFAULT NULL,
	amount_column text DEFAULT 'amount')
RETURNS TABLE (
	payment_id bigint,
	accrual_id bigint,
	amount numeric,
	matched_by text,
	partition_key text)
AS 'MODULE_PATHNAME', 'allocate_payments'
LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL RESTRICTED
ROWS 1000;

COMMENT ON FUNCTION allocate_payments(regclass, regclass, text, text, text) IS
'allocate payment amounts to strictly earlier accruals, same month first, else the oldest; the rest of each payment is credit; ids as bigint';

CREATE FUNCTION allocate_payments_typed(
	id_type anyelement,
	payments regclass DEFAULT 'payment'::text,
	accruals regclass DEFAULT 'accrual'::text,
	strategy text DEFAULT 'sequential',
	partition_by text DEFAULT NULL,
	amount_column text DEFAULT 'amount')
RETURNS TABLE (
	payment_id anyelement,
	accrual_id anyelement,
	amount numeric,
	matched_by text,
	partition_key text)
AS 'MODULE_PATHNAME', 'allocate_payments_typed'
LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL RESTRICTED
ROWS 1000;

COMMENT ON FUNCTION allocate_payments_typed(anyelement, regclass, regclass, text, text, text) IS
'allocate_payments() for ids of any type: payment_id and accrual_id have the type of id_type, the ids'' own';

/*
 * Corrections of a ledger of allocations
 */

CREATE FUNCTION allocation_corrections(
	ledger regclass,
	payments regclass DEFAULT 'payment'::text,
	accruals regclass DEFAULT 'accrual'::text,
	strategy text DEFAULT 'sequential',
	partition_by text DEFAULT NULL,
	amount_column text DEFAULT 'amount')
RETURNS TABLE (
	payment_id bigint,
	accrual_id bigint,
	amount numeric,
	matched_by text,
	partition_key text)
AS 'MODULE_PATHNAME', 'allocation_corrections'
LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
ROWS 1000;

COMMENT ON FUNCTION allocation_corrections(regclass, regclass, regclass, text, text, text) IS
'rows to append to a ledger of allocate_payments() rows so that each group sums as in one full run on today''s tables; reversals are negative';

CREATE FUNCTION allocation_corrections_typed(
	id_type anyelement,
	ledger regclass,
	payments regclass DEFAULT 'payment'::text,
	accruals regclass DEFAULT 'accrual'::text,
	strategy text DEFAULT 'sequential',
	partition_by text DEFAULT NULL,
	amount_column text DEFAULT 'amount')
RETURNS TABLE (
	payment_id anyelement,
	accrual_id anyelement,
	amount numeric,
	matched_by text,
	partition_key text)
AS 'MODULE_PATHNAME', 'allocation_corrections_typed'
LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
ROWS 1000;

COMMENT ON FUNCTION allocation_corrections_typed(anyelement, regclass, regclass, regclass, text, text, text) IS
'allocation_corrections() for ids of any type: payment_id and accrual_id have the type of id_type, the ids'' own';

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
