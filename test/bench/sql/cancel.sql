-- cancel.sql: the function named by psql variable fn (match_payments or
-- allocate_payments) must give way to statement_timeout: prints
-- "cancel|<SQLSTATE of the call, 00000 if it finished>|<seconds from the
-- call to its end>|<1 if SELECT 1 answered afterwards>".
-- psql variables: acc, pay, fn.  Run without ON_ERROR_STOP.
-- The timeout is 100 ms: match_payments() takes about 0.3 s at 1M + 1M, so
-- a longer one would often let the call finish first.
SET statement_timeout = '100ms';
SELECT clock_timestamp() AS bench_t0 \gset
SELECT count(*) AS bench_out FROM :fn(:'pay', :'acc') \gset
SELECT :'SQLSTATE' AS bench_state,
	extract(epoch FROM clock_timestamp() - :'bench_t0'::timestamptz) AS bench_secs \gset
RESET statement_timeout;
SELECT 1 AS bench_alive \gset
SELECT 'cancel', :'bench_state', :'bench_secs', :'bench_alive';
