-- s_aggregate_query.sql: the measured action_summary() query, shared by
-- s_aggregate.sql (serial) and s_aggregate_parallel.sql.
\ir measure_begin.sql
SELECT count(summary) AS bench_out FROM (
	SELECT c.number, action_summary(a.type, a.created_at) AS summary
	FROM :action a
	JOIN :session s ON s.id = a.session_id
	JOIN :account c ON c.id = s.account_id
	GROUP BY c.number
) q \gset
\ir measure_end.sql
