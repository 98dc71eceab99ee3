-- a_loop.sql: the PL/pgSQL allocation loop with running balances
-- (bench.loop_allocate in setup.sql), stopped after 120 s: at 100k + 100k
-- it would run for about half an hour.  A stopped run returns 'stopped'
-- instead of a row count, and its time is a lower bound of the loop's.
\ir measure_begin.sql
SET statement_timeout = '120s';
SELECT coalesce(bench.count_loop_allocate(:'pay', :'acc')::text, 'stopped') AS bench_out \gset
RESET statement_timeout;
\ir measure_end.sql
