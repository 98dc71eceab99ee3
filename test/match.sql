-- match.sql: match_payments() against a brute-force reference written here,
-- and its invariants on random data.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS accmatch;
SELECT plan(17);
\ir lib/matching.sql

CREATE TEMP TABLE accrual (id int, date date, month int);
CREATE TEMP TABLE payment (id int, date date, month int);

-- The rules read literally: one payment at a time in (date, id) order, one
-- query per choice.  month_first runs the month pass over every payment,
-- then the oldest pass over those still unmatched.
CREATE FUNCTION pg_temp.reference(strategy text)
RETURNS TABLE (payment_id bigint, accrual_id bigint, matched_by text)
LANGUAGE plpgsql AS $$
DECLARE
	p record;
	a bigint;
	passes text[] := CASE strategy WHEN 'sequential' THEN ARRAY['both']
		ELSE ARRAY['month', 'oldest'] END;
	pass text;
BEGIN
	CREATE TEMP TABLE ref_paid (id bigint) ON COMMIT DROP;
	CREATE TEMP TABLE ref_result (payment_id bigint, accrual_id bigint,
		matched_by text) ON COMMIT DROP;
	INSERT INTO ref_result SELECT id, NULL, NULL FROM payment;
	FOREACH pass IN ARRAY passes LOOP
		FOR p IN SELECT * FROM payment WHERE date IS NOT NULL ORDER BY date, id LOOP
			CONTINUE WHEN EXISTS (SELECT 1 FROM ref_result r
				WHERE r.payment_id = p.id AND r.accrual_id IS NOT NULL);
			a := NULL;
			IF pass IN ('both', 'month') THEN
				SELECT x.id INTO a FROM accrual x
				WHERE x.date < p.date AND x.month = p.month
				  AND x.id NOT IN (SELECT id FROM ref_paid)
				ORDER BY x.date, x.id LIMIT 1;
				IF a IS NOT NULL THEN
					UPDATE ref_result SET accrual_id = a, matched_by = 'month'
					WHERE ref_result.payment_id = p.id;
				END IF;
			END IF;
			IF a IS NULL AND pass IN ('both', 'oldest') THEN
				SELECT x.id INTO a FROM accrual x
				WHERE x.date < p.date
				  AND x.id NOT IN (SELECT id FROM ref_paid)
				ORDER BY x.date, x.id LIMIT 1;
				IF a IS NOT NULL THEN
					UPDATE ref_result SET accrual_id = a, matched_by = 'oldest'
					WHERE ref_result.payment_id = p.id;
				END IF;
			END IF;
			IF a IS NOT NULL THEN
				INSERT INTO ref_paid VALUES (a);
			END IF;
		END LOOP;
	END LOOP;
	RETURN QUERY SELECT * FROM ref_result;
	DROP TABLE ref_paid, ref_result;
END $$;

-- Fill the tables with a small tie-heavy random case: few dates, few
-- months, some NULL dates and months, unique ids in random order.  The
-- rows are made below OFFSET 0: next to ORDER BY random(), every random()
-- of the select list would be the sort's own value, and the columns of a
-- row would all follow the same number.
CREATE FUNCTION pg_temp.random_case(nacc int, npay int) RETURNS void
LANGUAGE sql AS $$
	TRUNCATE accrual, payment;
	INSERT INTO accrual
	SELECT * FROM (SELECT g,
		CASE WHEN random() < 0.08 THEN NULL ELSE date '2024-01-01' + (random() * 5)::int END,
		CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 3)::int END
	FROM generate_series(1, nacc) g OFFSET 0) s ORDER BY random();
	INSERT INTO payment
	SELECT * FROM (SELECT 100 + g,
		CASE WHEN random() < 0.08 THEN NULL ELSE date '2024-01-01' + (random() * 6)::int END,
		CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 3)::int END
	FROM generate_series(1, npay) g OFFSET 0) s ORDER BY random();
$$;

-- Number of random cases where match_payments() and the reference differ.
CREATE FUNCTION pg_temp.differing_cases(strategy text, ncases int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
	bad int := 0;
	d int;
BEGIN
	FOR i IN 1..ncases LOOP
		PERFORM pg_temp.random_case((random() * 8)::int, (random() * 8)::int);
		SELECT count(*) INTO d FROM (
			(SELECT payment_id, accrual_id, matched_by FROM match_payments(strategy => strategy)
			 EXCEPT ALL
			 SELECT * FROM pg_temp.reference(strategy))
			UNION ALL
			(SELECT * FROM pg_temp.reference(strategy)
			 EXCEPT ALL
			 SELECT payment_id, accrual_id, matched_by FROM match_payments(strategy => strategy))) x;
		IF d > 0 THEN
			bad := bad + 1;
		END IF;
	END LOOP;
	RETURN bad;
END $$;

SELECT setseed(0.17);
SELECT is(pg_temp.differing_cases('sequential', 300), 0,
	'sequential: equals the reference on 300 random tie-heavy cases');
SELECT is(pg_temp.differing_cases('month_first', 300), 0,
	'month_first: equals the reference on 300 random tie-heavy cases');

-- the reference itself must tell the strategies apart on such data,
-- otherwise the two checks above would prove little
CREATE FUNCTION pg_temp.strategies_differ(ncases int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
	n int := 0;
BEGIN
	FOR i IN 1..ncases LOOP
		PERFORM pg_temp.random_case(8, 8);
		IF EXISTS (SELECT * FROM pg_temp.reference('sequential')
				   EXCEPT SELECT * FROM pg_temp.reference('month_first')) THEN
			n := n + 1;
		END IF;
	END LOOP;
	RETURN n;
END $$;
SELECT cmp_ok(pg_temp.strategies_differ(100), '>', 5,
	'the strategies differ on a good share of random cases');

-- one larger case against the reference
SELECT pg_temp.random_case(300, 300);
UPDATE accrual SET date = date + (id % 40), month = month + id % 7;
UPDATE payment SET date = date + (id % 45), month = month + id % 7;
SELECT set_eq(
	$$SELECT payment_id, accrual_id, matched_by FROM match_payments()$$,
	$$SELECT * FROM pg_temp.reference('sequential')$$,
	'sequential: equals the reference on 300 + 300 rows');
SELECT set_eq(
	$$SELECT payment_id, accrual_id, matched_by FROM match_payments(strategy => 'month_first')$$,
	$$SELECT * FROM pg_temp.reference('month_first')$$,
	'month_first: equals the reference on 300 + 300 rows');

-- the same case with the months as bit(8), a type without a hash function,
-- numbered through its btree order instead of a hash table
CREATE TEMP TABLE accrual_bit AS SELECT id, date, month::bit(8) AS month FROM accrual;
CREATE TEMP TABLE payment_bit AS SELECT id, date, month::bit(8) AS month FROM payment;
SELECT set_eq(
	$$SELECT payment_id, accrual_id, matched_by FROM match_payments('payment_bit', 'accrual_bit', 'month_first')$$,
	$$SELECT * FROM pg_temp.reference('month_first')$$,
	'bit(8) months: equals the reference on 300 + 300 rows');

-- Invariants on a bigger random data set, for both strategies.
TRUNCATE accrual, payment;
INSERT INTO accrual
SELECT * FROM (SELECT g, CASE WHEN g % 97 = 0 THEN NULL ELSE date '2020-01-01' + (random() * 1500)::int END,
	CASE WHEN g % 89 = 0 THEN NULL ELSE (random() * 48)::int END
FROM generate_series(1, 20000) g OFFSET 0) s ORDER BY random();
INSERT INTO payment
SELECT * FROM (SELECT g, CASE WHEN g % 101 = 0 THEN NULL ELSE date '2020-01-01' + (random() * 1600)::int END,
	CASE WHEN g % 83 = 0 THEN NULL ELSE (random() * 50)::int END
FROM generate_series(1, 25000) g OFFSET 0) s ORDER BY random();

CREATE TEMP TABLE result AS
SELECT s AS strategy, m.* FROM unnest(ARRAY['sequential', 'month_first']) s,
	LATERAL match_payments(strategy => s) m;

-- the properties of test/lib/matching.sql, one test each
SELECT is(i.violations, 0::bigint, i.description)
FROM matching_invariants('result', 'payment', 'accrual') i;

SELECT cmp_ok((SELECT count(*) FROM result WHERE matched_by = 'oldest'), '>', 100::bigint,
	'the data exercises the oldest fallback');
SELECT ok((SELECT count(DISTINCT (payment_id, accrual_id)) FROM result) >
		  (SELECT count(*) FROM payment),
	'the strategies give different matchings on this data');

SELECT * FROM finish();
ROLLBACK;
