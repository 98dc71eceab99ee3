/* accmatch--1.1--1.2.sql: tables as regclass, ids of any type */

\echo Use "ALTER EXTENSION accmatch UPDATE TO '1.2'" to load this file. \quit

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
