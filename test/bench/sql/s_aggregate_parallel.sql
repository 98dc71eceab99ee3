-- s_aggregate_parallel.sql: action_summary() with parallel workers (the
-- plan is forced to be parallel; see check_summary.sql for the proof).
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
\ir measure_begin.sql
SELECT count(summary) AS bench_out FROM (
	SELECT c.number, action_summary(a.type, a.created_at) AS summary
	FROM :action a
	JOIN :session s ON s.id = a.session_id
	JOIN :account c ON c.id = s.account_id
	GROUP BY c.number
) q \gset
\ir measure_end.sql
