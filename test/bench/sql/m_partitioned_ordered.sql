-- m_partitioned_ordered.sql: match_payments() per account, always read
-- ordered by key (accmatch.group_in_memory off): both tables sorted by
-- PostgreSQL, one account in memory at a time.
SET max_parallel_workers_per_gather = 0;
SET accmatch.group_in_memory = off;
\ir measure_begin.sql
SELECT count(*) AS bench_out
FROM match_payments(:'pay', :'acc', partition_by => 'account_id') \gset
\ir measure_end.sql
