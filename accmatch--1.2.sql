/* accmatch--1.2.sql: payment matching and allocation, action summaries */

\echo Use "CREATE EXTENSION accmatch" to load this file. \quit

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
 * Action summaries
 */

CREATE FUNCTION action_summary_trans(internal, text, timestamptz)
RETURNS internal
AS 'MODULE_PATHNAME', 'action_summary_trans'
LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION action_summary_trans(internal, text, timestamptz) IS
'transition function of action_summary';

CREATE FUNCTION action_summary_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'action_summary_combine'
LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION action_summary_combine(internal, internal) IS
'combine function of action_summary';

CREATE FUNCTION action_summary_serial(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'action_summary_serial'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION action_summary_serial(internal) IS
'serialization function of action_summary';

CREATE FUNCTION action_summary_deserial(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'action_summary_deserial'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION action_summary_deserial(bytea, internal) IS
'deserialization function of action_summary';

CREATE FUNCTION action_summary_final(internal)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'action_summary_final'
LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL SAFE;

COMMENT ON FUNCTION action_summary_final(internal) IS
'final function of action_summary';

CREATE AGGREGATE action_summary(type text, created_at timestamptz) (
	SFUNC = action_summary_trans,
	STYPE = internal,
	FINALFUNC = action_summary_final,
	COMBINEFUNC = action_summary_combine,
	SERIALFUNC = action_summary_serial,
	DESERIALFUNC = action_summary_deserial,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE action_summary(text, timestamptz) IS
'per-type latest time and count of actions: create, read, update, delete, then other types';

CREATE FUNCTION account_actions(doc jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'account_actions'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

COMMENT ON FUNCTION account_actions(jsonb) IS
'summary {number, actions} of one account document {number, sessions:[{actions:[{type, created_at}]}]}';

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
 * Version 1.1's matching functions, whose tables are text names looked up
 * when the call runs.  Views built on 1.1 call them; an update renames
 * them to these names.  New code calls match_payments() and
 * allocate_payments().
 */

CREATE FUNCTION match_payments_by_name(
	payments text DEFAULT 'payment',
	accruals text DEFAULT 'accrual',
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

COMMENT ON FUNCTION match_payments_by_name(text, text, text, text) IS
'match_payments() of version 1.1: tables named by text, looked up through search_path when the call runs';

CREATE FUNCTION allocate_payments_by_name(
	payments text DEFAULT 'payment',
	accruals text DEFAULT 'accrual',
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

COMMENT ON FUNCTION allocate_payments_by_name(text, text, text, text, text) IS
'allocate_payments() of version 1.1: tables named by text, looked up through search_path when the call runs';
