-- t_group_by.sql: the floor of one summary over n distinct types: plain SQL
-- GROUP BY type with count and max, over the types in descending order.
\ir measure_begin.sql
SELECT count(*) AS bench_out FROM (
	SELECT 't' || to_char(g, 'FM0000000') AS type, count(*), max(now())
	FROM generate_series(:n, 1, -1) g
	GROUP BY 1
) q \gset
\ir measure_end.sql
