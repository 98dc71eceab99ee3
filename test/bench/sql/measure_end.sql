-- measure_end.sql: print "measured|seconds|peak memory growth in kB|result|
-- shared memory newly mapped in kB|CPU ms" for the query run since
-- measure_begin.sql, which left its result in :bench_out (CPU ms: the
-- backend's, see bench.cpu_ms()).
SELECT 'measured',
	extract(epoch FROM clock_timestamp() - :'bench_t0'::timestamptz),
	bench.status_kb('VmHWM') - :bench_hwm0,
	:'bench_out',
	bench.status_kb('RssShmem') - :bench_shmem0,
	bench.cpu_ms() - :bench_cpu0;
