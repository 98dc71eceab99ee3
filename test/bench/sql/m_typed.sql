-- m_typed.sql: match_payments_typed() on the tables whose ids are of type
-- :idtype (uuid or text; see gen_typed.sql), strategy 'sequential'.
-- psql variables: tpay, tacc, idtype.
\ir measure_begin.sql
SELECT count(*) AS bench_out
FROM match_payments_typed(CAST(NULL AS :idtype), :'tpay', :'tacc') \gset
\ir measure_end.sql
