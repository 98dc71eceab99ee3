-- measure_begin.sql: note the backend's peak memory and the time, just
-- before the measured query (see measure_end.sql).
SELECT bench.hwm_kb() AS bench_hwm0 \gset
SELECT clock_timestamp() AS bench_t0 \gset
