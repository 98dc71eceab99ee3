-- a_corrections.sql: allocation_corrections() against the ledger of one
-- full allocate_payments() run (gen_ledger.sql), for the payments :cpay:
-- the changed copy, or the original table (nothing changed); per
-- account when :part is 'account_id', against that run's ledger.
-- psql variables: ledger, cpay, acc, part ('' for the whole table).
\ir measure_begin.sql
SELECT count(*) AS bench_out
FROM allocation_corrections(:'ledger', :'cpay', :'acc',
	partition_by => nullif(:'part', '')) \gset
\ir measure_end.sql
