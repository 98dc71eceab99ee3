-- m_floor.sql: the floor of payment matching: read both tables and sort
-- each by (date, id), as any matcher must.  run.sh runs it in one backend
-- (max_parallel_workers_per_gather = 0); its sorts obey work_mem.
\ir measure_begin.sql
SELECT
	(SELECT count(*) FROM (SELECT id, date, month FROM :acc ORDER BY date, id OFFSET 0) s) +
	(SELECT count(*) FROM (SELECT id, date, month FROM :pay ORDER BY date, id OFFSET 0) s)
	AS bench_out \gset
\ir measure_end.sql
