-- setup.sql: the benchmark's helpers, in schema bench: a seeded uniform
-- number generator, the backend's peak memory and the table that maps
-- shared_buffers before it is measured, the result table, and the
-- PL/pgSQL loops that a developer writes first for payment matching and
-- allocation.

SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS accmatch;
CREATE EXTENSION IF NOT EXISTS pg_prewarm;
CREATE SCHEMA IF NOT EXISTS bench;

-- A uniform number in [0, 1) for row i and stream k under the given seed:
-- a hash, so the same seed gives the same data whatever the plan (parallel
-- or not) and whatever order rows are generated in.
CREATE OR REPLACE FUNCTION bench.u(i bigint, seed bigint, k int)
RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT (hashint8extended(i, seed * 64 + k) & 281474976710655)::float8
		/ 281474976710656
$$;

-- A field, in kB, of the status of the backend process running this:
-- VmHWM, its peak resident memory, or RssShmem, the shared memory it has
-- mapped (pages of shared_buffers count in VmHWM once it touches them).
CREATE OR REPLACE FUNCTION bench.status_kb(field text)
RETURNS bigint
LANGUAGE sql VOLATILE
AS $$
	SELECT substring(pg_read_file('/proc/self/status') FROM field || ':\s*(\d+)')::bigint
$$;

-- The CPU time the backend process running this has used, in ms: user
-- and system time of /proc/self/stat, kept in USER_HZ ticks (100 a
-- second), so to 10 ms.  On a shared machine the wall time of one query
-- moves with what else runs; its CPU time moves less.
CREATE OR REPLACE FUNCTION bench.cpu_ms()
RETURNS bigint
LANGUAGE sql VOLATILE
AS $$
	SELECT (split_part(s, ' ', 12)::bigint + split_part(s, ' ', 13)::bigint) * 10
	FROM (SELECT split_part(pg_read_file('/proc/self/stat'), ') ', 2) AS s) x
$$;

-- A table of twice as many pages as shared_buffers holds, four rows to a
-- page (the values stay uncompressed in line).  measure_begin.sql reads it
-- into shared_buffers, so that the measuring backend has touched every
-- buffer before its peak memory is noted.
DO $$
DECLARE
	buffers bigint := (SELECT setting::bigint FROM pg_settings
					   WHERE name = 'shared_buffers');
BEGIN
	IF to_regclass('bench.filler') IS NULL THEN
		CREATE TABLE bench.filler WITH (autovacuum_enabled = off) AS
		SELECT i, repeat('x', 1900) AS pad
		FROM generate_series(1, 8 * buffers) AS i;
	END IF;
END
$$;

-- One row per measured run.
CREATE TABLE IF NOT EXISTS bench.result (
	grp text NOT NULL,				-- 'defaults' or the raised setting of the
									-- second section ('work_mem=256MB')
	settings text NOT NULL,			-- every setting the run changed from
									-- PostgreSQL's defaults, or 'defaults'
	section text NOT NULL,			-- matching, summary, documents, types
	contender text NOT NULL,
	ord int NOT NULL,				-- position of the contender in the table
	is_floor bool NOT NULL,
	size text NOT NULL,				-- as given, e.g. 1M
	n bigint NOT NULL,				-- the size as a number of rows
	nrows bigint NOT NULL,			-- input rows: A + P, actions, documents
	rep int NOT NULL,
	secs float8 NOT NULL,
	hwm_kb bigint NOT NULL,			-- VmHWM after minus VmHWM before
	shmem_kb bigint NOT NULL,		-- RssShmem after minus RssShmem before
	expected bigint NOT NULL,		-- what the query must return
	result bigint,					-- what it returned; NULL when it was
									-- stopped at its time limit, secs then
									-- being the time until it stopped
	cpu_ms bigint NOT NULL			-- the backend's CPU time during the run
									-- (parallel workers' not counted)
);

-- Contenders not run, and why (a function or setting the installed
-- accmatch does not have, no language collation).
CREATE TABLE IF NOT EXISTS bench.skipped (
	grp text NOT NULL,
	contender text NOT NULL,
	size text NOT NULL,
	n bigint NOT NULL,
	reason text NOT NULL
);

-- What the installed accmatch offers, for contenders that need a newer one.
CREATE TABLE IF NOT EXISTS bench.feature (
	name text PRIMARY KEY,			-- a function or setting
	present bool NOT NULL
);

-- The statement_timeout test, one row per size it ran at.
CREATE TABLE IF NOT EXISTS bench.cancel (
	size text NOT NULL,
	n bigint NOT NULL,
	sqlstate text NOT NULL,
	secs float8 NOT NULL,			-- from the call to its error, in the server
	wall_secs float8 NOT NULL,		-- the whole psql run, from the shell
	alive bool NOT NULL,			-- SELECT 1 answered afterwards
	function text NOT NULL DEFAULT 'match_payments'
);

-- The loop a developer writes first: payments in (date, id) order, each
-- takes, through an index, the oldest unpaid same-month accrual dated
-- strictly earlier, else the oldest unpaid accrual dated strictly earlier.
-- Unpaid accruals live in an indexed working table; a paid one is deleted.
CREATE OR REPLACE FUNCTION bench.loop_match(payments regclass, accruals regclass)
RETURNS TABLE (payment_id bigint, accrual_id bigint, matched_by text)
LANGUAGE plpgsql
AS $$
DECLARE
	p record;
	aid bigint;
BEGIN
	DROP TABLE IF EXISTS pg_temp.bench_unpaid;
	EXECUTE format('CREATE TEMP TABLE bench_unpaid AS
		SELECT id, date, month FROM %s WHERE date IS NOT NULL', accruals);
	CREATE UNIQUE INDEX ON pg_temp.bench_unpaid (id);
	CREATE INDEX ON pg_temp.bench_unpaid (month, date, id);
	CREATE INDEX ON pg_temp.bench_unpaid (date, id);
	ANALYZE pg_temp.bench_unpaid;

	FOR p IN EXECUTE format('SELECT id, date, month FROM %s ORDER BY date, id',
							payments)
	LOOP
		matched_by := 'month';
		SELECT u.id INTO aid
		FROM pg_temp.bench_unpaid u
		WHERE u.month = p.month AND u.date < p.date
		ORDER BY u.date, u.id
		LIMIT 1;

		IF aid IS NULL THEN
			matched_by := 'oldest';
			SELECT u.id INTO aid
			FROM pg_temp.bench_unpaid u
			WHERE u.date < p.date
			ORDER BY u.date, u.id
			LIMIT 1;
		END IF;

		IF aid IS NULL THEN
			matched_by := NULL;
		ELSE
			DELETE FROM pg_temp.bench_unpaid WHERE id = aid;
		END IF;

		payment_id := p.id;
		accrual_id := aid;
		RETURN NEXT;
	END LOOP;

	DROP TABLE pg_temp.bench_unpaid;
END
$$;

-- The allocation loop a developer writes first: payments in (date, id)
-- order, each allocates, through an index, to the oldest open same-month
-- accrual dated strictly earlier, again and again while money is left,
-- then likewise to the oldest open accrual; what is left is one
-- unallocated row.  Open accruals and their running balances live in an
-- indexed working table; a paid one is deleted.
CREATE OR REPLACE FUNCTION bench.loop_allocate(payments regclass, accruals regclass)
RETURNS TABLE (payment_id bigint, accrual_id bigint, amount numeric, matched_by text)
LANGUAGE plpgsql
AS $$
DECLARE
	p record;
	a record;
	remaining numeric;
	x numeric;
	allocated bool;
	pass text;
BEGIN
	DROP TABLE IF EXISTS pg_temp.bench_open;
	EXECUTE format('CREATE TEMP TABLE bench_open AS
		SELECT id, date, month, amount AS balance FROM %s
		WHERE date IS NOT NULL AND amount > 0', accruals);
	CREATE UNIQUE INDEX ON pg_temp.bench_open (id);
	CREATE INDEX ON pg_temp.bench_open (month, date, id);
	CREATE INDEX ON pg_temp.bench_open (date, id);
	ANALYZE pg_temp.bench_open;

	FOR p IN EXECUTE format('SELECT id, date, month, amount FROM %s ORDER BY date, id',
							payments)
	LOOP
		remaining := p.amount;
		allocated := false;
		FOREACH pass IN ARRAY ARRAY['month', 'oldest'] LOOP
			WHILE remaining > 0 LOOP
				IF pass = 'month' THEN
					SELECT o.id, o.balance INTO a
					FROM pg_temp.bench_open o
					WHERE o.month = p.month AND o.date < p.date
					ORDER BY o.date, o.id
					LIMIT 1;
				ELSE
					SELECT o.id, o.balance INTO a
					FROM pg_temp.bench_open o
					WHERE o.date < p.date
					ORDER BY o.date, o.id
					LIMIT 1;
				END IF;
				EXIT WHEN NOT FOUND;

				x := least(remaining, a.balance);
				IF x = a.balance THEN
					DELETE FROM pg_temp.bench_open WHERE id = a.id;
				ELSE
					UPDATE pg_temp.bench_open SET balance = balance - x WHERE id = a.id;
				END IF;
				remaining := remaining - x;
				allocated := true;

				payment_id := p.id;
				accrual_id := a.id;
				amount := x;
				matched_by := pass;
				RETURN NEXT;
			END LOOP;
		END LOOP;

		IF remaining > 0 OR NOT allocated THEN
			payment_id := p.id;
			accrual_id := NULL;
			amount := remaining;
			matched_by := NULL;
			RETURN NEXT;
		END IF;
	END LOOP;

	DROP TABLE pg_temp.bench_open;
END
$$;

-- The rows of bench.loop_allocate(), counted; NULL when statement_timeout
-- stops it first.  Its index look-ups slow down as it deletes paid
-- accruals, so that at 100k + 100k it runs for about half an hour: the
-- benchmark gives it a time limit instead (see a_loop.sql).
CREATE OR REPLACE FUNCTION bench.count_loop_allocate(payments regclass, accruals regclass)
RETURNS bigint
LANGUAGE plpgsql
AS $$
BEGIN
	RETURN (SELECT count(*) FROM bench.loop_allocate(payments, accruals));
EXCEPTION WHEN query_canceled THEN
	RETURN NULL;
END
$$;
