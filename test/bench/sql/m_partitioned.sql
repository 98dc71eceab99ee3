-- m_partitioned.sql: match_payments() per account (partition_by), strategy
-- 'sequential'.  How the rows are held depends on the settings run.sh
-- gives the contender (work_mem, accmatch.partition_work_mem): see
-- "Per-account matching" in the README.
\ir measure_begin.sql
SELECT count(*) AS bench_out
FROM match_payments(:'pay', :'acc', 'sequential', partition_by => 'account_id') \gset
\ir measure_end.sql
