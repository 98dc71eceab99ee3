-- partition.sql: match_payments(partition_by => ...) on seeded random data
-- with many small accounts equals the unpartitioned match_payments() run on
-- each account's rows alone, for both strategies; plus its invariants.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS accmatch;
SELECT plan(22);
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
-- the same, read ordered by key instead of grouped in memory
SET accmatch.group_in_memory = off;
CREATE TEMP TABLE result_ordered AS
SELECT * FROM pg_temp.both_strategies('payment', 'accrual');
CREATE TEMP TABLE result_text_ordered AS
SELECT * FROM pg_temp.both_strategies('payment_text', 'accrual_text');
RESET accmatch.group_in_memory;

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
	$$SELECT * FROM result_ordered$$,
	$$SELECT * FROM result$$,
	'read ordered by key: the same rows in the same order as grouped in memory');
SELECT results_eq(
	$$SELECT * FROM result_text_ordered$$,
	$$SELECT * FROM result_text$$,
	'text keys read ordered by key: the same rows in the same order as grouped');

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

SELECT * FROM finish();
ROLLBACK;
