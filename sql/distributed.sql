--
-- distributed: the functions for Citus, on a server without Citus (the
-- cluster itself is tested by test/citus.sh).  The *_distributed()
-- functions need Citus and say so (0A000); the *_account() functions give
-- one account's rows of the partitioned function, in its order, reading
-- only that account.
--
CREATE EXTENSION IF NOT EXISTS accmatch;
\pset null '(null)'
-- try(query) and try_sql(query) (sql/setup.sql) show how a query failed

CREATE TABLE acct_accrual (id int, date date, month int, account_id int,
	amount numeric(12,2));
CREATE TABLE acct_payment (id int, date date, month int, account_id int,
	amount numeric(12,2));
-- accounts 1 to 5 with accruals, 1 to 6 with payments (6 has payments
-- only), and a row of each without an account
INSERT INTO acct_accrual
SELECT i, date '2024-01-01' + (i * 7) % 60, 1 + i % 3, 1 + i % 5, 10 + i % 7 * 10
FROM generate_series(1, 40) AS i;
INSERT INTO acct_payment
SELECT 100 + i, date '2024-01-05' + (i * 11) % 70, 1 + i % 4, 1 + i % 6, 15 + i % 5 * 12
FROM generate_series(1, 40) AS i;
INSERT INTO acct_accrual VALUES (99, '2024-01-01', 1, NULL, 10);
INSERT INTO acct_payment VALUES (199, '2024-02-01', 1, NULL, 10);

-- Without Citus, the *_distributed() functions refuse.
SELECT state, message, detail FROM try_sql($$SELECT * FROM match_payments_distributed(
	'acct_payment', 'acct_accrual', 'sequential', 'account_id')$$);
SELECT try($$SELECT * FROM allocate_payments_distributed(
	'acct_payment', 'acct_accrual', 'sequential', 'account_id')$$);

-- One account: its rows of match_payments(partition_by => 'account_id').
SELECT * FROM match_payments_account(2, 'acct_payment', 'acct_accrual',
	partition_by => 'account_id');
SELECT * FROM allocate_payments_account(2, 'acct_payment', 'acct_accrual',
	partition_by => 'account_id');

-- Every account, the one without rows (7) and the NULL account, both
-- strategies: the same rows in the same order as the partitioned
-- functions' rows of that account.
CREATE FUNCTION ordered_rows(q text) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
	result text[];
BEGIN
	EXECUTE format('SELECT array_agg(r::text) FROM (%s) AS r', q) INTO result;
	RETURN result;
END $$;
SELECT s.strategy,
	count(*) AS accounts,
	count(*) FILTER (WHERE ordered_rows(format(
		'SELECT * FROM match_payments_account(%L::int, ''acct_payment'', ''acct_accrual'', %L, ''account_id'')',
		a, s.strategy)) IS NOT DISTINCT FROM ordered_rows(format(
		'SELECT * FROM match_payments(''acct_payment'', ''acct_accrual'', %L, ''account_id'')
		 WHERE partition_key IS NOT DISTINCT FROM %L', s.strategy, a))) AS match_equal,
	count(*) FILTER (WHERE ordered_rows(format(
		'SELECT * FROM allocate_payments_account(%L::int, ''acct_payment'', ''acct_accrual'', %L, ''account_id'')',
		a, s.strategy)) IS NOT DISTINCT FROM ordered_rows(format(
		'SELECT * FROM allocate_payments(''acct_payment'', ''acct_accrual'', %L, ''account_id'')
		 WHERE partition_key IS NOT DISTINCT FROM %L', s.strategy, a))) AS allocate_equal
FROM (VALUES ('sequential'), ('month_first')) AS s (strategy),
	(SELECT a::text FROM generate_series(1, 7) AS a UNION ALL SELECT NULL) AS k (a)
GROUP BY s.strategy ORDER BY s.strategy;

-- The account is a value, never SQL: a text account is compared as the
-- column's type, and one that is not an integer is refused by its input.
SELECT count(*) FROM match_payments_account('3'::text, 'acct_payment', 'acct_accrual',
	partition_by => 'account_id');
SELECT try($$SELECT * FROM match_payments_account('1 OR true'::text, 'acct_payment',
	'acct_accrual', partition_by => 'account_id')$$);

-- The views of the account are gone after each call, so that nothing
-- holds on to the tables; a temporary relation of the table's name makes
-- the function name its view otherwise.
SELECT count(*) FROM pg_class
WHERE relnamespace = pg_my_temp_schema() AND relkind = 'v';
CREATE TEMP TABLE acct_payment (id int);
SELECT count(*) FROM match_payments_account(2, 'public.acct_payment', 'acct_accrual',
	partition_by => 'account_id');
DROP TABLE pg_temp.acct_payment;
SELECT count(*) FROM pg_class
WHERE relnamespace = pg_my_temp_schema() AND relkind = 'v';

-- Errors of the *_account() functions: they name the tables.
SELECT try($$SELECT * FROM match_payments_account(1, 'acct_payment', 'acct_accrual')$$);
SELECT try($$SELECT * FROM allocate_payments_account(1, NULL, 'acct_accrual',
	partition_by => 'account_id')$$);
SELECT try($$SELECT * FROM match_payments_account(1, 'acct_payment', 'acct_accrual',
	partition_by => 'Account_id')$$);
SELECT try($$SELECT * FROM match_payments_account(1, 'acct_payment', 'acct_accrual',
	'bogus', 'account_id')$$);
SELECT try($$SELECT * FROM allocate_payments_account(1, 'acct_payment', 'acct_accrual',
	partition_by => 'account_id', amount_column => 'price')$$);

-- A function planted first in search_path under the name of the one these
-- call changes nothing: they call accmatch's own, through its schema.
CREATE SCHEMA planted;
CREATE FUNCTION planted.match_payments(text, text, text, text,
	OUT payment_id bigint, OUT accrual_id bigint, OUT matched_by text,
	OUT partition_key text)
RETURNS SETOF record LANGUAGE sql AS $$ SELECT 0::bigint, 0::bigint, 'planted', 'planted' $$;
SET search_path = planted, public;
SELECT count(*) AS rows, count(*) FILTER (WHERE matched_by = 'planted') AS planted
FROM match_payments_account(2, 'acct_payment', 'acct_accrual', partition_by => 'account_id');
RESET search_path;
DROP SCHEMA planted CASCADE;

-- The shard functions, too, need Citus.
SELECT try($$SELECT * FROM accmatch_shard_match('acct_payment', 'acct_accrual', 1,
	'sequential', 'account_id')$$);
SELECT try($$SELECT * FROM accmatch_shard_allocate('acct_payment', 'acct_accrual', 1,
	'sequential', 'account_id', 'amount')$$);

DROP FUNCTION ordered_rows(text);
DROP TABLE acct_accrual, acct_payment;
