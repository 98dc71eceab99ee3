-- measure_begin.sql: note the backend's peak memory and the time, just
-- before the measured query (see measure_end.sql).
--
-- The peak (VmHWM) counts every page the process has touched, shared
-- memory included.  A query that reads a table touches the buffers that
-- hold its pages, and which ones are cached in shared_buffers depends on
-- the runs before it: up to a third of the bare read's growth at 1M rows
-- was such pages, not memory of the query.  So the backend first reads a
-- table twice the size of shared_buffers into them (bench.filler), which
-- touches every buffer: the peak's growth during the query is then the
-- query's own memory.  measure_end.sql reports what shared memory the
-- query still mapped (RssShmem growth), to show that this held.
SELECT pg_prewarm('bench.filler') AS bench_prewarmed \gset
SELECT bench.status_kb('VmHWM') AS bench_hwm0, bench.status_kb('RssShmem') AS bench_shmem0 \gset
SELECT bench.cpu_ms() AS bench_cpu0 \gset
SELECT clock_timestamp() AS bench_t0 \gset
