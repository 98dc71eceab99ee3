--
-- corrections: allocation_corrections() on small hand-checked histories.
-- Each case shows the rows the function returns, in its order, appended
-- to the ledger as they come, then the ledger's sums by group next to
-- those of one full allocate_payments() run: a group (partition_key,
-- payment_id, accrual_id, matched_by) of either that does not sum the
-- same shows same = f.
--
CREATE EXTENSION IF NOT EXISTS accmatch;

\pset null '(null)'

-- try(query) (sql/setup.sql) shows the SQLSTATE and message of a failure

CREATE TABLE accrual (id int, date date, month int, amount numeric(12,2), account_id int);
CREATE TABLE payment (id int, date date, month int, amount numeric(12,2), account_id int);
CREATE TABLE ledger (payment_id bigint, accrual_id bigint, amount numeric(12,2),
	matched_by text, partition_key text);

-- Append the corrections of the ledger to it, as the README's nightly
-- statement does, and return them in the function's order.
CREATE FUNCTION pg_temp.correct(strategy text DEFAULT 'sequential',
	partition_by text DEFAULT NULL)
RETURNS TABLE (payment_id bigint, accrual_id bigint, amount numeric,
	matched_by text, partition_key text)
LANGUAGE sql AS $$
	WITH c AS MATERIALIZED (
		SELECT * FROM allocation_corrections('ledger', 'payment', 'accrual',
			strategy, partition_by) WITH ORDINALITY),
	appended AS (
		INSERT INTO ledger (payment_id, accrual_id, amount, matched_by, partition_key)
		SELECT c.payment_id, c.accrual_id, c.amount, c.matched_by, c.partition_key
		FROM c ORDER BY c.ordinality)
	SELECT c.payment_id, c.accrual_id, c.amount, c.matched_by, c.partition_key
	FROM c ORDER BY c.ordinality
$$;

-- The ledger's sum of every group it has, next to the full run's sum of
-- that group, and the run's groups the ledger lacks.
CREATE FUNCTION pg_temp.sums(strategy text DEFAULT 'sequential',
	partition_by text DEFAULT NULL)
RETURNS TABLE (partition_key text, payment_id bigint, accrual_id bigint,
	matched_by text, ledger numeric, run numeric, same bool)
LANGUAGE sql AS $$
	SELECT x.partition_key, x.payment_id, x.accrual_id, x.matched_by,
		sum(x.amount) FILTER (WHERE x.side = 'ledger'),
		sum(x.amount) FILTER (WHERE x.side = 'run'),
		coalesce(sum(x.amount) FILTER (WHERE x.side = 'ledger'), 0)
			= coalesce(sum(x.amount) FILTER (WHERE x.side = 'run'), 0)
	FROM (
		SELECT 'ledger' AS side, l.partition_key, l.payment_id, l.accrual_id,
			l.matched_by, l.amount
		FROM ledger l
		UNION ALL
		SELECT 'run', r.partition_key, r.payment_id, r.accrual_id, r.matched_by, r.amount
		FROM allocate_payments('payment', 'accrual', strategy, partition_by) r
	) x
	GROUP BY 1, 2, 3, 4
	ORDER BY x.partition_key COLLATE "C" NULLS LAST, x.payment_id,
		x.accrual_id NULLS LAST, x.matched_by COLLATE "C" NULLS LAST
$$;

--
-- Sequential, without partition_by.  Debts 1 (month 1), 2 (month 2) and 3
-- (due after every payment); payment 7 (month 2) pays 2 and half of 1,
-- 8 (month 1) the rest of 1 and keeps 30.
--
INSERT INTO accrual VALUES (1, '2024-01-10', 1, 100), (2, '2024-02-10', 2, 100),
	(3, '2024-03-10', 3, 60);
INSERT INTO payment VALUES (7, '2024-03-01', 2, 150), (8, '2024-03-05', 1, 80);

-- an empty ledger gets the full run's rows, in its order
SELECT * FROM pg_temp.correct();
SELECT * FROM allocate_payments();
SELECT * FROM pg_temp.sums();

-- nothing changed: no row, and none again
SELECT * FROM pg_temp.correct();
SELECT count(*) FROM allocation_corrections('ledger');

-- a back-dated accrual: 4 (month 2, dated before 7) arrives.  7 pays it
-- by month after 2, so only 10 of 1 as the oldest (-40); 8 then pays 80
-- of 1 (+30) and keeps nothing: its credit row is reversed first
INSERT INTO accrual VALUES (4, '2024-02-20', 2, 40);
SELECT * FROM pg_temp.correct();
SELECT * FROM pg_temp.sums();

-- a payment dated before the last run: 6 (month 2, 50, of 2024-02-25)
-- is booked late.  It comes first and pays 50 of 2 by month; 7 pays
-- the other 50 of 2 (-50) and 4, then 60 of 1 as the oldest (+50); 8
-- finds 40 of 1 left (-40) and keeps 40 (+40, its credit group summed
-- to 0 so far)
INSERT INTO payment VALUES (6, '2024-02-25', 2, 50);
SELECT * FROM pg_temp.correct();
SELECT * FROM pg_temp.sums();

-- a deleted payment: 6 goes.  7 and 8 get back what they had; the
-- reversal of 6, which the run no longer has, comes last
DELETE FROM payment WHERE id = 6;
SELECT * FROM pg_temp.correct();
SELECT * FROM pg_temp.sums();

-- a deleted accrual: 4 goes.  7's row of 4 is reversed first, then 7
-- pays 50 of 1 again (+40); 8 pays 50 of 1 (-30) and keeps 30 (+30)
DELETE FROM accrual WHERE id = 4;
SELECT * FROM pg_temp.correct();
SELECT * FROM pg_temp.sums();

-- a changed amount, payment side: 7 is 120, not 150.  It pays 20 of 1
-- (-30); 8 pays 80 of 1 (+30) and has no credit left: its credit group
-- (30) is reversed first
UPDATE payment SET amount = 120 WHERE id = 7;
SELECT * FROM pg_temp.correct();
SELECT * FROM pg_temp.sums();

-- a changed amount, accrual side: 1 is 90, not 100.  8 pays 70 of it
-- (-10) and keeps 10 (+10: the credit group is there, summed to 0)
UPDATE accrual SET amount = 90 WHERE id = 1;
SELECT * FROM pg_temp.correct();
SELECT * FROM pg_temp.sums();
SELECT count(*) FROM allocation_corrections('ledger');

--
-- month_first, on the same ledger.  Month pass: 7 pays 2 (100), 8 pays
-- 80 of 1; oldest pass: 7 pays the last 10 of 1 and keeps 10.  So 7's
-- oldest row of 1 is 10 (-10) and it gets a credit row (+10); 8's credit
-- row is reversed first, then it pays 80 of 1 (+10).
--
SELECT * FROM pg_temp.correct('month_first');
SELECT * FROM pg_temp.sums('month_first');
SELECT count(*) FROM allocation_corrections('ledger', strategy => 'month_first');

-- a pair whose matched_by changes: 1 was booked in the wrong month, it is
-- month 2.  Month pass: 7 (month 2) pays 90 of 1 and 30 of 2 by month;
-- oldest pass: 8 (month 1) pays the other 70 of 2 and keeps 10.  7's
-- oldest row of 1 gets one reversing row and its month row one new row;
-- 7's credit and 8's month row of 1 are reversed, each payment's
-- reversals (by accrual, NULL last) before its run rows
UPDATE accrual SET month = 2 WHERE id = 1;
SELECT * FROM pg_temp.correct('month_first');
SELECT * FROM pg_temp.sums('month_first');
SELECT count(*) FROM allocation_corrections('ledger', strategy => 'month_first');

-- and back to sequential: 7 pays 1 (90) and 30 of 2 by month, 8 pays the
-- rest of 2 as the oldest and keeps 10: the same rows, nothing to correct
SELECT * FROM pg_temp.correct();
SELECT * FROM pg_temp.sums();

--
-- partition_by.  Accounts 1, 2 and 10 have one debt each; 10 and 11 pay
-- in accounts 1 and 2, 12 has no account and keeps all of it.
--
TRUNCATE accrual, payment, ledger;
INSERT INTO accrual VALUES (1, '2024-01-10', 1, 100, 1), (2, '2024-01-20', 1, 100, 2),
	(3, '2024-01-15', 1, 50, 10);
INSERT INTO payment VALUES (10, '2024-02-01', 1, 150, 1), (11, '2024-02-02', 1, 60, 2),
	(12, '2024-02-03', 1, 30, NULL);
SELECT * FROM pg_temp.correct(partition_by => 'account_id');
SELECT * FROM pg_temp.sums(partition_by => 'account_id');

-- payments moving to another account: 11 goes to account 10 and pays 50
-- of 3, keeping 10; 12 gets account 2 and pays 30 of 2.  Their rows
-- under the old keys are reversed after the run's payments, by key (NULL
-- last)
UPDATE payment SET account_id = 10 WHERE id = 11;
UPDATE payment SET account_id = 2 WHERE id = 12;
SELECT * FROM pg_temp.correct(partition_by => 'account_id');
SELECT * FROM pg_temp.sums(partition_by => 'account_id');

-- both move to account 1, where 10 took everything: they keep all as
-- credit; the reversals of keys '10' and '2' come in the keys' text
-- order, payment, then accrual (NULL last)
UPDATE payment SET account_id = 1 WHERE id IN (11, 12);
SELECT * FROM pg_temp.correct(partition_by => 'account_id');
SELECT * FROM pg_temp.sums(partition_by => 'account_id');
SELECT count(*) FROM allocation_corrections('ledger', partition_by => 'account_id');

--
-- Ledger rows naming payments and accruals that no longer exist, or with
-- a matched_by the run never gives, are reversed, not an error: 10's
-- groups of accrual 1 as 'zz' and 'adjust' and of the unknown accrual 77
-- as 'month' and 'oldest' (each payment's reversals by accrual, then
-- matched_by, whatever order they were booked in), then the
-- groups of the unknown payment 99, of an unknown key and of payment 10
-- without a key, after the run's payments
--
INSERT INTO ledger VALUES
	(99, NULL, 5, NULL, '1'),
	(10, 77, 1, 'oldest', '1'),
	(10, 77, 3, 'month', '1'),
	(10, 1, 2, 'zz', '1'),
	(10, 1, 4, 'adjust', '1'),
	(10, NULL, 1, NULL, 'no such key'),
	(10, 1, 6, 'month', NULL);
SELECT * FROM pg_temp.correct(partition_by => 'account_id');
SELECT * FROM pg_temp.sums(partition_by => 'account_id');
SELECT count(*) FROM allocation_corrections('ledger', partition_by => 'account_id');

-- the same ledger corrected without partition_by: every group moves to
-- the NULL key, the reversals of key '1' last
SELECT * FROM pg_temp.correct();
SELECT count(*) FROM allocation_corrections('ledger');

--
-- A ledger with columns of its own: a serial entry number and a booking
-- time filled by defaults (not shown), the five columns in another order
-- and of other types (integer ids, numeric(14,4) amounts, varchar texts),
-- a name that needs quoting in a schema of its own.  The corrections come
-- at the ledger's scale, 4.
--
CREATE SCHEMA "Books";
CREATE TABLE "Books"."Allocation Ledger" (
	entry bigserial PRIMARY KEY,
	booked timestamptz NOT NULL DEFAULT now(),
	partition_key varchar(20),
	matched_by varchar(10),
	amount numeric(14,4) NOT NULL,
	accrual_id integer,
	payment_id integer NOT NULL);
INSERT INTO "Books"."Allocation Ledger" (payment_id, accrual_id, amount, matched_by, partition_key)
SELECT * FROM allocation_corrections('"Books"."Allocation Ledger"',
	partition_by => 'account_id');
UPDATE accrual SET amount = 80 WHERE id = 1;
INSERT INTO "Books"."Allocation Ledger" (payment_id, accrual_id, amount, matched_by, partition_key)
SELECT * FROM allocation_corrections('"Books"."Allocation Ledger"',
	partition_by => 'account_id');
SELECT entry, payment_id, accrual_id, amount, matched_by, partition_key
FROM "Books"."Allocation Ledger" ORDER BY entry;
SELECT count(*) AS rows, count(*) FILTER (WHERE booked IS NOT NULL) AS booked
FROM "Books"."Allocation Ledger";
SELECT count(*) FROM allocation_corrections('"Books"."Allocation Ledger"',
	partition_by => 'account_id');

-- a partitioned ledger, one partition a year
CREATE TABLE "Books".by_year (payment_id bigint, accrual_id bigint, amount numeric,
	matched_by text, partition_key text, booked date NOT NULL DEFAULT '2024-06-01')
	PARTITION BY RANGE (booked);
CREATE TABLE "Books".by_year_2023 PARTITION OF "Books".by_year
	FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE "Books".by_year_2024 PARTITION OF "Books".by_year
	FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO "Books".by_year VALUES (10, 1, 100, 'month', '1', '2023-12-31');
INSERT INTO "Books".by_year (payment_id, accrual_id, amount, matched_by, partition_key)
SELECT * FROM allocation_corrections('"Books".by_year', partition_by => 'account_id');
SELECT tableoid::regclass, payment_id, accrual_id, amount, matched_by, partition_key
FROM "Books".by_year ORDER BY booked, payment_id, accrual_id;
SELECT count(*) FROM allocation_corrections('"Books".by_year', partition_by => 'account_id');

-- in a REPEATABLE READ transaction the rows it appended itself count
BEGIN ISOLATION LEVEL REPEATABLE READ;
UPDATE accrual SET amount = 100 WHERE id = 1;
INSERT INTO ledger SELECT * FROM allocation_corrections('ledger', partition_by => 'account_id');
SELECT count(*) FROM allocation_corrections('ledger', partition_by => 'account_id');
COMMIT;

-- an empty ledger gets exactly the full run's rows, the row of 0 of a
-- payment of 0 (13) included; a second call has nothing to add
TRUNCATE ledger;
INSERT INTO payment VALUES (13, '2024-02-04', 1, 0, 1);
SELECT * FROM pg_temp.correct(partition_by => 'account_id');
SELECT * FROM allocate_payments(partition_by => 'account_id');
SELECT count(*) FROM allocation_corrections('ledger', partition_by => 'account_id');
-- 13 goes: its group summed to 0, nothing to reverse
DELETE FROM payment WHERE id = 13;
SELECT * FROM pg_temp.correct(partition_by => 'account_id');

--
-- uuid ids: allocation_corrections_typed() and a ledger of uuid ids
--
CREATE TABLE uaccrual (id uuid, date date, month int, amount numeric(12,2));
CREATE TABLE upayment (id uuid, date date, month int, amount numeric(12,2));
CREATE TABLE uledger (payment_id uuid, accrual_id uuid, amount numeric(12,2),
	matched_by text, partition_key text);
INSERT INTO uaccrual VALUES
	('a0000000-0000-0000-0000-000000000001', '2024-01-10', 1, 100),
	('a0000000-0000-0000-0000-000000000002', '2024-02-10', 2, 100);
INSERT INTO upayment VALUES
	('f0000000-0000-0000-0000-000000000007', '2024-03-01', 2, 150),
	('f0000000-0000-0000-0000-000000000008', '2024-03-05', 1, 80),
	('e0000000-0000-0000-0000-000000000009', '2024-03-05', 1, 10);
INSERT INTO uledger
SELECT * FROM allocation_corrections_typed(NULL::uuid, 'uledger', 'upayment', 'uaccrual');
SELECT * FROM uledger;
-- accrual ...2 goes; a row of a payment that never existed, of a smaller
-- uuid, is reversed after the run's payments
DELETE FROM uaccrual WHERE id = 'a0000000-0000-0000-0000-000000000002';
INSERT INTO uledger VALUES ('00000000-0000-0000-0000-000000000000', NULL, 1, NULL, NULL);
SELECT * FROM allocation_corrections_typed(NULL::uuid, 'uledger', 'upayment', 'uaccrual');
INSERT INTO uledger
SELECT * FROM allocation_corrections_typed(NULL::uuid, 'uledger', 'upayment', 'uaccrual');
SELECT x.payment_id, x.accrual_id, x.matched_by,
	sum(x.amount) FILTER (WHERE x.side = 'ledger') AS ledger,
	sum(x.amount) FILTER (WHERE x.side = 'run') AS run
FROM (
	SELECT 'ledger' AS side, payment_id, accrual_id, matched_by, amount FROM uledger
	UNION ALL
	SELECT 'run', payment_id, accrual_id, matched_by, amount
	FROM allocate_payments_typed(NULL::uuid, 'upayment', 'uaccrual')
) x
GROUP BY 1, 2, 3 ORDER BY 1, 2 NULLS LAST, 3;
SELECT count(*) FROM allocation_corrections_typed(NULL::uuid, 'uledger', 'upayment', 'uaccrual');

--
-- Errors, each with its SQLSTATE
--
-- the ledger: NULL, missing, not a table (42809)
SELECT try($$SELECT * FROM allocation_corrections(NULL)$$);
SELECT try($$SELECT * FROM allocation_corrections('no_such_ledger')$$);
CREATE VIEW ledger_view AS SELECT * FROM ledger;
SELECT try($$SELECT * FROM allocation_corrections('ledger_view')$$);
CREATE MATERIALIZED VIEW ledger_matview AS SELECT * FROM ledger;
SELECT try($$SELECT * FROM allocation_corrections('ledger_matview')$$);
CREATE SEQUENCE ledger_seq;
SELECT try($$SELECT * FROM allocation_corrections('ledger_seq')$$);

-- a column missing (42703)
CREATE TABLE no_kind (payment_id bigint, accrual_id bigint, amount numeric, partition_key text);
SELECT try($$SELECT * FROM allocation_corrections('no_kind')$$);
CREATE TABLE no_key (payment_id bigint, accrual_id bigint, amount numeric, matched_by text);
SELECT try($$SELECT * FROM allocation_corrections('no_key')$$);
CREATE TABLE no_payment (pay bigint, accrual_id bigint, amount numeric, matched_by text,
	partition_key text);
SELECT try($$SELECT * FROM allocation_corrections('no_payment')$$);
-- amount is the ledger's column whatever amount_column says
CREATE TABLE no_amount (payment_id bigint, accrual_id bigint, "Amount" numeric,
	matched_by text, partition_key text);
SELECT try($$SELECT * FROM allocation_corrections('no_amount')$$);

-- a column of a wrong type (42804): ids not of an integer type, or not of
-- the ids' type for allocation_corrections_typed(); amounts not of an
-- amount type; texts not text or varchar
CREATE TABLE text_ids (payment_id text, accrual_id bigint, amount numeric, matched_by text,
	partition_key text);
SELECT try($$SELECT * FROM allocation_corrections('text_ids')$$);
CREATE TABLE numeric_ids (payment_id bigint, accrual_id numeric, amount numeric,
	matched_by text, partition_key text);
SELECT try($$SELECT * FROM allocation_corrections('numeric_ids')$$);
SELECT try($$SELECT * FROM allocation_corrections_typed(NULL::uuid, 'ledger', 'upayment', 'uaccrual')$$);
SELECT try($$SELECT * FROM allocation_corrections_typed(NULL::int, 'ledger')$$);
CREATE TABLE float_amount (payment_id bigint, accrual_id bigint, amount float8,
	matched_by text, partition_key text);
SELECT try($$SELECT * FROM allocation_corrections('float_amount')$$);
CREATE TABLE int_key (payment_id bigint, accrual_id bigint, amount numeric,
	matched_by text, partition_key int);
SELECT try($$SELECT * FROM allocation_corrections('int_key')$$);
CREATE TABLE char_kind (payment_id bigint, accrual_id bigint, amount numeric,
	matched_by char(6), partition_key text);
SELECT try($$SELECT * FROM allocation_corrections('char_kind')$$);
-- domains count as their base types
CREATE DOMAIN ledger_amount AS numeric(12,2);
CREATE TABLE domain_ledger (payment_id bigint, accrual_id bigint, amount ledger_amount,
	matched_by text, partition_key text);
SELECT count(*) FROM allocation_corrections('domain_ledger', partition_by => 'account_id');

-- a NULL payment_id or amount in the ledger (22004); a NULL accrual_id,
-- matched_by or partition_key is a group like any other
CREATE TABLE null_ledger (payment_id bigint, accrual_id bigint, amount numeric,
	matched_by text, partition_key text);
INSERT INTO null_ledger VALUES (NULL, 1, 5, 'month', '1');
SELECT try($$SELECT * FROM allocation_corrections('null_ledger')$$);
TRUNCATE null_ledger;
INSERT INTO null_ledger VALUES (10, 1, NULL, 'month', '1');
SELECT try($$SELECT * FROM allocation_corrections('null_ledger')$$);
-- ledger amounts that cannot be held exactly (22003)
TRUNCATE null_ledger;
INSERT INTO null_ledger VALUES (10, 1, 1e20, 'month', '1');
SELECT try($$SELECT * FROM allocation_corrections('null_ledger')$$);
TRUNCATE null_ledger;
INSERT INTO null_ledger VALUES (10, 1, 0.0000000000000000001, 'month', '1');
SELECT try($$SELECT * FROM allocation_corrections('null_ledger')$$);
-- and amounts that are no numbers (22023)
TRUNCATE null_ledger;
INSERT INTO null_ledger VALUES (10, 1, 'NaN', 'month', '1');
SELECT try($$SELECT * FROM allocation_corrections('null_ledger')$$);
TRUNCATE null_ledger;
INSERT INTO null_ledger VALUES (10, 1, '-Infinity', 'month', '1');
SELECT try($$SELECT * FROM allocation_corrections('null_ledger')$$);
-- a correction the ledger's amount column would round (42804): integers,
-- or numeric(p, s) of fewer decimal places than the amounts allocated;
-- one of whole units fits
INSERT INTO accrual VALUES (901, '2024-01-01', 1, 7.25, 99);
INSERT INTO payment VALUES (901, '2024-02-01', 1, 7.25, 99),
	(902, '2024-03-01', 1, 3, 98);
CREATE TABLE coarse_ledger (payment_id bigint, accrual_id bigint, amount numeric(12,1),
	matched_by text, partition_key text);
SELECT try($$SELECT * FROM allocation_corrections('coarse_ledger', partition_by => 'account_id')$$);
CREATE TABLE int_ledger (payment_id bigint, accrual_id bigint, amount bigint,
	matched_by text, partition_key text);
SELECT try($$SELECT * FROM allocation_corrections('int_ledger', partition_by => 'account_id')$$);
DELETE FROM payment WHERE id = 901;
SELECT * FROM allocation_corrections('int_ledger', partition_by => 'account_id')
WHERE partition_key::int > 90;
DELETE FROM accrual WHERE id = 901;
DELETE FROM payment WHERE id = 902;
-- sums of a group beyond 64 bits (22003)
TRUNCATE null_ledger;
INSERT INTO null_ledger VALUES (10, 1, 9223372036854775807, 'month', '1'),
	(10, 1, 1, 'month', '1');
SELECT try($$SELECT * FROM allocation_corrections('null_ledger')$$);

-- the other arguments, as for allocate_payments()
SELECT try($$SELECT * FROM allocation_corrections('ledger', 'no_such_payment')$$);
SELECT try($$SELECT * FROM allocation_corrections('ledger', strategy => 'greedy')$$);
SELECT try($$SELECT * FROM allocation_corrections('ledger', strategy => NULL)$$);
SELECT try($$SELECT * FROM allocation_corrections('ledger', partition_by => 'no_column')$$);
SELECT try($$SELECT * FROM allocation_corrections('ledger', amount_column => NULL)$$);
SELECT try($$SELECT * FROM allocation_corrections('ledger', amount_column => 'total')$$);
SELECT try($$SELECT * FROM allocation_corrections_typed(NULL::uuid, 'uledger')$$);

-- privileges (42501): INSERT on the ledger is needed, and SELECT to read it
CREATE ROLE regress_corrections_clerk;
GRANT SELECT ON accrual, payment TO regress_corrections_clerk;
GRANT SELECT ON ledger TO regress_corrections_clerk;
SET ROLE regress_corrections_clerk;
SELECT try($$SELECT * FROM allocation_corrections('ledger')$$);
RESET ROLE;
REVOKE SELECT ON ledger FROM regress_corrections_clerk;
GRANT INSERT ON ledger TO regress_corrections_clerk;
SET ROLE regress_corrections_clerk;
SELECT try($$SELECT * FROM allocation_corrections('ledger')$$);
RESET ROLE;
GRANT SELECT ON ledger TO regress_corrections_clerk;
SET ROLE regress_corrections_clerk;
SELECT try($$SELECT * FROM allocation_corrections('ledger')$$);
RESET ROLE;
REVOKE ALL ON accrual, payment, ledger FROM regress_corrections_clerk;
DROP ROLE regress_corrections_clerk;

DROP VIEW ledger_view;
DROP MATERIALIZED VIEW ledger_matview;
DROP TABLE accrual, payment, ledger, uaccrual, upayment, uledger, no_kind, no_key,
	no_payment, no_amount, text_ids, numeric_ids, float_amount, int_key, char_kind,
	domain_ledger, null_ledger, coarse_ledger, int_ledger, "Books"."Allocation Ledger",
	"Books".by_year;
DROP SEQUENCE ledger_seq;
DROP DOMAIN ledger_amount;
DROP SCHEMA "Books";
