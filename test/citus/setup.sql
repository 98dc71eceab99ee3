-- setup.sql: the data of test/citus.sh, run on the coordinator once
-- accmatch is installed.  psql variables: seed, naccounts, nbig.
--
-- Seeded accruals, payments and actions of naccounts accounts, twice: as
-- plain tables of this node (*_local, the single-node reference) and as
-- Citus tables distributed by account_id, co-located, with the same rows.
-- An account has 0 to 8 accruals, 0 to 8 payments and 0 to 12 actions;
-- about 3% of dates, 5% of months and 2% of action types and times are
-- NULL; ids are unique and unrelated to dates; amounts are numeric(12,2).
-- Citus refuses NULL in a distribution column, so every row has an account.
--
-- payment_big and accrual_big (distributed only): nbig rows each over
-- nbig / 10 accounts, for a call long enough to be cancelled.
--
-- rows_differ(a, b): the rows of two queries of the same columns, each
-- sorted by all of its columns, compared row for row as text.

SET client_min_messages = warning;
SELECT setseed(:seed) \g /dev/null

CREATE TABLE accrual_local (id bigint, date date, month int,
	account_id int NOT NULL, amount numeric(12,2), PRIMARY KEY (account_id, id));
CREATE TABLE payment_local (id bigint, date date, month int,
	account_id int NOT NULL, amount numeric(12,2), PRIMARY KEY (account_id, id));
CREATE TABLE actions_local (account_id int NOT NULL, region text, type text,
	created_at timestamptz);

CREATE TEMP TABLE account AS
SELECT a AS account_id, (random() * 8)::int AS naccruals,
	(random() * 8)::int AS npayments, (random() * 12)::int AS nactions
FROM generate_series(1, :naccounts) a;

INSERT INTO accrual_local
SELECT row_number() OVER (ORDER BY random()),
	CASE WHEN random() < 0.03 THEN NULL ELSE date '2024-01-01' + (random() * 90)::int END,
	CASE WHEN random() < 0.05 THEN NULL ELSE 1 + (random() * 2)::int END,
	account_id, round((1 + random() * 499)::numeric, 2)
FROM account, generate_series(1, naccruals);
INSERT INTO payment_local
SELECT 10000000 + row_number() OVER (ORDER BY random()),
	CASE WHEN random() < 0.03 THEN NULL ELSE date '2024-01-01' + (random() * 100)::int END,
	CASE WHEN random() < 0.05 THEN NULL ELSE 1 + (random() * 2)::int END,
	account_id, round((random() * 700)::numeric, 2)
FROM account, generate_series(1, npayments);
INSERT INTO actions_local
SELECT account_id,
	(ARRAY['north', 'south', 'east', 'west'])[1 + (random() * 3)::int],
	CASE WHEN random() < 0.02 THEN NULL
		ELSE (ARRAY['create', 'read', 'update', 'delete', 'login', 'export'])[1 + (random() * 5)::int] END,
	CASE WHEN random() < 0.02 THEN NULL
		ELSE timestamptz '2024-01-01 00:00:00+00' + random() * interval '90 days' END
FROM account, generate_series(1, nactions);

-- the same rows, distributed by account
CREATE TABLE accrual (LIKE accrual_local INCLUDING ALL);
CREATE TABLE payment (LIKE payment_local INCLUDING ALL);
CREATE TABLE actions (LIKE actions_local INCLUDING ALL);
SELECT create_distributed_table('payment', 'account_id') \g /dev/null
SELECT create_distributed_table('accrual', 'account_id', colocate_with => 'payment') \g /dev/null
SELECT create_distributed_table('actions', 'account_id', colocate_with => 'payment') \g /dev/null
INSERT INTO accrual SELECT * FROM accrual_local;
INSERT INTO payment SELECT * FROM payment_local;
INSERT INTO actions SELECT * FROM actions_local;

-- a larger pair, for cancellation
CREATE TABLE accrual_big (LIKE accrual_local INCLUDING ALL);
CREATE TABLE payment_big (LIKE payment_local INCLUDING ALL);
SELECT create_distributed_table('payment_big', 'account_id', colocate_with => 'payment') \g /dev/null
SELECT create_distributed_table('accrual_big', 'account_id', colocate_with => 'payment') \g /dev/null
INSERT INTO accrual_big
SELECT i, date '2024-01-01' + (random() * 365)::int, 1 + (random() * 11)::int,
	1 + (random() * (:nbig / 10))::int, round((1 + random() * 499)::numeric, 2)
FROM generate_series(1, :nbig) i;
INSERT INTO payment_big
SELECT i, date '2024-01-01' + (random() * 400)::int, 1 + (random() * 11)::int,
	1 + (random() * (:nbig / 10))::int, round((random() * 700)::numeric, 2)
FROM generate_series(1, :nbig) i;

ANALYZE;

CREATE FUNCTION rows_differ(a text, b text,
	OUT rows_a bigint, OUT rows_b bigint, OUT differing bigint)
LANGUAGE plpgsql AS $$
BEGIN
	-- each result first as it comes, then sorted
	EXECUTE format('CREATE TEMP TABLE result_a AS %s', a);
	EXECUTE format('CREATE TEMP TABLE result_b AS %s', b);
	CREATE TEMP TABLE rows_a AS
	SELECT row_number() OVER (ORDER BY x) AS n, x::text AS x FROM result_a x;
	CREATE TEMP TABLE rows_b AS
	SELECT row_number() OVER (ORDER BY x) AS n, x::text AS x FROM result_b x;
	SELECT (SELECT count(*) FROM rows_a), (SELECT count(*) FROM rows_b),
		count(*) FILTER (WHERE ra.x IS DISTINCT FROM rb.x)
	INTO rows_a, rows_b, differing
	FROM rows_a ra FULL JOIN rows_b rb USING (n);
	DROP TABLE result_a, result_b, rows_a, rows_b;
END $$;
