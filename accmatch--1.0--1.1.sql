/* accmatch--1.0--1.1.sql: add allocate_payments() */

\echo Use "ALTER EXTENSION accmatch UPDATE TO '1.1'" to load this file. \quit

-- 1.1 keeps every object of 1.0 unchanged; what 1.1 adds is created below,
-- exactly as in accmatch--1.1.sql (sql/upgrade.sql compares the two).

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
