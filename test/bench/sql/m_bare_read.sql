-- m_bare_read.sql: the lower limit of payment matching: read both tables
-- with every column the matcher reads deformed, and nothing more (no sort,
-- no result rows).  The result is the row count, like the other contenders'.
-- run.sh runs it in one backend (max_parallel_workers_per_gather = 0), as
-- match_payments() reads.
\ir measure_begin.sql
SELECT
	(SELECT CASE WHEN sum(id) + count(date) + count(month) >= 0 THEN count(*) END FROM :acc) +
	(SELECT CASE WHEN sum(id) + count(date) + count(month) >= 0 THEN count(*) END FROM :pay)
	AS bench_out \gset
\ir measure_end.sql
