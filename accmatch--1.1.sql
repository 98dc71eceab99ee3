/* accmatch--1.1.sql: payment matching and allocation, action summaries */

\echo Use "CREATE EXTENSION accmatch" to load this file. \quit

/*
 * Payment matching
 */

CREATE FUNCTION match_payments(
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

COMMENT ON FUNCTION match_payments(text, text, text, text) IS
'match every payment to at most one strictly earlier accrual, same month first, else the oldest; one row per payment';

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

COMMENT ON FUNCTION allocate_payments(text, text, text, text, text) IS
'allocate payment amounts to strictly earlier accruals, same month first, else the oldest; the rest of each payment is credit';
