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

-- ---- Citus (begin) ----

/*
 * Citus: matching and allocation where the rows of distributed tables
 * live.  PL/pgSQL over Citus's own functions; without Citus, the
 * *_distributed() functions raise 0A000 and the *_account() functions
 * work on a single server.  Every function runs with search_path set to
 * pg_catalog, pg_temp and calls accmatch's functions through the schema
 * the extension is in, so nothing in a caller's search_path can stand in
 * for them.
 */

-- On a worker, inside the query of one shard: match_payments() over the
-- shard of each table that holds the account (any account of the shard:
-- every account of it is matched).  Both shards must be on this node;
-- called anywhere else, it refuses rather than read something else.
CREATE FUNCTION accmatch_shard_match(
	payments regclass,
	accruals regclass,
	account anyelement,
	strategy text,
	partition_by text)
RETURNS TABLE (
	payment_id bigint,
	accrual_id bigint,
	matched_by text,
	partition_key text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
ROWS 1000
AS $$
DECLARE
	ext text := (SELECT n.nspname FROM pg_extension e
				 JOIN pg_namespace n ON n.oid = e.extnamespace
				 WHERE e.extname = 'accmatch');
	shards text[];
BEGIN
	EXECUTE format('SELECT %I.accmatch_local_shards($1, $2, $3)', ext)
		INTO shards USING payments, accruals, account;
	RETURN QUERY EXECUTE format('SELECT * FROM %I.match_payments(%L, %L, $1, $2)',
		ext, shards[1], shards[2]) USING strategy, partition_by;
END
$$;

COMMENT ON FUNCTION accmatch_shard_match(regclass, regclass, anyelement, text, text) IS
'internal: match_payments over the shards of both tables that hold the account, on the worker that holds them';

CREATE FUNCTION accmatch_shard_allocate(
	payments regclass,
	accruals regclass,
	account anyelement,
	strategy text,
	partition_by text,
	amount_column text)
RETURNS TABLE (
	payment_id bigint,
	accrual_id bigint,
	amount numeric,
	matched_by text,
	partition_key text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
ROWS 1000
AS $$
DECLARE
	ext text := (SELECT n.nspname FROM pg_extension e
				 JOIN pg_namespace n ON n.oid = e.extnamespace
				 WHERE e.extname = 'accmatch');
	shards text[];
BEGIN
	EXECUTE format('SELECT %I.accmatch_local_shards($1, $2, $3)', ext)
		INTO shards USING payments, accruals, account;
	RETURN QUERY EXECUTE format('SELECT * FROM %I.allocate_payments(%L, %L, $1, $2, $3)',
		ext, shards[1], shards[2]) USING strategy, partition_by, amount_column;
END
$$;

COMMENT ON FUNCTION accmatch_shard_allocate(regclass, regclass, anyelement, text, text, text) IS
'internal: allocate_payments over the shards of both tables that hold the account, on the worker that holds them';

-- The qualified names of the shards of both tables that hold the account,
-- from Citus's metadata (which every node has); an error unless both are
-- tables of this node.
CREATE FUNCTION accmatch_local_shards(
	payments regclass,
	accruals regclass,
	account anyelement)
RETURNS text[]
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	shards text[];
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION USING ERRCODE = '0A000',
			MESSAGE = 'the shard functions need Citus',
			DETAIL = 'The citus extension is not installed in this database.';
	END IF;
	EXECUTE $q$
		SELECT ARRAY[
			pg_catalog.shard_name($1, pg_catalog.get_shard_id_for_distribution_column($1, $3), false),
			pg_catalog.shard_name($2, pg_catalog.get_shard_id_for_distribution_column($2, $3), false)]$q$
		INTO shards USING payments, accruals, account;
	IF to_regclass(shards[1]) IS NULL OR to_regclass(shards[2]) IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = '55000',
			MESSAGE = format('shards %s and %s are not on this node', shards[1], shards[2]),
			DETAIL = 'The shard functions run in the query of a shard, on the worker that holds it.',
			HINT = 'Call match_payments_distributed() or allocate_payments_distributed() on the coordinator.';
	END IF;
	RETURN shards;
END
$$;

COMMENT ON FUNCTION accmatch_local_shards(regclass, regclass, anyelement) IS
'internal: the qualified names of the shards of two co-located Citus tables that hold an account, checked to be on this node';

-- On the Citus coordinator: check the tables, and return the query whose
-- task on each shard of the payments table runs fn over that shard and
-- its co-located accrual shard: one payment row of the shard, sampled
-- with tsm_system_rows, carries the call, so that each shard that has
-- payments is matched once (a shard without payments has no result rows).
CREATE FUNCTION accmatch_distributed_query(
	fn text,
	payments regclass,
	accruals regclass,
	partition_by text)
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ext text := (SELECT n.nspname FROM pg_extension e
				 JOIN pg_namespace n ON n.oid = e.extnamespace
				 WHERE e.extname = 'accmatch');
	tsm text := (SELECT n.nspname FROM pg_extension e
				 JOIN pg_namespace n ON n.oid = e.extnamespace
				 WHERE e.extname = 'tsm_system_rows');
	public_name text := CASE fn WHEN 'accmatch_shard_match' THEN 'match_payments'
		ELSE 'allocate_payments' END;
	pay record;
	acc record;
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION USING ERRCODE = '0A000',
			MESSAGE = format('%s_distributed() needs Citus', public_name),
			DETAIL = 'The citus extension is not installed in this database.',
			HINT = format('On a single server, call %s().', public_name);
	END IF;
	IF payments IS NULL OR accruals IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = '22004',
			MESSAGE = 'payments and accruals must not be NULL';
	END IF;

	-- the distribution of each table, from Citus's catalog
	EXECUTE $q$
		SELECT p.colocationid,
			CASE WHEN p.partmethod = 'h'
				THEN pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) END AS col
		FROM pg_catalog.pg_dist_partition p
		WHERE p.logicalrelid = $1$q$ INTO pay USING payments;
	EXECUTE $q$
		SELECT p.colocationid,
			CASE WHEN p.partmethod = 'h'
				THEN pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) END AS col
		FROM pg_catalog.pg_dist_partition p
		WHERE p.logicalrelid = $1$q$ INTO acc USING accruals;
	IF pay.col IS NULL OR acc.col IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = '0A000',
			MESSAGE = format('%s is not a hash-distributed table',
				CASE WHEN pay.col IS NULL THEN payments ELSE accruals END),
			DETAIL = format('%s_distributed() works on the shards of tables distributed by their partition_by column.',
				public_name),
			HINT = format('Distribute it with create_distributed_table(), or call %s().', public_name);
	END IF;
	IF partition_by IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = '22004',
			MESSAGE = 'partition_by must not be NULL',
			DETAIL = 'Without partition_by, a payment may pay an accrual of any shard.',
			HINT = format('Pass partition_by => %L, the distribution column, or call %s(), which reads every row through this node.',
				pay.col, public_name);
	END IF;
	IF partition_by <> pay.col OR partition_by <> acc.col THEN
		RAISE EXCEPTION USING ERRCODE = '22023',
			MESSAGE = format('partition_by %L is not the distribution column of both tables', partition_by),
			DETAIL = format('%s is distributed by %I, %s by %I.', payments, pay.col, accruals, acc.col),
			HINT = format('Pass the distribution column, or call %s(), which reads every row through this node.',
				public_name);
	END IF;
	IF pay.colocationid <> acc.colocationid THEN
		RAISE EXCEPTION USING ERRCODE = '0A000',
			MESSAGE = format('%s and %s are not co-located', payments, accruals),
			DETAIL = 'An account''s payments and accruals must be in shards on the same node.',
			HINT = format('Distribute %s with colocate_with => %L.', accruals, payments::text);
	END IF;
	IF tsm IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = '0A000',
			MESSAGE = format('%s_distributed() needs the tsm_system_rows extension', public_name),
			DETAIL = 'It picks one payment row of each shard to carry the shard''s call.',
			HINT = 'CREATE EXTENSION tsm_system_rows (it comes with PostgreSQL).';
	END IF;

	RETURN format('SELECT m.* FROM %s AS p TABLESAMPLE %I.system_rows(1),
		LATERAL %I.%I(%L::regclass, %L::regclass, p.%I, $1, $2%s) AS m',
		payments, tsm, ext, fn, payments::text, accruals::text, partition_by,
		CASE WHEN fn = 'accmatch_shard_allocate' THEN ', $3' ELSE '' END);
END
$$;

COMMENT ON FUNCTION accmatch_distributed_query(text, regclass, regclass, text) IS
'internal: checks two Citus tables and returns the query that runs a shard function once on each shard';

CREATE FUNCTION match_payments_distributed(
	payments regclass DEFAULT 'payment'::text,
	accruals regclass DEFAULT 'accrual'::text,
	strategy text DEFAULT 'sequential',
	partition_by text DEFAULT NULL)
RETURNS TABLE (
	payment_id bigint,
	accrual_id bigint,
	matched_by text,
	partition_key text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
ROWS 1000
AS $$
DECLARE
	ext text := (SELECT n.nspname FROM pg_extension e
				 JOIN pg_namespace n ON n.oid = e.extnamespace
				 WHERE e.extname = 'accmatch');
	query text;
BEGIN
	EXECUTE format('SELECT %I.accmatch_distributed_query($1, $2, $3, $4)', ext)
		INTO query USING 'accmatch_shard_match', payments, accruals, partition_by;
	RETURN QUERY EXECUTE query USING strategy, partition_by;
END
$$;

COMMENT ON FUNCTION match_payments_distributed(regclass, regclass, text, text) IS
'match_payments with partition_by over Citus tables distributed by that column: each shard on the worker that holds it, all in one distributed query';

CREATE FUNCTION allocate_payments_distributed(
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
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
ROWS 1000
AS $$
DECLARE
	ext text := (SELECT n.nspname FROM pg_extension e
				 JOIN pg_namespace n ON n.oid = e.extnamespace
				 WHERE e.extname = 'accmatch');
	query text;
BEGIN
	EXECUTE format('SELECT %I.accmatch_distributed_query($1, $2, $3, $4)', ext)
		INTO query USING 'accmatch_shard_allocate', payments, accruals, partition_by;
	RETURN QUERY EXECUTE query USING strategy, partition_by, amount_column;
END
$$;

COMMENT ON FUNCTION allocate_payments_distributed(regclass, regclass, text, text, text) IS
'allocate_payments with partition_by over Citus tables distributed by that column: each shard on the worker that holds it, all in one distributed query';

-- Temporary views of one account's rows of both tables, for the
-- *_account() functions, which drop them when done (an error drops them
-- too, with the transaction): the account is written into them as a
-- constant, so that Citus routes their queries to the one shard that
-- holds the account.  Each is named after its table when no temporary
-- relation has that name, so that errors name the table.  Returns the two
-- views' qualified names.
CREATE FUNCTION accmatch_account_views(
	account anyelement,
	payments regclass,
	accruals regclass,
	partition_by text)
RETURNS text[]
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	views text[] := '{}';
	source regclass;
	name text;
BEGIN
	IF payments IS NULL OR accruals IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = '22004',
			MESSAGE = 'payments and accruals must not be NULL';
	END IF;
	IF partition_by IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = '22004',
			MESSAGE = 'partition_by must not be NULL',
			DETAIL = 'It names the column that holds the account.';
	END IF;
	FOREACH source IN ARRAY ARRAY[payments, accruals] LOOP
		IF NOT EXISTS (SELECT FROM pg_attribute
					   WHERE attrelid = source AND attname = partition_by
						 AND attnum > 0 AND NOT attisdropped) THEN
			RAISE EXCEPTION USING ERRCODE = '42703',
				MESSAGE = format('column %I does not exist in %s', partition_by, source),
				HINT = 'Column arguments are taken literally, case kept.';
		END IF;
		name := format('pg_temp.%I', (SELECT relname FROM pg_class WHERE oid = source));
		IF to_regclass(name) IS NOT NULL OR name = ANY (views) THEN
			name := format('pg_temp.%I', CASE WHEN source = payments AND cardinality(views) = 0
				THEN 'accmatch_account_payments' ELSE 'accmatch_account_accruals' END);
			IF to_regclass(name) IS NOT NULL THEN
				RAISE EXCEPTION USING ERRCODE = '42P07',
					MESSAGE = format('temporary relation %s already exists', name),
					DETAIL = 'The views of one account are created under this name.';
			END IF;
		END IF;
		IF account IS NULL THEN
			EXECUTE format('CREATE TEMP VIEW %s AS SELECT * FROM %s WHERE %I IS NULL',
				name, source, partition_by);
		ELSE
			EXECUTE format('CREATE TEMP VIEW %s AS SELECT * FROM %s WHERE %I = %L',
				name, source, partition_by, account);
		END IF;
		views := views || name;
	END LOOP;
	RETURN views;
END
$$;

COMMENT ON FUNCTION accmatch_account_views(anyelement, regclass, regclass, text) IS
'internal: temporary views of one account''s rows of both tables, for match_payments_account and allocate_payments_account';

-- Citus must not try to propagate the temporary views (citus.* settings
-- are inert without Citus).
CREATE FUNCTION match_payments_account(
	account anyelement,
	payments regclass DEFAULT 'payment'::text,
	accruals regclass DEFAULT 'accrual'::text,
	strategy text DEFAULT 'sequential',
	partition_by text DEFAULT NULL)
RETURNS TABLE (
	payment_id bigint,
	accrual_id bigint,
	matched_by text,
	partition_key text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET citus.enable_ddl_propagation = off
ROWS 10
AS $$
DECLARE
	ext text := (SELECT n.nspname FROM pg_extension e
				 JOIN pg_namespace n ON n.oid = e.extnamespace
				 WHERE e.extname = 'accmatch');
	views text[];
BEGIN
	EXECUTE format('SELECT %I.accmatch_account_views($1, $2, $3, $4)', ext)
		INTO views USING account, payments, accruals, partition_by;
	RETURN QUERY EXECUTE format('SELECT * FROM %I.match_payments(%L, %L, $1, $2)',
		ext, views[1], views[2]) USING strategy, partition_by;
	EXECUTE format('DROP VIEW %s, %s', views[1], views[2]);
END
$$;

COMMENT ON FUNCTION match_payments_account(anyelement, regclass, regclass, text, text) IS
'the rows of match_payments with partition_by for one account, read through views of that account only';

CREATE FUNCTION allocate_payments_account(
	account anyelement,
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
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET citus.enable_ddl_propagation = off
ROWS 10
AS $$
DECLARE
	ext text := (SELECT n.nspname FROM pg_extension e
				 JOIN pg_namespace n ON n.oid = e.extnamespace
				 WHERE e.extname = 'accmatch');
	views text[];
BEGIN
	EXECUTE format('SELECT %I.accmatch_account_views($1, $2, $3, $4)', ext)
		INTO views USING account, payments, accruals, partition_by;
	RETURN QUERY EXECUTE format('SELECT * FROM %I.allocate_payments(%L, %L, $1, $2, $3)',
		ext, views[1], views[2]) USING strategy, partition_by, amount_column;
	EXECUTE format('DROP VIEW %s, %s', views[1], views[2]);
END
$$;

COMMENT ON FUNCTION allocate_payments_account(anyelement, regclass, regclass, text, text, text) IS
'the rows of allocate_payments with partition_by for one account, read through views of that account only';

-- ---- Citus (end) ----
