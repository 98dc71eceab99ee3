-- t_aggregate_query.sql: the measured query of t_desc.sql and t_asc.sql,
-- one action_summary() over n distinct types given from :first to :last.
\ir measure_begin.sql
SELECT jsonb_array_length(action_summary('t' || to_char(g, 'FM0000000'), now()))
	AS bench_out
FROM generate_series(:first, :last, :step) g \gset
\ir measure_end.sql
