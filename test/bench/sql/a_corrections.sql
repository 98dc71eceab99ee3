-- a_corrections.sql: allocation_corrections() against the ledger of one
-- full allocate_payments() run (gen_ledger.sql), for the payments :cpay:
-- the changed copy, or the original table (nothing changed).
-- psql variables: ledger, cpay, acc.
\ir measure_begin.sql
SELECT count(*) AS bench_out
FROM allocation_corrections(:'ledger', :'cpay', :'acc') \gset
\ir measure_end.sql
