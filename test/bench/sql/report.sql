-- report.sql: the benchmark's tables (medians, ratios, backend peak
-- memory, each with the settings it ran with; the two sections side by
-- side), the targets with PASS or MISS and the measured ratio, and finally
-- an error if any run returned a wrong row count.
-- psql variables: raised (the second section's setting, 'work_mem=256MB'),
-- bound (accmatch.partition_work_mem of the bounded contender, '64MB'),
-- lang_label (the text ids' language collation, as the contender's name
-- gives it: 'text, "en_US"', or 'text, language collation' when none).
\pset footer off
\pset null '-'

-- one row per contender, section group and size: medians of the runs
CREATE TEMP VIEW med AS
SELECT grp, settings, section, contender, ord, is_floor, size, n, nrows, count(*) AS reps,
	count(*) FILTER (WHERE result IS NULL) AS stopped,
	percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS secs,
	percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu_ms) / 1000.0 AS cpu_secs,
	max(hwm_kb) AS hwm_kb, max(shmem_kb) AS shmem_kb, max(expected) AS rows_out
FROM bench.result
GROUP BY grp, settings, section, contender, ord, is_floor, size, n, nrows;

\echo
\echo 'Results (median of the repetitions, in one run; settings = every setting the run changed'
\echo ' from PostgreSQL''s defaults, the server''s above aside; x bare read = median / median of'
\echo ' reading both tables in one backend at that size and settings, matching only; x floor ='
\echo ' median / median of the section''s floor at that size and settings; CPU s = median CPU time of'
\echo ' the backend running the query (parallel workers not counted); peak MB = largest growth'
\echo ' of the backend''s VmHWM during the query, every buffer of shared_buffers having been touched'
\echo ' before it; B/row = that growth / input rows; shared MB = largest growth of the shared memory'
\echo ' the backend maps during the query, included in peak MB; stopped = runs stopped at their time'
\echo ' limit, whose time until then counts: the median is then a lower bound)'
SELECT m.section, m.contender, m.size, m.settings, m.nrows AS "input rows", m.reps,
	nullif(m.stopped, 0) AS stopped,
	round(m.secs::numeric, 3) AS "median s",
	round((m.secs / nullif(b.secs, 0))::numeric, 2) AS "x bare read",
	round((m.secs / nullif(f.secs, 0))::numeric, 2) AS "x floor",
	round(m.cpu_secs::numeric, 2) AS "CPU s",
	round(m.hwm_kb / 1024.0, 1) AS "peak MB",
	round(m.hwm_kb * 1024.0 / m.nrows, 1) AS "B/row",
	round(m.shmem_kb / 1024.0, 1) AS "shared MB"
FROM med m
LEFT JOIN med f ON f.is_floor AND f.section = m.section AND f.n = m.n AND f.grp = m.grp
LEFT JOIN med b ON b.contender = 'bare read of both tables' AND b.section = m.section
	AND b.n = m.n AND b.grp = m.grp
ORDER BY CASE m.section WHEN 'matching' THEN 1 WHEN 'summary' THEN 2
		WHEN 'documents' THEN 3 ELSE 4 END,
	m.n, m.grp <> 'defaults', m.ord;

\echo
\echo 'Defaults and ':raised' side by side (median s, x bare read (x floor for summaries) and'
\echo ' peak MB in each section)'
SELECT d.section, d.contender, d.size,
	round(d.secs::numeric, 3) AS "defaults s",
	round((d.secs / nullif(db.secs, 0))::numeric, 2) AS "x bare",
	round(d.hwm_kb / 1024.0, 1) AS "MB",
	round(r.secs::numeric, 3) AS "raised s",
	round((r.secs / nullif(rb.secs, 0))::numeric, 2) AS "x bare",
	round(r.hwm_kb / 1024.0, 1) AS "MB"
FROM med d
JOIN med r ON r.grp = :'raised' AND r.section = d.section AND r.contender = d.contender
	AND r.n = d.n
LEFT JOIN med db ON db.grp = d.grp AND db.section = d.section AND db.n = d.n
	AND db.contender IN ('bare read of both tables', 'floor: count, max')
LEFT JOIN med rb ON rb.grp = r.grp AND rb.section = r.section AND rb.n = r.n
	AND rb.contender IN ('bare read of both tables', 'floor: count, max')
WHERE d.grp = 'defaults'
ORDER BY d.section <> 'matching', d.n, d.ord;

\echo
\echo 'Scaling of matching at defaults (median at 10M / median at 1M; n log n predicts about 11)'
SELECT a.contender, round(a.secs::numeric, 3) AS "1M s", round(b.secs::numeric, 3) AS "10M s",
	round((b.secs / nullif(a.secs, 0))::numeric, 2) AS "10M/1M"
FROM med a JOIN med b USING (grp, contender)
WHERE a.section = 'matching' AND a.grp = 'defaults' AND a.n = 1000000 AND b.n = 10000000
ORDER BY a.ord;

\echo
\echo 'Cancel (statement_timeout = 100ms, defaults)'
SELECT function, size, sqlstate, round(secs::numeric, 3) AS "s to error",
	round(wall_secs::numeric, 3) AS "psql wall s", alive AS "SELECT 1 after"
FROM bench.cancel ORDER BY n, function DESC;

SELECT EXISTS (SELECT FROM bench.skipped) AS bench_skipped \gset
\if :bench_skipped
\echo
\echo 'Not run'
SELECT contender, grp AS section, string_agg(size, ', ' ORDER BY n) AS sizes, reason
FROM bench.skipped GROUP BY contender, grp, reason ORDER BY min(n), contender;
\endif

-- The targets: kind says how "measured" is computed from contender a
-- (and b) at size n (b at n_b when given):
--   time     median of a / median of b (same section group)
--   per_row  (median of a / rows a returns) / (median of b / rows b returns)
--   peak     peak of a / peak of b (the same input rows: bytes per row alike)
--   bpr      peak of a in bytes per input row
--   peak_mb  peak of a in MB
--   cancel   seconds from the call of function a to its 57014 (Infinity if
--            it did not end so, or SELECT 1 did not answer after)
-- A limit of NULL: reported, not judged.  n NULL: the largest size the
-- summaries ran at.
CREATE TEMP TABLE target (
	ord int, grp text, target text, kind text, a text, b text, n bigint, n_b bigint,
	lim float8
);
INSERT INTO target
SELECT t.i * 10 + g.i, g.grp, t.target, t.kind, t.a, t.b, t.n, t.n_b, t.lim
FROM (VALUES
	(1, 'match_payments() sequential <= 2.0x bare read (one backend), 1M+1M', 'time',
	 'match_payments sequential', 'bare read of both tables', 1000000, NULL, 2.0, true),
	(2, 'match_payments() month_first <= 2.0x bare read (one backend), 1M+1M', 'time',
	 'match_payments month_first', 'bare read of both tables', 1000000, NULL, 2.0, true),
	(3, 'match_payments() partition_by sequential <= 1.2x match_payments(), 1M+1M (100k accounts)', 'time',
	 'match_payments partition_by sequential', 'match_payments sequential', 1000000, NULL, 1.2, true),
	(4, 'match_payments() partition_by month_first <= 1.2x match_payments(), 1M+1M (100k accounts)', 'time',
	 'match_payments partition_by month_first', 'match_payments month_first', 1000000, NULL, 1.2, true),
	(5, 'match_payments() partition_by sequential <= 1.3x match_payments(), 10M+10M (1M accounts)', 'time',
	 'match_payments partition_by sequential', 'match_payments sequential', 10000000, NULL, 1.3, true),
	(6, 'match_payments() partition_by month_first <= 1.3x match_payments(), 10M+10M (1M accounts)', 'time',
	 'match_payments partition_by month_first', 'match_payments month_first', 10000000, NULL, 1.3, true),
	(7, 'allocate_payments() partition_by sequential <= 1.2x allocate_payments(), 1M+1M', 'time',
	 'allocate_payments partition_by sequential', 'allocate_payments sequential', 1000000, NULL, 1.2, true),
	(8, 'allocate_payments() partition_by month_first <= 1.2x allocate_payments(), 1M+1M', 'time',
	 'allocate_payments partition_by month_first', 'allocate_payments month_first', 1000000, NULL, 1.2, true),
	(9, 'allocate_payments() partition_by sequential <= 1.3x allocate_payments(), 10M+10M', 'time',
	 'allocate_payments partition_by sequential', 'allocate_payments sequential', 10000000, NULL, 1.3, true),
	(10, 'allocate_payments() partition_by month_first <= 1.3x allocate_payments(), 10M+10M', 'time',
	 'allocate_payments partition_by month_first', 'allocate_payments month_first', 10000000, NULL, 1.3, true),
	(11, 'match_payments() partition_by sequential peak <= whole table''s (B/row), 1M+1M', 'peak',
	 'match_payments partition_by sequential', 'match_payments sequential', 1000000, NULL, 1.0, false),
	(12, 'match_payments() partition_by month_first peak <= whole table''s (B/row), 1M+1M', 'peak',
	 'match_payments partition_by month_first', 'match_payments month_first', 1000000, NULL, 1.0, false),
	(13, 'match_payments() partition_by sequential peak <= whole table''s (B/row), 10M+10M', 'peak',
	 'match_payments partition_by sequential', 'match_payments sequential', 10000000, NULL, 1.0, false),
	(14, 'match_payments() partition_by month_first peak <= whole table''s (B/row), 10M+10M', 'peak',
	 'match_payments partition_by month_first', 'match_payments month_first', 10000000, NULL, 1.0, false),
	(15, 'bounded: partition_by with partition_work_mem ' || :'bound' || ' <= 2x match_payments(), 10M+10M', 'time',
	 'match_payments partition_by sequential, bounded', 'match_payments sequential', 10000000, NULL, 2.0, false),
	(16, 'bounded: its peak MB <= ' || :'bound' || ' + work_mem (result store) + 16MB (temporary files'' buffers, executor), 10M+10M',
	 'peak_mb', 'match_payments partition_by sequential, bounded', NULL, 10000000, NULL,
	 (pg_size_bytes(:'bound') + pg_size_bytes(current_setting('work_mem'))) / 1048576.0 + 16, false),
	(17, 'allocate_payments() sequential time per result row <= match_payments()''s, 1M+1M', 'per_row',
	 'allocate_payments sequential', 'match_payments sequential', 1000000, NULL, 1.0, true),
	(18, 'allocate_payments() month_first time per result row <= match_payments()''s, 1M+1M', 'per_row',
	 'allocate_payments month_first', 'match_payments month_first', 1000000, NULL, 1.0, true),
	(19, 'match_payments_typed() uuid ids <= 1.3x match_payments() integer ids, 1M+1M', 'time',
	 'match_payments_typed, uuid ids', 'match_payments sequential', 1000000, NULL, 1.3, false),
	(20, 'match_payments_typed() text ids, "C" <= 1.6x match_payments() integer ids, 1M+1M', 'time',
	 'match_payments_typed, text, "C" ids', 'match_payments sequential', 1000000, NULL, 1.6, false),
	(21, 'match_payments_typed() ' || :'lang_label' || ' ids / match_payments() integer ids, 1M+1M', 'time',
	 'match_payments_typed, ' || :'lang_label' || ' ids', 'match_payments sequential',
	 1000000, NULL, NULL, false),
	(22, 'allocation_corrections(), 1% of payments changed, <= 2x allocate_payments(), 1M+1M', 'time',
	 'allocation_corrections, 1% of payments changed', 'allocate_payments sequential', 1000000, NULL, 2.0, false),
	(23, 'allocation_corrections(), nothing changed, <= 2x allocate_payments(), 1M+1M', 'time',
	 'allocation_corrections, nothing changed', 'allocate_payments sequential', 1000000, NULL, 2.0, false),
	(24, 'allocation_corrections() per account, 1% of payments changed, <= 2x allocate_payments() per account, 1M+1M', 'time',
	 'allocation_corrections partition_by, 1% of payments changed', 'allocate_payments partition_by sequential', 1000000, NULL, 2.0, false),
	(25, 'allocation_corrections() per account, nothing changed, <= 2x allocate_payments() per account, 1M+1M', 'time',
	 'allocation_corrections partition_by, nothing changed', 'allocate_payments partition_by sequential', 1000000, NULL, 2.0, false),
	(26, 'match_payments() sequential time 10M / 1M <= 12', 'time',
	 'match_payments sequential', 'match_payments sequential', 10000000, 1000000, 12, false),
	(27, 'match_payments() sequential peak at 10M+10M <= 48 B/row', 'bpr',
	 'match_payments sequential', NULL, 10000000, NULL, 48, false),
	(28, 'match_payments() month_first peak at 10M+10M <= 48 B/row', 'bpr',
	 'match_payments month_first', NULL, 10000000, NULL, 48, false),
	(29, 'allocate_payments() sequential peak at 1M+1M <= 64 B/row', 'bpr',
	 'allocate_payments sequential', NULL, 1000000, NULL, 64, false),
	(30, 'allocate_payments() sequential peak at 10M+10M <= 64 B/row', 'bpr',
	 'allocate_payments sequential', NULL, 10000000, NULL, 64, false),
	(31, 'cancel match_payments(): 57014 within 1 s, then SELECT 1 answers', 'cancel',
	 'match_payments', NULL, NULL, NULL, 1, false),
	(32, 'cancel allocate_payments(): 57014 within 1 s, then SELECT 1 answers', 'cancel',
	 'allocate_payments', NULL, NULL, NULL, 1, false),
	(33, 'allocate_payments() sequential <= 0.01x PL/pgSQL allocation loop, 100k+100k (loop stopped: at most)', 'time',
	 'allocate_payments sequential', 'PL/pgSQL allocation loop', 100000, NULL, 0.01, false),
	(34, 'action_summary() serial <= 0.5x plain SQL (largest size)', 'time',
	 'action_summary serial', 'plain SQL', NULL, NULL, 0.5, true),
	(35, 'action_summary() serial <= 1.3x count/max floor (largest size)', 'time',
	 'action_summary serial', 'floor: count, max', NULL, NULL, 1.3, true),
	(36, 'account_actions() <= 0.2x jsonb_array_elements SQL (largest size)', 'time',
	 'account_actions', 'jsonb_array_elements SQL', NULL, NULL, 0.2, false),
	(37, 'action_summary() over n types, descending <= 2x GROUP BY type (largest size)', 'time',
	 'action_summary, types descending', 'floor: GROUP BY type', NULL, NULL, 2, false)
) AS t (i, target, kind, a, b, n, n_b, lim, both_sections)
CROSS JOIN LATERAL (VALUES (0, 'defaults'), (1, :'raised')) AS g (i, grp)
WHERE g.i = 0 OR t.both_sections;

CREATE TEMP VIEW target_result AS
SELECT t.ord, t.grp, t.target, t.lim, t.kind, t.a, t.b, n_eff,
	CASE t.kind
		WHEN 'time' THEN a.secs / nullif(b.secs, 0)
		WHEN 'per_row' THEN (a.secs / nullif(a.rows_out, 0)) / nullif(b.secs / nullif(b.rows_out, 0), 0)
		WHEN 'peak' THEN a.hwm_kb::float8 / nullif(b.hwm_kb, 0)
		WHEN 'bpr' THEN a.hwm_kb * 1024.0 / a.nrows
		WHEN 'peak_mb' THEN a.hwm_kb / 1024.0
		WHEN 'cancel' THEN
			(SELECT CASE WHEN c.sqlstate = '57014' AND c.alive THEN c.secs ELSE 'Infinity' END
			 FROM bench.cancel c WHERE c.function = t.a ORDER BY c.n LIMIT 1)
	END AS measured,
	-- a time target's ratio in the backends' CPU time
	CASE WHEN t.kind = 'time' AND b.stopped = 0 AND b.cpu_secs >= 0.05
		THEN a.cpu_secs / b.cpu_secs END AS cpu_ratio,
	CASE WHEN a.secs IS NULL OR (t.b IS NOT NULL AND b.secs IS NULL) THEN NULL
		WHEN t.kind = 'time' THEN format('%s s / %s s', round(a.secs::numeric, 3), round(b.secs::numeric, 3))
		WHEN t.kind = 'per_row' THEN format('%s / %s us a row', round((a.secs / a.rows_out * 1e6)::numeric, 3),
								   round((b.secs / b.rows_out * 1e6)::numeric, 3))
		WHEN t.kind = 'peak' THEN format('%s MB / %s MB', round(a.hwm_kb / 1024.0, 1), round(b.hwm_kb / 1024.0, 1))
		WHEN t.kind = 'bpr' THEN format('%s MB / %s rows', round(a.hwm_kb / 1024.0, 1), a.nrows)
		WHEN t.kind = 'peak_mb' THEN format('%s MB, limit %s MB', round(a.hwm_kb / 1024.0, 1),
												   round(t.lim::numeric, 1))
	END AS detail,
	-- a contender of the target was not run at that size: why
	(SELECT s.reason FROM bench.skipped s
	 WHERE s.grp = t.grp AND s.contender IN (t.a, t.b) AND s.n IN (n_eff, t.n_b) LIMIT 1) AS skipped,
	-- against a loop stopped at its time limit the ratio is only an upper
	-- bound: above the target it decides nothing
	coalesce(b.stopped, 0) > 0 AS b_stopped
FROM target t
CROSS JOIN LATERAL (SELECT coalesce(t.n, (SELECT max(n) FROM med WHERE section = 'summary')) AS n_eff) e
LEFT JOIN med a ON a.grp = t.grp AND a.contender = t.a AND a.n = n_eff
LEFT JOIN med b ON b.grp = t.grp AND b.contender = t.b AND b.n = coalesce(t.n_b, n_eff);

\echo
\echo 'Targets (settings: defaults = PostgreSQL''s, the server''s above aside; the bare read and the'
\echo ' floors run in one backend; measured = the ratio, or the value, the limit applies to; CPU ='
\echo ' a time target''s ratio of the medians of backend CPU time instead, for reference, where the'
\echo ' second takes 50 ms or more: it is counted in steps of 10 ms)'
SELECT CASE WHEN skipped IS NOT NULL THEN 'not run: ' || skipped
		WHEN measured IS NULL THEN 'not run'
		WHEN lim IS NULL THEN 'reported'
		WHEN measured <= lim THEN 'PASS'
		WHEN kind = 'time' AND b_stopped THEN 'not decided'
		ELSE 'MISS' END AS verdict,
	grp AS settings, target,
	round(measured::numeric, CASE WHEN measured < 0.1 THEN 4 ELSE 3 END) AS measured,
	round(cpu_ratio::numeric, CASE WHEN cpu_ratio < 0.1 THEN 4 ELSE 3 END) AS "CPU",
	detail
FROM target_result ORDER BY ord;

-- every run of a contender must have returned what it should
SELECT count(*) > 0 AS bench_bad FROM bench.result WHERE result <> expected \gset
\if :bench_bad
\echo
\echo 'Runs that returned a wrong row count:'
SELECT grp, section, contender, size, rep, expected, result
FROM bench.result WHERE result <> expected ORDER BY n, ord, rep;
DO $$ BEGIN RAISE EXCEPTION 'some benchmark runs returned a wrong row count'; END $$;
\endif
