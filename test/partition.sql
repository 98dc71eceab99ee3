-- partition.sql: match_payments(partition_by => ...) on seeded random data
-- with many small accounts equals the unpartitioned match_payments() run on
-- each account's rows alone, for both strategies; plus its invariants.  In
-- batches on temporary files (accmatch.partition_work_mem = 64kB), through
-- tables, views and views the planner under-estimates, with integer, text
-- and numeric keys, matching and allocation give the rows of memory in the
-- same order.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS accmatch;
SELECT plan(34);
\ir lib/matching.sql

-- 300 accounts with 0 to 8 accruals and 0 to 8 payments each; few dates
-- and months per account, so that ties are common; some NULL dates, months
-- and keys.  Each account's months are 4 of 43, shared with its neighbours,
-- so that new month values keep turning up from one account to the next.
-- Account numbers run from -993 to 1100, so that their order as text
-- differs from their order as numbers.
SELECT setseed(0.29);
CREATE TEMP TABLE account AS
SELECT a * 7 - 1000 AS account_id, a % 40 AS first_month,
	(random() * 8)::int AS naccruals, (random() * 8)::int AS npayments
FROM generate_series(1, 300) a;

CREATE TEMP TABLE accrual (id int, date date, month int, account_id int);
CREATE TEMP TABLE payment (id int, date date, month int, account_id int);
INSERT INTO accrual
SELECT row_number() OVER (ORDER BY random()), date, month, account_id
FROM (SELECT
	CASE WHEN random() < 0.06 THEN NULL ELSE date '2024-01-01' + (random() * 6)::int END AS date,
	CASE WHEN random() < 0.08 THEN NULL ELSE first_month + (random() * 3)::int END AS month,
	CASE WHEN random() < 0.04 THEN NULL ELSE account_id END AS account_id
	FROM account, generate_series(1, naccruals) OFFSET 0) s
ORDER BY random();
INSERT INTO payment
SELECT 10000 + row_number() OVER (ORDER BY random()), date, month, account_id
FROM (SELECT
	CASE WHEN random() < 0.06 THEN NULL ELSE date '2024-01-01' + (random() * 7)::int END AS date,
	CASE WHEN random() < 0.08 THEN NULL ELSE first_month + (random() * 3)::int END AS month,
	CASE WHEN random() < 0.04 THEN NULL ELSE account_id END AS account_id
	FROM account, generate_series(1, npayments) OFFSET 0) s
ORDER BY random();

-- the same rows with the key as text
CREATE TEMP TABLE accrual_text AS
SELECT id, date, month, account_id::text AS account_id FROM accrual;
CREATE TEMP TABLE payment_text AS
SELECT id, date, month, account_id::text AS account_id FROM payment;

-- The data must hold what the checks below are about.
SELECT ok((SELECT count(*) FROM account WHERE naccruals = 0 AND npayments > 0) > 5
	  AND (SELECT count(*) FROM account WHERE npayments = 0 AND naccruals > 0) > 5,
	'the data has accounts with only payments and accounts with only accruals');
SELECT ok((SELECT count(*) FROM payment WHERE account_id IS NULL) > 5
	  AND (SELECT count(*) FROM accrual WHERE account_id IS NULL) > 5
	  AND (SELECT count(*) FROM payment WHERE date IS NULL) > 5
	  AND (SELECT count(*) FROM accrual WHERE date IS NULL) > 5
	  AND (SELECT count(*) FROM payment WHERE month IS NULL) > 5
	  AND (SELECT count(*) FROM accrual WHERE month IS NULL) > 5,
	'the data has NULL keys, dates and months on both sides');

-- The reference: for every key, the unpartitioned match_payments() on a
-- pair of tables holding only that key's rows, with the key added; the
-- payments without a key are unmatched.
CREATE TEMP TABLE one_accrual (id int, date date, month int);
CREATE TEMP TABLE one_payment (id int, date date, month int);
CREATE FUNCTION pg_temp.per_key(strategy text)
RETURNS TABLE (payment_id bigint, accrual_id bigint, matched_by text, partition_key text)
LANGUAGE plpgsql AS $$
DECLARE
	k int;
BEGIN
	FOR k IN SELECT account_id FROM payment WHERE account_id IS NOT NULL
			 UNION SELECT account_id FROM accrual WHERE account_id IS NOT NULL
	LOOP
		DELETE FROM one_accrual;
		DELETE FROM one_payment;
		INSERT INTO one_accrual SELECT a.id, a.date, a.month FROM accrual a WHERE a.account_id = k;
		INSERT INTO one_payment SELECT p.id, p.date, p.month FROM payment p WHERE p.account_id = k;
		RETURN QUERY
		SELECT m.payment_id, m.accrual_id, m.matched_by, k::text
		FROM match_payments('one_payment', 'one_accrual', strategy) m;
	END LOOP;
	RETURN QUERY
	SELECT p.id::bigint, NULL::bigint, NULL::text, NULL::text
	FROM payment p WHERE p.account_id IS NULL;
END $$;

CREATE TEMP TABLE expected AS
SELECT s AS strategy, r.* FROM unnest(ARRAY['sequential', 'month_first']) s,
	LATERAL pg_temp.per_key(s) r;
-- both strategies per account, sequential first
CREATE FUNCTION pg_temp.both_strategies(payments text, accruals text)
RETURNS TABLE (strategy text, payment_id bigint, accrual_id bigint,
			   matched_by text, partition_key text)
LANGUAGE sql AS $$
	SELECT s, m.* FROM unnest(ARRAY['sequential', 'month_first']) s,
		LATERAL match_payments(payments, accruals, s, 'account_id') m
$$;
CREATE TEMP TABLE result AS
SELECT * FROM pg_temp.both_strategies('payment', 'accrual');
CREATE TEMP TABLE result_text AS
SELECT * FROM pg_temp.both_strategies('payment_text', 'accrual_text');
-- the same in batches on temporary files (accmatch.partition_work_mem):
-- about 2,400 rows of some 32 bytes need more than 64kB
SET accmatch.partition_work_mem = '64kB';
CREATE TEMP TABLE result_batches AS
SELECT * FROM pg_temp.both_strategies('payment', 'accrual');
CREATE TEMP TABLE result_text_batches AS
SELECT * FROM pg_temp.both_strategies('payment_text', 'accrual_text');
RESET accmatch.partition_work_mem;

SELECT bag_eq(
	$$SELECT payment_id, accrual_id, matched_by, partition_key FROM result WHERE strategy = 'sequential'$$,
	$$SELECT payment_id, accrual_id, matched_by, partition_key FROM expected WHERE strategy = 'sequential'$$,
	'sequential: partitioned equals the unpartitioned match run on each key alone');
SELECT bag_eq(
	$$SELECT payment_id, accrual_id, matched_by, partition_key FROM result WHERE strategy = 'month_first'$$,
	$$SELECT payment_id, accrual_id, matched_by, partition_key FROM expected WHERE strategy = 'month_first'$$,
	'month_first: partitioned equals the unpartitioned match run on each key alone');
SELECT bag_eq(
	$$SELECT * FROM result_text$$,
	$$SELECT * FROM result$$,
	'text keys, sorted differently, give the same result as integer keys');

-- Integer keys grouped in memory are kept as they are while read, and
-- take the key numbering of other types when they span too many values
-- for the rows, or when a bigint does not fit in 32 bits: the same result
-- for keys spread wide, for bigint keys of which those of the accounts
-- with only payments (met only once the accruals are read) are past 2^32,
-- and for date keys.
CREATE TEMP TABLE accrual_wide AS
SELECT id, date, month, account_id * 1000003 AS account_id FROM accrual;
CREATE TEMP TABLE payment_wide AS
SELECT id, date, month, account_id * 1000003 AS account_id FROM payment;
CREATE TEMP TABLE accrual_big AS
SELECT id, date, month, account_id::bigint AS account_id FROM accrual;
CREATE TEMP TABLE payment_big AS
SELECT id, date, month, account_id + CASE WHEN account_id IN (
		SELECT account_id FROM account WHERE naccruals = 0) THEN 10000000000000 ELSE 0 END
	AS account_id FROM payment;
CREATE TEMP TABLE accrual_date AS
SELECT id, date, month, date '2000-01-01' + account_id AS account_id FROM accrual;
CREATE TEMP TABLE payment_date AS
SELECT id, date, month, date '2000-01-01' + account_id AS account_id FROM payment;
SELECT results_eq(
	$$SELECT m.payment_id, m.accrual_id, m.matched_by,
		(m.partition_key::bigint / 1000003)::text
	  FROM unnest(ARRAY['sequential', 'month_first']) s,
		LATERAL match_payments('payment_wide', 'accrual_wide', s, 'account_id') m$$,
	$$SELECT payment_id, accrual_id, matched_by, partition_key FROM result$$,
	'integer keys spread wide give the same rows in the same order');
SELECT bag_eq(
	$$SELECT s, m.payment_id, m.accrual_id, m.matched_by,
		(m.partition_key::bigint - CASE WHEN m.partition_key::bigint > 1000000000
			THEN 10000000000000 ELSE 0 END)::text
	  FROM unnest(ARRAY['sequential', 'month_first']) s,
		LATERAL match_payments('payment_big', 'accrual_big', s, 'account_id') m$$,
	$$SELECT * FROM result$$,
	'bigint keys past 32 bits met late give the same rows');
SELECT results_eq(
	$$SELECT m.payment_id, m.accrual_id, m.matched_by,
		(m.partition_key::date - date '2000-01-01')::text
	  FROM unnest(ARRAY['sequential', 'month_first']) s,
		LATERAL match_payments('payment_date', 'accrual_date', s, 'account_id') m$$,
	$$SELECT payment_id, accrual_id, matched_by, partition_key FROM result$$,
	'date keys give the same rows in the same order');

SELECT results_eq(
	$$SELECT * FROM result_batches$$,
	$$SELECT * FROM result$$,
	'in batches of 64kB: the same rows in the same order as grouped in memory');
SELECT results_eq(
	$$SELECT * FROM result_text_batches$$,
	$$SELECT * FROM result_text$$,
	'text keys in batches of 64kB: the same rows in the same order as grouped');

-- The properties of test/lib/matching.sql, both strategies at once, one
-- test each.
SELECT is(i.violations, 0::bigint, i.description)
FROM matching_invariants('result', 'payment', 'accrual', 'account_id') i;

-- The data must tell the cases apart, or the checks above prove little.
SELECT ok((SELECT count(*) FROM result WHERE matched_by = 'month') > 50
	  AND (SELECT count(*) FROM result WHERE matched_by = 'oldest') > 50
	  AND (SELECT count(*) FROM result WHERE accrual_id IS NULL AND partition_key IS NOT NULL) > 50,
	'the data gives month matches, oldest matches and unmatched keyed payments');
SELECT ok(EXISTS (
		SELECT payment_id, accrual_id, matched_by FROM result WHERE strategy = 'sequential'
		EXCEPT
		SELECT payment_id, accrual_id, matched_by FROM result WHERE strategy = 'month_first'),
	'the strategies give different matchings on this data');
SELECT ok(EXISTS (
		SELECT payment_id, accrual_id FROM match_payments('payment', 'accrual')
		EXCEPT
		SELECT payment_id, accrual_id FROM result WHERE strategy = 'sequential'),
	'without partition_by the matching differs on this data');

--
-- Batches.  Ten copies of the data, each with its own accounts and ids
-- (copy c: account + 10000 c, id + 100000 c), about 24,000 rows: many
-- batches of 64kB.  Accounts are matched alone, so the result is the
-- small one copied ten times; read in batches it must be the rows of
-- memory in the same order, whichever way the batches' key ranges are
-- found: from the payment column's histogram (tables after ANALYZE),
-- from samples of each batch as it turns out too large (views, which
-- have no histogram), or after grouping in memory began and overflowed
-- (views the planner expects 10 rows of).  The same with the keys as
-- text (sorted otherwise), as numeric spelled two ways (1 and 1.00: one
-- key, one spelling), and for allocation with amounts of every scale.
--
CREATE TEMP TABLE accrual_many AS
SELECT id + 100000 * c AS id, date, month,
	account_id + 10000 * c AS account_id FROM accrual, generate_series(0, 9) c;
CREATE TEMP TABLE payment_many AS
SELECT id + 100000 * c AS id, date, month,
	account_id + 10000 * c AS account_id FROM payment, generate_series(0, 9) c;
ANALYZE accrual_many, payment_many;
CREATE TEMP TABLE result_many AS
SELECT * FROM pg_temp.both_strategies('payment_many', 'accrual_many');
SELECT bag_eq(
	$$SELECT * FROM result_many$$,
	$$SELECT r.strategy, r.payment_id + 100000 * c AS p, r.accrual_id + 100000 * c AS a,
		r.matched_by, (r.partition_key::int + 10000 * c)::text AS k
	  FROM result r, generate_series(0, 9) c$$,
	'ten copies of the accounts: the rows of one copy, ten times (in memory)');

-- the rows of both strategies over the named tables in memory and in
-- batches of 64kB, as the number of rows that differ in either order
CREATE FUNCTION pg_temp.batch_differences(payments text, accruals text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	d bigint;
BEGIN
	RESET accmatch.partition_work_mem;
	CREATE TEMP TABLE in_memory AS
	SELECT row_number() OVER () AS n, * FROM pg_temp.both_strategies(payments, accruals);
	SET accmatch.partition_work_mem = '64kB';
	CREATE TEMP TABLE in_batches AS
	SELECT row_number() OVER () AS n, * FROM pg_temp.both_strategies(payments, accruals);
	RESET accmatch.partition_work_mem;
	SELECT count(*) INTO d FROM in_memory m FULL JOIN in_batches b
		ON b.n = m.n AND b.strategy = m.strategy AND b.payment_id = m.payment_id
		AND b.accrual_id IS NOT DISTINCT FROM m.accrual_id
		AND b.matched_by IS NOT DISTINCT FROM m.matched_by
		AND b.partition_key IS NOT DISTINCT FROM m.partition_key
	WHERE m.n IS NULL OR b.n IS NULL;
	IF (SELECT count(*) FROM in_memory) < 10000 THEN
		d := -1;	-- not the data of this test
	END IF;
	DROP TABLE in_memory, in_batches;
	RETURN d;
END $$;

SELECT is(pg_temp.batch_differences('payment_many', 'accrual_many'), 0::bigint,
	'tables with a histogram: in batches the same rows in the same order');
-- (the views are temporary, and PostgreSQL would say so)
SET client_min_messages = warning;
CREATE VIEW pg_temp.accrual_many_v AS SELECT * FROM accrual_many;
CREATE VIEW pg_temp.payment_many_v AS SELECT * FROM payment_many;
SELECT is(pg_temp.batch_differences('pg_temp.payment_many_v', 'pg_temp.accrual_many_v'), 0::bigint,
	'views (batches split by samples): the same rows in the same order');
-- the planner expects 10 rows of these: grouping in memory begins,
-- overflows 64kB and starts again in batches
CREATE VIEW pg_temp.accrual_many_few AS
	SELECT * FROM accrual_many WHERE id + 0 = 0 + (id + 0) LIMIT 1000000000;
CREATE VIEW pg_temp.payment_many_few AS
	SELECT * FROM payment_many WHERE id + 0 = 0 + (id + 0) LIMIT 1000000000;
SELECT is(pg_temp.batch_differences('pg_temp.payment_many_few', 'pg_temp.accrual_many_few'), 0::bigint,
	'views the planner under-estimates (restart): the same rows in the same order');
-- text keys, and a view over one table with the other a table
CREATE TEMP TABLE accrual_many_text AS
SELECT id, date, month, account_id::text AS account_id FROM accrual_many;
CREATE TEMP TABLE payment_many_text AS
SELECT id, date, month, account_id::text AS account_id FROM payment_many;
ANALYZE accrual_many_text, payment_many_text;
SELECT is(pg_temp.batch_differences('payment_many_text', 'accrual_many_text'), 0::bigint,
	'text keys: in batches the same rows in the same order');
CREATE VIEW pg_temp.payment_many_text_v AS SELECT * FROM payment_many_text;
SELECT is(pg_temp.batch_differences('pg_temp.payment_many_text_v', 'accrual_many_text'), 0::bigint,
	'text keys through a view: the same rows in the same order');
-- numeric keys spelled two ways at random (5 and 5.00), NULLs included
CREATE TEMP TABLE accrual_many_num AS
SELECT id, date, month,
	CASE WHEN random() < 0.5 THEN account_id::numeric ELSE round(account_id::numeric, 2) END AS account_id
FROM accrual_many;
CREATE TEMP TABLE payment_many_num AS
SELECT id, date, month,
	CASE WHEN random() < 0.5 THEN account_id::numeric ELSE round(account_id::numeric, 2) END AS account_id
FROM payment_many;
ANALYZE accrual_many_num, payment_many_num;
SELECT is(pg_temp.batch_differences('payment_many_num', 'accrual_many_num'), 0::bigint,
	'numeric keys spelled two ways: in batches the same rows, keys and spellings in the same order');
CREATE VIEW pg_temp.accrual_many_num_few AS
	SELECT * FROM accrual_many_num WHERE id + 0 = 0 + (id + 0) LIMIT 1000000000;
CREATE VIEW pg_temp.payment_many_num_few AS
	SELECT * FROM payment_many_num WHERE id + 0 = 0 + (id + 0) LIMIT 1000000000;
SELECT is(pg_temp.batch_differences('pg_temp.payment_many_num_few', 'pg_temp.accrual_many_num_few'), 0::bigint,
	'numeric keys through under-estimated views: the same rows in the same order');
SELECT is((SELECT count(*) FROM (
		SELECT 1 FROM match_payments('payment_many_num', 'accrual_many_num',
			partition_by => 'account_id') m
		GROUP BY m.partition_key::numeric HAVING count(DISTINCT m.partition_key) > 1) x),
	0::bigint, 'numeric keys: one spelling per key');
SELECT ok((SELECT count(*) FROM payment_many_num WHERE account_id IS NULL) > 50,
	'the copies have NULL keys');

RESET client_min_messages;

-- allocation: amounts of scales 0 to 4 at random (plain numeric: each
-- account takes its largest scale), in memory and in batches, in order
ALTER TABLE accrual_many ADD COLUMN amount numeric;
ALTER TABLE payment_many ADD COLUMN amount numeric;
UPDATE accrual_many SET amount = round((random() * 50)::numeric, (random() * 4)::int);
UPDATE payment_many SET amount = round((random() * 40)::numeric, (random() * 4)::int);
SET client_min_messages = warning;
CREATE OR REPLACE VIEW pg_temp.accrual_many_few AS
	SELECT * FROM accrual_many WHERE id + 0 = 0 + (id + 0) LIMIT 1000000000;
CREATE OR REPLACE VIEW pg_temp.payment_many_few AS
	SELECT * FROM payment_many WHERE id + 0 = 0 + (id + 0) LIMIT 1000000000;
RESET client_min_messages;
CREATE TEMP TABLE alloc_in_memory AS
SELECT s, a.* FROM unnest(ARRAY['sequential', 'month_first']) s,
	LATERAL allocate_payments('payment_many', 'accrual_many', s, 'account_id') WITH ORDINALITY a;
SET accmatch.partition_work_mem = '64kB';
CREATE TEMP TABLE alloc_batches AS
SELECT s, a.* FROM unnest(ARRAY['sequential', 'month_first']) s,
	LATERAL allocate_payments('payment_many', 'accrual_many', s, 'account_id') WITH ORDINALITY a;
CREATE TEMP TABLE alloc_batches_v AS
SELECT s, a.* FROM unnest(ARRAY['sequential', 'month_first']) s,
	LATERAL allocate_payments('pg_temp.payment_many_few', 'pg_temp.accrual_many_few', s,
		'account_id') WITH ORDINALITY a;
RESET accmatch.partition_work_mem;
SELECT is_empty($$
	SELECT * FROM alloc_in_memory m FULL JOIN alloc_batches b
		ON (b.s, b.ordinality, b.payment_id) = (m.s, m.ordinality, m.payment_id)
		AND b.accrual_id IS NOT DISTINCT FROM m.accrual_id
		AND b.amount::text = m.amount::text
		AND b.matched_by IS NOT DISTINCT FROM m.matched_by
		AND b.partition_key IS NOT DISTINCT FROM m.partition_key
	WHERE m.s IS NULL OR b.s IS NULL
	UNION ALL
	SELECT * FROM alloc_in_memory m FULL JOIN alloc_batches_v b
		ON (b.s, b.ordinality, b.payment_id) = (m.s, m.ordinality, m.payment_id)
		AND b.accrual_id IS NOT DISTINCT FROM m.accrual_id
		AND b.amount::text = m.amount::text
		AND b.matched_by IS NOT DISTINCT FROM m.matched_by
		AND b.partition_key IS NOT DISTINCT FROM m.partition_key
	WHERE m.s IS NULL OR b.s IS NULL$$,
	'allocation in batches (tables, under-estimated views): the same rows, amounts as text, in the same order');
-- each account's amounts come out at the largest scale of its own
-- amounts (accruals without a date included)
SELECT is_empty($$
	SELECT m.partition_key FROM alloc_in_memory m
	JOIN (SELECT account_id::text AS k, max(scale(amount)) AS sc
		  FROM (SELECT account_id, amount FROM accrual_many
				UNION ALL SELECT account_id, amount FROM payment_many) x
		  WHERE account_id IS NOT NULL GROUP BY 1) a ON a.k = m.partition_key
	WHERE scale(m.amount) <> a.sc$$,
	'each account''s amounts have the largest scale among its own amounts');

SELECT * FROM finish();
ROLLBACK;
