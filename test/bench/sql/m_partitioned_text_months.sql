-- m_partitioned_text_months.sql: match_payments() per account with
-- work_mem 16MB, on views of the same rows whose month is a text unique to
-- the row (its id).  Months are numbered per account, so the peak should
-- stay near that of m_partitioned_16mb.sql: numbering them across accounts
-- would hold every accrual's month at once.
SET max_parallel_workers_per_gather = 0;
SET work_mem = '16MB';
CREATE TEMP VIEW text_month_acc AS
SELECT id, date, 'a' || id AS month, account_id FROM :acc;
CREATE TEMP VIEW text_month_pay AS
SELECT id, date, 'a' || id AS month, account_id FROM :pay;
\ir measure_begin.sql
SELECT count(*) AS bench_out
FROM match_payments('text_month_pay', 'text_month_acc',
	partition_by => 'account_id') \gset
\ir measure_end.sql
