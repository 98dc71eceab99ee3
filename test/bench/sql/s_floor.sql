-- s_floor.sql: the floor of action summaries: count(*) and max() per
-- account number, over the same join as the other contenders.
\ir measure_begin.sql
SELECT count(*) FILTER (WHERE n > 0 OR last IS NOT NULL) AS bench_out FROM (
	SELECT c.number, count(*) AS n, max(a.created_at) AS last
	FROM :action a
	JOIN :session s ON s.id = a.session_id
	JOIN :account c ON c.id = s.account_id
	GROUP BY c.number
) q \gset
\ir measure_end.sql
