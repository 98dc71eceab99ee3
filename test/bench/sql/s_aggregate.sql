-- s_aggregate.sql: action_summary() over the normalized tables; run.sh
-- runs it serial and with parallel workers (see the settings there, and
-- check_summary.sql for the proof that the parallel plan aggregates in the
-- workers).
\ir measure_begin.sql
SELECT count(summary) AS bench_out FROM (
	SELECT c.number, action_summary(a.type, a.created_at) AS summary
	FROM :action a
	JOIN :session s ON s.id = a.session_id
	JOIN :account c ON c.id = s.account_id
	GROUP BY c.number
) q \gset
\ir measure_end.sql
