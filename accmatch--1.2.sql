/* accmatch--1.2.sql: payment matching and allocation, action summaries */

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

-- On the node that holds them: match_payments() or allocate_payments()
-- over one shard of each table.  The rows come back as one text value,
-- 'R' and an array of one array per result column, or 'E' and a JSON
-- object with the error's SQLSTATE, message, detail and hint, so that
-- the caller can raise the error as it was raised here.
CREATE FUNCTION accmatch_shard_rows(
	function_name text,
	payments text,
	accruals text,
	strategy text,
	partition_by text,
	amount_column text)
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ext text := (SELECT n.nspname FROM pg_extension e
				 JOIN pg_namespace n ON n.oid = e.extnamespace
				 WHERE e.extname = 'accmatch');
	columns text[];
	state text;
	message text;
	detail text;
	hint text;
BEGIN
	IF function_name = 'match_payments' THEN
		EXECUTE format($q$
			SELECT ARRAY[coalesce(array_agg(r.payment_id), '{}')::text,
						 coalesce(array_agg(r.accrual_id), '{}')::text,
						 coalesce(array_agg(r.matched_by), '{}')::text,
						 coalesce(array_agg(r.partition_key), '{}')::text]
			FROM %I.match_payments(%L, %L, %L, %L) AS r$q$,
			ext, payments, accruals, strategy, partition_by) INTO columns;
	ELSIF function_name = 'allocate_payments' THEN
		EXECUTE format($q$
			SELECT ARRAY[coalesce(array_agg(r.payment_id), '{}')::text,
						 coalesce(array_agg(r.accrual_id), '{}')::text,
						 coalesce(array_agg(r.amount), '{}')::text,
						 coalesce(array_agg(r.matched_by), '{}')::text,
						 coalesce(array_agg(r.partition_key), '{}')::text]
			FROM %I.allocate_payments(%L, %L, %L, %L, %L) AS r$q$,
			ext, payments, accruals, strategy, partition_by, amount_column) INTO columns;
	ELSE
		RAISE EXCEPTION USING ERRCODE = '22023',
			MESSAGE = format('unknown function %L', function_name),
			HINT = 'Use match_payments or allocate_payments.';
	END IF;
	RETURN 'R' || columns::text;
EXCEPTION WHEN OTHERS OR query_canceled THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
		detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
	RETURN 'E' || json_build_object('sqlstate', state, 'message', message,
		'detail', nullif(detail, ''), 'hint', nullif(hint, ''))::text;
END
$$;

COMMENT ON FUNCTION accmatch_shard_rows(text, text, text, text, text, text) IS
'internal: match_payments or allocate_payments over one shard of each table, on the node that holds them, as one text value';

-- On the Citus coordinator: check that both tables are hash-distributed,
-- co-located and distributed by partition_by, then run
-- accmatch_shard_rows() on every co-located pair of shards at once
-- (run_command_on_colocated_placements), and return each pair's result
-- columns, or raise the first error a pair returned.
CREATE FUNCTION accmatch_distributed_rows(
	function_name text,
	payments regclass,
	accruals regclass,
	strategy text,
	partition_by text,
	amount_column text)
RETURNS SETOF text[]
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ext text := (SELECT n.nspname FROM pg_extension e
				 JOIN pg_namespace n ON n.oid = e.extnamespace
				 WHERE e.extname = 'accmatch');
	pay record;
	acc record;
	command text;
	shard record;
	failure json;
	location text;
	shards bigint[];
	replicated boolean;
	done bigint[] := '{}';
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION USING ERRCODE = '0A000',
			MESSAGE = format('%s_distributed() needs Citus', function_name),
			DETAIL = 'The citus extension is not installed in this database.',
			HINT = format('On a single server, call %s().', function_name);
	END IF;
	IF payments IS NULL OR accruals IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = '22004',
			MESSAGE = 'payments and accruals must not be NULL';
	END IF;

	-- the distribution of each table, from Citus's catalog
	EXECUTE $q$
		SELECT p.partmethod, p.colocationid, n.nspname AS schema,
			CASE WHEN p.partmethod = 'h'
				THEN pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) END AS col
		FROM pg_catalog.pg_dist_partition p
		JOIN pg_class c ON c.oid = p.logicalrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE p.logicalrelid = $1$q$ INTO pay USING payments;
	EXECUTE $q$
		SELECT p.partmethod, p.colocationid, n.nspname AS schema,
			CASE WHEN p.partmethod = 'h'
				THEN pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) END AS col
		FROM pg_catalog.pg_dist_partition p
		JOIN pg_class c ON c.oid = p.logicalrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE p.logicalrelid = $1$q$ INTO acc USING accruals;
	IF pay.col IS NULL OR acc.col IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = '0A000',
			MESSAGE = format('%s is not a hash-distributed table',
				CASE WHEN pay.col IS NULL THEN payments ELSE accruals END),
			DETAIL = format('%s_distributed() works on the shards of tables distributed by their partition_by column.',
				function_name),
			HINT = format('Distribute it with create_distributed_table(), or call %s().', function_name);
	END IF;
	IF partition_by IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = '22004',
			MESSAGE = 'partition_by must not be NULL',
			DETAIL = 'Without partition_by, a payment may pay an accrual of any shard.',
			HINT = format('Pass partition_by => %L, the distribution column, or call %s(), which reads every row through this node.',
				pay.col, function_name);
	END IF;
	IF partition_by <> pay.col OR partition_by <> acc.col THEN
		RAISE EXCEPTION USING ERRCODE = '22023',
			MESSAGE = format('partition_by %L is not the distribution column of both tables', partition_by),
			DETAIL = format('%s is distributed by %I, %s by %I.', payments, pay.col, accruals, acc.col),
			HINT = format('Pass the distribution column, or call %s(), which reads every row through this node.',
				function_name);
	END IF;
	IF pay.colocationid <> acc.colocationid THEN
		RAISE EXCEPTION USING ERRCODE = '0A000',
			MESSAGE = format('%s and %s are not co-located', payments, accruals),
			DETAIL = 'An account''s payments and accruals must be in shards on the same node.',
			HINT = format('Distribute %s with colocate_with => %L.', accruals, payments::text);
	END IF;

	-- Every shard once: with replicated shards, a pair would run (and
	-- its rows come back) once per placement.
	EXECUTE $q$
		SELECT array_agg(s.shardid ORDER BY s.shardid),
			bool_or((SELECT count(*) FROM pg_catalog.pg_dist_placement p
					 WHERE p.shardid = s.shardid) > 1)
		FROM pg_catalog.pg_dist_shard s
		WHERE s.logicalrelid = $1$q$ INTO shards, replicated USING payments;
	IF replicated THEN
		RAISE EXCEPTION USING ERRCODE = '0A000',
			MESSAGE = format('%s has replicated shards', payments),
			DETAIL = format('%s_distributed() runs each pair of shards once, on the node that holds it.',
				function_name);
	END IF;

	-- The command for each pair of shards.  run_command_on_colocated_placements()
	-- puts the two shard names into it with format(), so every other % is
	-- doubled; a shard of a table in public comes unqualified, and is
	-- qualified here, so that the worker's search_path does not matter.
	command := format('SELECT %s.accmatch_shard_rows(%s, %s, %s, %s, %s, %s)',
		replace(quote_ident(ext), '%', '%%'),
		replace(quote_literal(function_name), '%', '%%'),
		CASE WHEN pay.schema = 'public' THEN '''public.'' || %L' ELSE '%L' END,
		CASE WHEN acc.schema = 'public' THEN '''public.'' || %L' ELSE '%L' END,
		replace(quote_nullable(strategy), '%', '%%'),
		replace(quote_nullable(partition_by), '%', '%%'),
		replace(quote_nullable(amount_column), '%', '%%'));

	FOR shard IN
		SELECT * FROM pg_catalog.run_command_on_colocated_placements(payments, accruals, command)
	LOOP
		location := format('shards %s and %s on node %s:%s',
			shard.shardid1, shard.shardid2, shard.nodename, shard.nodeport);
		IF NOT shard.success THEN
			RAISE EXCEPTION USING ERRCODE = '08000',
				MESSAGE = format('%s_distributed() failed on %s', function_name, location),
				DETAIL = shard.result;
		ELSIF left(shard.result, 1) = 'E' THEN
			failure := substr(shard.result, 2)::json;
			IF failure ->> 'hint' IS NULL THEN
				RAISE EXCEPTION USING ERRCODE = failure ->> 'sqlstate',
					MESSAGE = failure ->> 'message',
					DETAIL = concat_ws(' ', failure ->> 'detail', format('(raised on %s)', location));
			ELSE
				RAISE EXCEPTION USING ERRCODE = failure ->> 'sqlstate',
					MESSAGE = failure ->> 'message',
					DETAIL = concat_ws(' ', failure ->> 'detail', format('(raised on %s)', location)),
					HINT = failure ->> 'hint';
			END IF;
		END IF;
		RETURN NEXT substr(shard.result, 2)::text[];
		done := done || shard.shardid1;
	END LOOP;
	-- a pair whose shards were not found together would be missing
	IF (SELECT array_agg(d ORDER BY d) FROM unnest(done) AS d) IS DISTINCT FROM shards THEN
		RAISE EXCEPTION USING ERRCODE = 'XX000',
			MESSAGE = format('%s_distributed() did not run every shard of %s once',
				function_name, payments),
			DETAIL = format('Shards %s, run: %s.', shards, done);
	END IF;
END
$$;

COMMENT ON FUNCTION accmatch_distributed_rows(text, regclass, regclass, text, text, text) IS
'internal: runs accmatch_shard_rows on every co-located pair of shards of two Citus tables and returns their result columns';

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
BEGIN
	RETURN QUERY EXECUTE format($q$
		SELECT r.* FROM %I.accmatch_distributed_rows('match_payments', $1, $2, $3, $4, NULL) AS c,
			unnest(c[1]::bigint[], c[2]::bigint[], c[3]::text[], c[4]::text[]) AS r$q$, ext)
		USING payments, accruals, strategy, partition_by;
END
$$;

COMMENT ON FUNCTION match_payments_distributed(regclass, regclass, text, text) IS
'match_payments with partition_by over Citus tables distributed by that column: every pair of co-located shards on its own node, all at once';

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
BEGIN
	RETURN QUERY EXECUTE format($q$
		SELECT r.* FROM %I.accmatch_distributed_rows('allocate_payments', $1, $2, $3, $4, $5) AS c,
			unnest(c[1]::bigint[], c[2]::bigint[], c[3]::numeric[], c[4]::text[], c[5]::text[]) AS r$q$, ext)
		USING payments, accruals, strategy, partition_by, amount_column;
END
$$;

COMMENT ON FUNCTION allocate_payments_distributed(regclass, regclass, text, text, text) IS
'allocate_payments with partition_by over Citus tables distributed by that column: every pair of co-located shards on its own node, all at once';

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
