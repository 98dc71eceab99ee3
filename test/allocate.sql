-- allocate.sql: allocate_payments() against a brute-force allocator
-- written here, row for row and in order, on random tie-heavy cases; its
-- invariants on a larger random set; its equivalence with match_payments()
-- when every amount is 1; and nightly allocation in batches through a
-- ledger, against one full run.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS accmatch;
SELECT plan(32);

CREATE TEMP TABLE accrual (id int, date date, month int, amount numeric, account_id int);
CREATE TEMP TABLE payment (id int, date date, month int, amount numeric, account_id int);

CREATE TEMP TABLE case_rows (ord bigint, payment_id bigint, accrual_id bigint,
	amount numeric, matched_by text, partition_key text);

\ir lib/allocation.sql

-- allocate_payments() on the two tables, its rows numbered in its order
CREATE FUNCTION pg_temp.allocated(strategy text, partitioned bool)
RETURNS TABLE (ord bigint, payment_id bigint, accrual_id bigint, amount numeric,
			   matched_by text, partition_key text)
LANGUAGE sql AS $$
	SELECT f.ord, f.payment_id, f.accrual_id, f.amount, f.matched_by, f.partition_key
	FROM allocate_payments('payment', 'accrual', strategy,
		CASE WHEN partitioned THEN 'account_id' END)
		WITH ORDINALITY AS f(payment_id, accrual_id, amount, matched_by, partition_key, ord)
$$;

-- Fill the tables with a small tie-heavy random case: few dates, months
-- and accounts, some NULL dates, months and accounts, amounts 0 to 4 or,
-- with decimals, 0.00 to 3.00 (some 0), unique ids in random order.  The
-- rows are made below OFFSET 0: a random() in the select list next to
-- ORDER BY random() would be computed once for both, making every column
-- of a row follow the same number.
CREATE FUNCTION pg_temp.random_case(nacc int, npay int, decimals bool) RETURNS void
LANGUAGE sql AS $$
	TRUNCATE accrual, payment;
	INSERT INTO accrual
	SELECT * FROM (
		SELECT g,
			CASE WHEN random() < 0.08 THEN NULL ELSE date '2024-01-01' + (random() * 5)::int END,
			CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 3)::int END,
			CASE WHEN decimals THEN round((random() * 3)::numeric, 2) * (random() < 0.9)::int
				ELSE (random() * 4)::int END,
			CASE WHEN random() < 0.05 THEN NULL ELSE (random() * 2)::int END
		FROM generate_series(1, nacc) g OFFSET 0) s
	ORDER BY random();
	INSERT INTO payment
	SELECT * FROM (
		SELECT 100 + g,
			CASE WHEN random() < 0.08 THEN NULL ELSE date '2024-01-01' + (random() * 6)::int END,
			CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 3)::int END,
			CASE WHEN decimals THEN round((random() * 3)::numeric, 2) * (random() < 0.9)::int
				ELSE (random() * 4)::int END,
			CASE WHEN random() < 0.05 THEN NULL ELSE (random() * 2)::int END
		FROM generate_series(1, npay) g OFFSET 0) s
	ORDER BY random();
$$;

-- Number of random cases where allocate_payments() and the reference
-- differ in any row or in the order of rows.
CREATE FUNCTION pg_temp.differing_cases(strategy text, partitioned bool, ncases int)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	bad int := 0;
BEGIN
	FOR i IN 1..ncases LOOP
		PERFORM pg_temp.random_case((random() * 8)::int, (random() * 8)::int, i % 2 = 0);
		IF EXISTS (
			SELECT 1 FROM pg_temp.allocated(strategy, partitioned) f
			FULL JOIN pg_temp.allocation_reference(strategy, partitioned) r
			  ON f.ord = r.ord AND f.payment_id = r.payment_id
			 AND f.accrual_id IS NOT DISTINCT FROM r.accrual_id
			 AND f.amount = r.amount
			 AND f.matched_by IS NOT DISTINCT FROM r.matched_by
			 AND f.partition_key IS NOT DISTINCT FROM r.partition_key
			WHERE f.ord IS NULL OR r.ord IS NULL) THEN
			bad := bad + 1;
		END IF;
	END LOOP;
	RETURN bad;
END $$;

SELECT setseed(0.41);
SELECT is(pg_temp.differing_cases('sequential', false, 150), 0,
	'sequential: equals the reference on 150 random tie-heavy cases');
SELECT is(pg_temp.differing_cases('month_first', false, 150), 0,
	'month_first: equals the reference on 150 random tie-heavy cases');
SELECT is(pg_temp.differing_cases('sequential', true, 150), 0,
	'sequential, partition_by: equals the reference on 150 random cases');
SELECT is(pg_temp.differing_cases('month_first', true, 150), 0,
	'month_first, partition_by: equals the reference on 150 random cases');
-- Plain numeric amounts have no scale fixed by the type: above, each
-- account took the largest scale of its own amounts; numeric(12,2)
-- amounts share the columns' scale (see sql/allocate_rules.sql).
ALTER TABLE accrual ALTER COLUMN amount TYPE numeric(12,2);
ALTER TABLE payment ALTER COLUMN amount TYPE numeric(12,2);
SELECT is(pg_temp.differing_cases('sequential', true, 100), 0,
	'sequential, partition_by, numeric(12,2): equals the reference on 100 random cases');
SELECT is(pg_temp.differing_cases('month_first', true, 100), 0,
	'month_first, partition_by, numeric(12,2): equals the reference on 100 random cases');
ALTER TABLE accrual ALTER COLUMN amount TYPE numeric;
ALTER TABLE payment ALTER COLUMN amount TYPE numeric;

-- the reference must tell the strategies apart and split amounts on such
-- data, otherwise the checks above would prove little
CREATE FUNCTION pg_temp.case_stats(ncases int, OUT strategies_differ int,
	OUT split_payments int, OUT shared_accruals int)
LANGUAGE plpgsql AS $$
BEGIN
	strategies_differ := 0;
	split_payments := 0;
	shared_accruals := 0;
	FOR i IN 1..ncases LOOP
		PERFORM pg_temp.random_case(8, 8, i % 2 = 0);
		IF EXISTS (SELECT payment_id, accrual_id, amount FROM pg_temp.allocation_reference('sequential', false)
				   EXCEPT SELECT payment_id, accrual_id, amount FROM pg_temp.allocation_reference('month_first', false)) THEN
			strategies_differ := strategies_differ + 1;
		END IF;
		TRUNCATE case_rows;
		INSERT INTO case_rows SELECT * FROM pg_temp.allocation_reference('sequential', false);
		IF EXISTS (SELECT 1 FROM case_rows WHERE accrual_id IS NOT NULL
				   GROUP BY payment_id HAVING count(*) > 1) THEN
			split_payments := split_payments + 1;
		END IF;
		IF EXISTS (SELECT 1 FROM case_rows WHERE accrual_id IS NOT NULL
				   GROUP BY accrual_id HAVING count(*) > 1) THEN
			shared_accruals := shared_accruals + 1;
		END IF;
	END LOOP;
END $$;
SELECT ok(s.strategies_differ > 5 AND s.split_payments > 20 AND s.shared_accruals > 20,
	format('random cases split payments (%s), share accruals (%s) and tell the strategies apart (%s)',
		   s.split_payments, s.shared_accruals, s.strategies_differ))
FROM pg_temp.case_stats(60) s;

-- one larger case against the reference, amounts in cents
SELECT pg_temp.random_case(250, 250, true);
UPDATE accrual SET date = date + (id % 40), month = month + id % 7, amount = amount * 40;
UPDATE payment SET date = date + (id % 45), month = month + id % 7, amount = amount * 30;
SELECT is_empty($$
	SELECT * FROM pg_temp.allocated('sequential', false)
	EXCEPT ALL SELECT * FROM pg_temp.allocation_reference('sequential', false)$$,
	'sequential: equals the reference on 250 + 250 rows');
SELECT is_empty($$
	SELECT * FROM pg_temp.allocated('month_first', true)
	EXCEPT ALL SELECT * FROM pg_temp.allocation_reference('month_first', true)$$,
	'month_first, partition_by: equals the reference on 250 + 250 rows');

-- the same case with bigint amounts (in cents) and integer ones, and
-- with numeric(12,2): the same figures
CREATE TEMP TABLE accrual_big AS
SELECT id, date, month, (amount * 100)::bigint AS amount, account_id FROM accrual;
CREATE TEMP TABLE payment_int AS
SELECT id, date, month, (amount * 100)::int AS amount, account_id FROM payment;
CREATE TEMP TABLE accrual_cents AS
SELECT id, date, month, amount::numeric(12,2) AS amount, account_id FROM accrual;
SELECT is_empty($$
	SELECT ord, payment_id, accrual_id, amount * 100, matched_by
	FROM pg_temp.allocated('sequential', false)
	EXCEPT ALL
	SELECT ord, payment_id, accrual_id, amount, matched_by
	FROM allocate_payments('payment_int', 'accrual_big') WITH ORDINALITY
		AS f(payment_id, accrual_id, amount, matched_by, partition_key, ord)$$,
	'bigint and integer amounts give the same allocation as numeric ones');
SELECT is(
	(SELECT array_agg(DISTINCT scale(amount)) FROM allocate_payments('payment', 'accrual_cents')),
	ARRAY[2],
	'numeric(12,2) amounts come out with scale 2');

-- Amounts go through exactly: payments that find no accrual come back
-- whole, equal, with the same text and the same hash, for random values
-- of every scale from 0 to 18 and up to 18 digits (zeros at either end
-- included).
CREATE TEMP TABLE exact_pay (id int, date date, month int, amount numeric);
CREATE TEMP TABLE exact_acc (id int, date date, month int, amount numeric);
CREATE FUNCTION pg_temp.inexact(scale int) RETURNS bigint LANGUAGE sql AS $$
	TRUNCATE exact_pay;
	INSERT INTO exact_pay
	SELECT g, date '2024-01-01', 1,
		round(trunc(random()::numeric * 10::numeric ^ k)
			  * 10::numeric ^ trunc(random()::numeric * (19 - k)) / 10::numeric ^ scale, scale)
	FROM (SELECT g, trunc(random() * 19)::int AS k
		  FROM generate_series(1, 300) g) d;
	SELECT count(*) FROM exact_pay p JOIN allocate_payments('exact_pay', 'exact_acc') r
		ON r.payment_id = p.id
	WHERE r.amount IS DISTINCT FROM p.amount OR r.amount::text <> p.amount::text
	   OR hash_numeric(r.amount) <> hash_numeric(p.amount)
	   OR r.accrual_id IS NOT NULL;
$$;
SELECT is((SELECT sum(pg_temp.inexact(s)) FROM generate_series(0, 18) s), 0::numeric,
	'amounts of every scale come back exactly, as text and as hash');

-- Invariants on a bigger random data set, for both strategies.
TRUNCATE accrual, payment;
INSERT INTO accrual
SELECT * FROM (
	SELECT g, CASE WHEN g % 97 = 0 THEN NULL ELSE date '2020-01-01' + (random() * 1500)::int END,
		CASE WHEN g % 89 = 0 THEN NULL ELSE (random() * 48)::int END,
		CASE WHEN g % 53 = 0 THEN 0 ELSE round((random() * 500)::numeric, 2) END,
		(random() * 300)::int
	FROM generate_series(1, 20000) g OFFSET 0) s
ORDER BY random();
INSERT INTO payment
SELECT * FROM (
	SELECT g, CASE WHEN g % 101 = 0 THEN NULL ELSE date '2020-01-01' + (random() * 1600)::int END,
		CASE WHEN g % 83 = 0 THEN NULL ELSE (random() * 50)::int END,
		CASE WHEN g % 59 = 0 THEN 0 ELSE round((random() * 400)::numeric, 2) END,
		(random() * 300)::int
	FROM generate_series(1, 25000) g OFFSET 0) s
ORDER BY random();

CREATE TEMP TABLE result AS
SELECT s AS strategy, m.* FROM unnest(ARRAY['sequential', 'month_first']) s,
	LATERAL allocate_payments(strategy => s) WITH ORDINALITY m;
CREATE INDEX ON result (accrual_id);
CREATE INDEX ON result (payment_id);
ANALYZE result;

SELECT is_empty($$
	SELECT s, p.id FROM payment p, unnest(ARRAY['sequential', 'month_first']) s
	WHERE p.amount IS DISTINCT FROM (
		SELECT sum(r.amount) FROM result r WHERE r.strategy = s AND r.payment_id = p.id)$$,
	'every payment appears, and its rows add up to its amount');
SELECT is_empty($$
	SELECT r.strategy, r.accrual_id FROM result r JOIN accrual a ON a.id = r.accrual_id
	GROUP BY r.strategy, r.accrual_id, a.amount HAVING sum(r.amount) > a.amount$$,
	'no accrual is allocated beyond its amount');
SELECT is_empty($$
	SELECT r.* FROM result r WHERE r.amount <= 0 AND r.accrual_id IS NOT NULL
	UNION ALL
	SELECT r.* FROM result r WHERE r.accrual_id IS NULL AND r.amount = 0
	  AND EXISTS (SELECT 1 FROM result q WHERE q.strategy = r.strategy
				  AND q.payment_id = r.payment_id AND q.accrual_id IS NOT NULL)
	UNION ALL
	SELECT r.* FROM result r WHERE r.accrual_id IS NULL
	GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING count(*) > 1$$,
	'allocations are positive; a payment has at most one unallocated row, of 0 only when it allocated nothing');
SELECT is_empty($$
	SELECT r.* FROM result r
	JOIN payment p ON p.id = r.payment_id JOIN accrual a ON a.id = r.accrual_id
	WHERE NOT (a.date < p.date)$$,
	'every allocation is to an accrual dated strictly before its payment');
SELECT is_empty($$
	SELECT r.* FROM result r
	JOIN payment p ON p.id = r.payment_id JOIN accrual a ON a.id = r.accrual_id
	WHERE r.matched_by = 'month' AND a.month IS DISTINCT FROM p.month
	   OR r.matched_by = 'oldest' AND a.month IS NOT DISTINCT FROM p.month AND p.month IS NOT NULL
	   OR r.matched_by IS NULL
	UNION ALL
	SELECT r.* FROM result r WHERE r.accrual_id IS NULL AND r.matched_by IS NOT NULL$$,
	'month rows share the month, oldest rows do not, unallocated rows have no matched_by');
SELECT is_empty($$
	SELECT r.* FROM result r JOIN accrual a ON a.id = r.accrual_id
	WHERE a.date IS NULL OR a.amount = 0
	UNION ALL
	SELECT r.* FROM result r JOIN payment p ON p.id = r.payment_id
	WHERE p.date IS NULL AND r.accrual_id IS NOT NULL$$,
	'accruals without a date or of amount 0 are never allocated to; payments without a date allocate nothing');
-- nothing is left on the table: a payment with money left has no earlier
-- accrual with a balance left, i.e. it is not dated after the oldest
-- accrual with a balance left
SELECT is_empty($$
	WITH open AS (
		SELECT s.strategy, min(a.date) AS first_open
		FROM accrual a CROSS JOIN (VALUES ('sequential'), ('month_first')) s(strategy)
		WHERE a.amount > coalesce((SELECT sum(q.amount) FROM result q
								   WHERE q.strategy = s.strategy AND q.accrual_id = a.id), 0)
		GROUP BY s.strategy)
	SELECT r.strategy, r.payment_id FROM result r JOIN payment p ON p.id = r.payment_id
	JOIN open o ON o.strategy = r.strategy
	WHERE r.accrual_id IS NULL AND r.amount > 0 AND p.date > o.first_open$$,
	'a payment with credit leaves no earlier accrual with a balance');
-- output order: payments in (date, id) order, NULL dates last, each
-- payment's rows together (so a payment never comes back), nothing after
-- a payment's unallocated row
SELECT is_empty($$
	WITH o AS (
		SELECT r.strategy, r.ordinality, r.payment_id, p.date, p.id,
			lag(r.accrual_id) OVER w AS prev_accrual,
			lag(r.payment_id) OVER w AS prev_payment,
			lag(p.date) OVER w AS prev_date, lag(p.id) OVER w AS prev_id
		FROM result r JOIN payment p ON p.id = r.payment_id
		WINDOW w AS (PARTITION BY r.strategy ORDER BY r.ordinality))
	SELECT * FROM o
	WHERE payment_id = prev_payment AND prev_accrual IS NULL
	   OR payment_id <> prev_payment AND (
			prev_date IS NULL AND (date IS NOT NULL OR id < prev_id)
			OR date IS NOT NULL AND (date, id) < (prev_date, prev_id))$$,
	'rows come in payment order, a payment''s unallocated row last');
SELECT ok(n_oldest > 1000 AND n_month > 1000 AND n_credit > 300
		  AND n_split > 300 AND n_shared > 300,
	format('the data exercises month (%s) and oldest (%s) allocations, credit (%s), payments over 3+ accruals (%s), accruals paid by 3+ payments (%s)',
		   n_month, n_oldest, n_credit, n_split, n_shared))
FROM (SELECT
		(SELECT count(*) FROM result WHERE matched_by = 'oldest') AS n_oldest,
		(SELECT count(*) FROM result WHERE matched_by = 'month') AS n_month,
		(SELECT count(*) FROM result WHERE accrual_id IS NULL AND amount > 0) AS n_credit,
		(SELECT count(*) FROM (SELECT 1 FROM result WHERE accrual_id IS NOT NULL
			GROUP BY strategy, payment_id HAVING count(*) > 2) x) AS n_split,
		(SELECT count(*) FROM (SELECT 1 FROM result WHERE accrual_id IS NOT NULL
			GROUP BY strategy, accrual_id HAVING count(*) > 2) x) AS n_shared) c;
SELECT ok(EXISTS (SELECT payment_id, accrual_id, amount FROM result WHERE strategy = 'sequential'
				  EXCEPT SELECT payment_id, accrual_id, amount FROM result WHERE strategy = 'month_first'),
	'the strategies give different allocations on this data');

-- The same data with every amount 1: the allocations are exactly
-- match_payments()'s matches, in the same order, unmatched payments being
-- those with an unallocated 1; with partition_by too.
UPDATE accrual SET amount = 1;
UPDATE payment SET amount = 1;
CREATE FUNCTION pg_temp.unit_differences(strategy text, partition_by text) RETURNS bigint
LANGUAGE sql AS $$
	SELECT count(*) FROM (
		SELECT * FROM match_payments(strategy => strategy, partition_by => partition_by)
			WITH ORDINALITY m(payment_id, accrual_id, matched_by, partition_key, ord)
	) m FULL JOIN (
		SELECT * FROM allocate_payments(strategy => strategy, partition_by => partition_by)
			WITH ORDINALITY a(payment_id, accrual_id, amount, matched_by, partition_key, ord)
	) a ON a.ord = m.ord AND a.payment_id = m.payment_id
		AND a.accrual_id IS NOT DISTINCT FROM m.accrual_id
		AND a.matched_by IS NOT DISTINCT FROM m.matched_by
		AND a.partition_key IS NOT DISTINCT FROM m.partition_key
		AND a.amount = 1
	WHERE a.ord IS NULL OR m.ord IS NULL
$$;
SELECT is(pg_temp.unit_differences('sequential', NULL), 0::bigint,
	'amounts of 1: sequential allocations are match_payments() matches, row for row');
SELECT is(pg_temp.unit_differences('month_first', NULL), 0::bigint,
	'amounts of 1: month_first allocations are match_payments() matches, row for row');
SELECT is(pg_temp.unit_differences('sequential', 'account_id')
		  + pg_temp.unit_differences('month_first', 'account_id'), 0::bigint,
	'amounts of 1: partitioned allocations are match_payments() matches, row for row');

-- Nightly runs.  The allocations made so far are kept in a ledger; each
-- night allocate_payments() is given a view of the payments not yet in
-- the ledger up to that night, and one of the accruals with what they
-- still owe as their amount.  Run night after night, in date order, this
-- equals one full sequential run over all payments.
TRUNCATE accrual, payment;
INSERT INTO accrual
SELECT * FROM (
	SELECT g, date '2024-01-01' + (random() * 90)::int, (random() * 6)::int,
		round((random() * 200)::numeric, 2), (random() * 40)::int
	FROM generate_series(1, 3000) g OFFSET 0) s
ORDER BY random();
INSERT INTO payment
SELECT * FROM (
	SELECT g, CASE WHEN g % 211 = 0 THEN NULL ELSE date '2024-01-01' + (random() * 100)::int END,
		(random() * 11)::int, round((random() * 150)::numeric, 2), (random() * 40)::int
	FROM generate_series(1, 3000) g OFFSET 0) s
ORDER BY random();

CREATE TEMP TABLE ledger (seq serial, payment_id bigint, accrual_id bigint,
	amount numeric, matched_by text, partition_key text);
CREATE TEMP TABLE night (until date, last bool);
-- the views of the README's recipe (with the night instead of
-- current_date, the account, and payments without a date on the last night)
CREATE TEMP VIEW open_accrual AS
	SELECT a.id, a.date, a.month, a.account_id, a.amount - coalesce(l.paid, 0) AS amount
	FROM accrual a
	LEFT JOIN (SELECT accrual_id, sum(amount) AS paid
			   FROM ledger GROUP BY accrual_id) l ON l.accrual_id = a.id
	WHERE a.amount > coalesce(l.paid, 0);
CREATE TEMP VIEW new_payment AS
	SELECT p.* FROM payment p, night n
	WHERE (p.date <= n.until OR n.last AND p.date IS NULL)
	  AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.payment_id = p.id);

-- run every night from the first to the last payment date, in steps of
-- the given number of days; payments without a date go with the last
CREATE FUNCTION pg_temp.nightly(strategy text, partition_by text, step int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	d date;
	last_date date := (SELECT max(date) FROM payment);
BEGIN
	TRUNCATE ledger;
	FOR d IN SELECT generate_series(min(date), last_date, step * interval '1 day')::date
			 FROM payment
	LOOP
		DELETE FROM night;
		INSERT INTO night VALUES (d, d + step > last_date);
		IF d + step > last_date THEN
			UPDATE night SET until = last_date;
		END IF;
		INSERT INTO ledger (payment_id, accrual_id, amount, matched_by, partition_key)
		SELECT * FROM allocate_payments('new_payment', 'open_accrual', strategy, partition_by);
	END LOOP;
END $$;

-- differences between the ledger and one full run, in order
CREATE FUNCTION pg_temp.ledger_differences(strategy text, partition_by text) RETURNS bigint
LANGUAGE sql AS $$
	SELECT count(*) FROM (
		SELECT row_number() OVER (ORDER BY seq) AS ord, * FROM ledger
	) l FULL JOIN (
		SELECT * FROM allocate_payments(strategy => strategy, partition_by => partition_by)
			WITH ORDINALITY f(payment_id, accrual_id, amount, matched_by, partition_key, ord)
	) f ON f.payment_id = l.payment_id
		AND f.accrual_id IS NOT DISTINCT FROM l.accrual_id AND f.amount = l.amount
		AND f.matched_by IS NOT DISTINCT FROM l.matched_by
		AND f.partition_key IS NOT DISTINCT FROM l.partition_key
		AND (partition_by IS NOT NULL OR f.ord = l.ord)
	WHERE f.ord IS NULL OR l.ord IS NULL
$$;

SELECT pg_temp.nightly('sequential', NULL, 1);
SELECT is(pg_temp.ledger_differences('sequential', NULL), 0::bigint,
	'sequential, one night a day: the ledger equals one full run, in order');
SELECT ok(n > 50, format('accruals paid across nights: %s', n))
FROM (SELECT count(*) AS n FROM (
	SELECT l.accrual_id FROM ledger l JOIN payment p ON p.id = l.payment_id
	WHERE l.accrual_id IS NOT NULL
	GROUP BY l.accrual_id HAVING count(DISTINCT p.date) > 1) x) c;
SELECT pg_temp.nightly('sequential', NULL, 7);
SELECT is(pg_temp.ledger_differences('sequential', NULL), 0::bigint,
	'sequential, one night a week: the ledger equals one full run, in order');
SELECT pg_temp.nightly('sequential', 'account_id', 3);
SELECT is(pg_temp.ledger_differences('sequential', 'account_id'), 0::bigint,
	'sequential per account, every third day: the ledger holds the rows of one full run');

-- Where it does not hold.  month_first: a later night's payment of an
-- accrual's month no longer gets it first, an earlier night took it.
SELECT pg_temp.nightly('month_first', NULL, 7);
SELECT cmp_ok(pg_temp.ledger_differences('month_first', NULL), '>', 0::bigint,
	'month_first: nightly runs differ from one full run');

-- Rights: reading the amount column takes the SELECT privilege on it.
CREATE SCHEMA alloc_sec;
CREATE TABLE alloc_sec.accrual (id int, date date, month int, amount numeric);
CREATE TABLE alloc_sec.payment (id int, date date, month int, amount numeric);
INSERT INTO alloc_sec.accrual VALUES (1, '2024-01-01', 1, 5);
INSERT INTO alloc_sec.payment VALUES (2, '2024-02-01', 1, 7);
CREATE ROLE alloc_clerk;
GRANT USAGE ON SCHEMA alloc_sec TO alloc_clerk;
GRANT SELECT (id, date, month) ON alloc_sec.accrual, alloc_sec.payment TO alloc_clerk;
-- the SQLSTATE of q run as role r ('00000' when it succeeds)
CREATE FUNCTION pg_temp.sqlstate_as(r text, q text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('SET LOCAL ROLE %I', r);
	EXECUTE q;
	RESET ROLE;
	RETURN '00000';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END $$;
SELECT is(pg_temp.sqlstate_as('alloc_clerk',
	$$SELECT * FROM allocate_payments('alloc_sec.payment', 'alloc_sec.accrual')$$),
	'42501', 'no SELECT on the amount column: 42501');
GRANT SELECT (amount) ON alloc_sec.accrual, alloc_sec.payment TO alloc_clerk;
SELECT is(pg_temp.sqlstate_as('alloc_clerk',
	$$SELECT * FROM allocate_payments('alloc_sec.payment', 'alloc_sec.accrual')$$),
	'00000', 'with SELECT on the amount column the call works');

SELECT * FROM finish();
ROLLBACK;
