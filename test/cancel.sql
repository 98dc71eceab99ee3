-- cancel.sql: statement_timeout stops match_payments() quickly, whatever it
-- is doing at that moment, and leaves the session as it was.
--
-- Two tables of 3M rows each (seeded) make one uncancelled call take a
-- couple of seconds.  That call is timed first; the cancelled calls then
-- use timeouts that are fractions of it (so they land in every phase:
-- reading, sorting, matching, returning rows), and each must end with
-- 57014 within a second of its timeout.  Afterwards no cursor or memory
-- context of the function is left, and a full call gives what the first
-- one gave.  Takes 10 to 20 s.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS accmatch;
SELECT plan(11);

SELECT setseed(0.31);
CREATE UNLOGGED TABLE cancel_acc AS
SELECT g AS id, date '2020-01-01' + (random() * 1500)::int AS date,
	(random() * 48)::int AS month, g % 1000 AS acct
FROM generate_series(1, 3000000) g;
CREATE UNLOGGED TABLE cancel_pay AS
SELECT g AS id, date '2020-01-01' + (random() * 1500)::int AS date,
	(random() * 48)::int AS month, g % 1000 AS acct
FROM generate_series(1, 3000000) g;
ANALYZE cancel_acc, cancel_pay;
-- a first scan sets hint bits, so the timed calls all read the same way
DO $$
BEGIN
	PERFORM count(*) FROM cancel_acc;
	PERFORM count(*) FROM cancel_pay;
END $$;

-- one row per timed call
CREATE TEMP TABLE cancel_runs (
	label text,
	timeout_ms int,
	outcome text,				-- 'finished' or the SQLSTATE
	message text,
	elapsed_ms numeric,
	signature text				-- of the result, when finished
);

-- Run a match_payments() query under the statement_timeout in force (set
-- by the caller, at top level, since the timer starts with the top-level
-- statement) and record how it ended and how long it took.
CREATE PROCEDURE pg_temp.timed_run(label text, timeout_ms int, q text)
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
	sig text;
BEGIN
	BEGIN
		EXECUTE format($f$SELECT concat_ws(' ', count(*), count(accrual_id),
				sum(accrual_id), sum(payment_id # coalesce(accrual_id, 0)),
				count(*) FILTER (WHERE matched_by = 'month'))
			FROM (%s) r$f$, q) INTO sig;
		INSERT INTO cancel_runs VALUES (label, timeout_ms, 'finished', NULL,
			extract(epoch FROM clock_timestamp() - t0) * 1000, sig);
	EXCEPTION WHEN query_canceled THEN
		INSERT INTO cancel_runs VALUES (label, timeout_ms, SQLSTATE, SQLERRM,
			extract(epoch FROM clock_timestamp() - t0) * 1000, NULL);
	END;
END $$;

-- the uncancelled call, timed, after one untimed call: the first read of
-- fresh tables is slower than the later ones (the baseline measured 2.4 s
-- where the same call took 1.4 s afterwards), which would put the larger
-- fractions below past the calls they are meant to cancel
CREATE TEMP TABLE cancel_warmup AS
SELECT count(*) FROM match_payments('cancel_pay', 'cancel_acc');
CALL pg_temp.timed_run('baseline', 0,
	$$SELECT * FROM match_payments('cancel_pay', 'cancel_acc')$$);

SELECT is((SELECT split_part(signature, ' ', 1)::bigint FROM cancel_runs
		   WHERE label = 'baseline'),
	(SELECT count(*) FROM cancel_pay),
	'the uncancelled call returns one row per payment');
SELECT cmp_ok((SELECT elapsed_ms FROM cancel_runs WHERE label = 'baseline'),
	'>', 900::numeric,
	'the uncancelled call takes far longer than the 300 ms timeout');

-- the issue's own case: 300 ms.  (pgTAP's throws_ok() cannot be used:
-- WHEN OTHERS does not catch query_canceled.)
SET LOCAL statement_timeout = '300ms';
CALL pg_temp.timed_run('at 300 ms', 300,
	$$SELECT * FROM match_payments('cancel_pay', 'cancel_acc')$$);
SET LOCAL statement_timeout = 0;
SELECT is((SELECT outcome || ': ' || message FROM cancel_runs
		   WHERE label = 'at 300 ms'),
	'57014: canceling statement due to statement timeout',
	'statement_timeout of 300 ms cancels match_payments() with 57014');
SELECT cmp_ok((SELECT elapsed_ms FROM cancel_runs WHERE label = 'at 300 ms'),
	'<', 1000::numeric, 'and it stops within a second');

-- timeouts at fractions of the uncancelled time, in every phase and for
-- every code path; each runs as its own top-level statements.  Per
-- account, the rows are read ordered by key at the default work_mem, and
-- grouped in memory with a larger one.
CREATE TEMP TABLE cancel_plan AS
SELECT v.label, v.q, greatest(50, round(b.elapsed_ms * v.fraction))::int AS timeout_ms,
	coalesce(v.work_mem, current_setting('work_mem')) AS work_mem
FROM cancel_runs b,
	(VALUES
		('sequential', 0.05, $$SELECT * FROM match_payments('cancel_pay', 'cancel_acc')$$, NULL),
		('sequential', 0.2, $$SELECT * FROM match_payments('cancel_pay', 'cancel_acc')$$, NULL),
		('sequential', 0.35, $$SELECT * FROM match_payments('cancel_pay', 'cancel_acc')$$, NULL),
		('sequential', 0.5, $$SELECT * FROM match_payments('cancel_pay', 'cancel_acc')$$, NULL),
		('sequential', 0.65, $$SELECT * FROM match_payments('cancel_pay', 'cancel_acc')$$, NULL),
		('month_first', 0.3, $$SELECT * FROM match_payments('cancel_pay', 'cancel_acc', 'month_first')$$, NULL),
		('partitioned', 0.15, $$SELECT * FROM match_payments('cancel_pay', 'cancel_acc', partition_by => 'acct')$$, NULL),
		('partitioned', 0.45, $$SELECT * FROM match_payments('cancel_pay', 'cancel_acc', partition_by => 'acct')$$, NULL),
		('grouped', 0.1, $$SELECT * FROM match_payments('cancel_pay', 'cancel_acc', partition_by => 'acct')$$, '1GB'),
		('grouped', 0.3, $$SELECT * FROM match_payments('cancel_pay', 'cancel_acc', partition_by => 'acct')$$, '1GB'),
		('grouped', 0.5, $$SELECT * FROM match_payments('cancel_pay', 'cancel_acc', partition_by => 'acct')$$, '1GB')
	) v(label, fraction, q, work_mem)
WHERE b.label = 'baseline';

SELECT format('SET LOCAL work_mem = %L', work_mem),
	format('SET LOCAL statement_timeout = %s', timeout_ms),
	format('CALL pg_temp.timed_run(%L, %s, %L)', label, timeout_ms, q),
	'SET LOCAL statement_timeout = 0',
	'RESET work_mem'
FROM cancel_plan ORDER BY label, timeout_ms
\gexec

SELECT is((SELECT count(*) FROM cancel_runs JOIN cancel_plan USING (label, timeout_ms)),
	(SELECT count(*) FROM cancel_plan),
	'every planned call ran');
SELECT is((SELECT string_agg(format('%s at %s ms: %s', label, timeout_ms, outcome), ', ')
		   FROM cancel_runs WHERE label <> 'baseline' AND outcome <> '57014'
			   AND NOT (outcome = 'finished' AND elapsed_ms < timeout_ms)),
	NULL, 'every call that reached its timeout was cancelled with 57014');
SELECT is((SELECT string_agg(DISTINCT message, ', ') FROM cancel_runs
		   WHERE label <> 'baseline'),
	'canceling statement due to statement timeout',
	'by the statement timeout');
SELECT is((SELECT string_agg(format('%s at %s ms took %s ms', label, timeout_ms,
			round(elapsed_ms)), ', ')
		   FROM cancel_runs
		   WHERE label <> 'baseline' AND elapsed_ms >= timeout_ms + 1000),
	NULL, 'every cancelled call ended within 1 s of its timeout');

-- the session is as it was
SELECT is((SELECT count(*) FROM pg_cursors), 0::bigint,
	'no cursor is left open');
SELECT is((SELECT count(*) FROM pg_backend_memory_contexts
		   WHERE name LIKE 'accmatch%'), 0::bigint,
	'no memory context of the function is left');

CALL pg_temp.timed_run('after', 0,
	$$SELECT * FROM match_payments('cancel_pay', 'cancel_acc')$$);
SELECT is((SELECT signature FROM cancel_runs WHERE label = 'after'),
	(SELECT signature FROM cancel_runs WHERE label = 'baseline'),
	'a full call after the cancels gives the same result as before them');
-- what was measured, for the log
SELECT diag(format('%s: timeout %s ms, %s, %s ms', label, timeout_ms, outcome,
		round(elapsed_ms)))
FROM cancel_runs ORDER BY label, timeout_ms;

SELECT * FROM finish();
ROLLBACK;
