-- ids.sql: match_payments_typed() and allocate_payments_typed() on uuid
-- and text ids drawn at random, so that their order has nothing to do
-- with the order rows are stored in.  Two independent checks on every
-- random case:
--
--   - ranks: the result, its ids replaced by their rank in the id type's
--     order (for text under the id column's collation, as SQL's ORDER BY
--     ranks them), equals, row for row and in order, the untyped function
--     run over the same tables with the ids replaced by those ranks;
--   - reference: the result equals a brute-force matcher and allocator
--     written here (the rules read literally, ORDER BY date, id on the
--     typed tables).
--
-- For uuid ids, text ids under "C" and text ids under ICU's English (the
-- same texts, which the two collations order differently), both
-- strategies, with and without partition_by; and a larger case in
-- batches (accmatch.partition_work_mem) against the same case in memory.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS accmatch;
SELECT plan(24);
\ir lib/matching.sql
\ir lib/allocation.sql

-- A random case in integer terms: n numbers the rows, the other columns
-- are what matching reads.
CREATE TEMP TABLE base_acc (n int, date date, month int, amount numeric, account_id int);
CREATE TEMP TABLE base_pay (n int, date date, month int, amount numeric, account_id int);
-- The same rows with ids of each kind (n kept beside, r the id's rank).
CREATE TEMP TABLE acc_uuid (id uuid, date date, month int, amount numeric, account_id int, n int, r int);
CREATE TEMP TABLE pay_uuid (id uuid, date date, month int, amount numeric, account_id int, n int, r int);
CREATE TEMP TABLE acc_c (id text COLLATE "C", date date, month int, amount numeric, account_id int, n int, r int);
CREATE TEMP TABLE pay_c (id text COLLATE "C", date date, month int, amount numeric, account_id int, n int, r int);
CREATE TEMP TABLE acc_icu (id text COLLATE "en-x-icu", date date, month int, amount numeric, account_id int, n int, r int);
CREATE TEMP TABLE pay_icu (id text COLLATE "en-x-icu", date date, month int, amount numeric, account_id int, n int, r int);
-- the ranks alone, as integer ids, for the untyped functions
CREATE TEMP TABLE acc_rank (id int, date date, month int, amount numeric, account_id int);
CREATE TEMP TABLE pay_rank (id int, date date, month int, amount numeric, account_id int);
-- the references' working tables (created once: a transaction holds a
-- lock for every table it ever creates)
CREATE TEMP TABLE ref_paid (n int);
CREATE TEMP TABLE ref_result (payment_n int, accrual_n int, matched_by text);

-- A random id of a kind: a uuid from the seeded random(), or a text of 16
-- to 20 bytes whose prefix varies in case ('PAY-', 'pay-', 'Pay-'), so
-- that "C" (upper case first) and ICU (case last) order them differently.
CREATE FUNCTION pg_temp.random_text_id() RETURNS text LANGUAGE sql VOLATILE AS $$
	SELECT (ARRAY['PAY-', 'pay-', 'Pay-', 'PAY-X', 'pay-x'])[1 + floor(random() * 5)::int]
		|| lpad((random() * 1e15)::bigint::text, 12 + floor(random() * 4)::int, '0')
$$;
CREATE FUNCTION pg_temp.random_uuid() RETURNS uuid LANGUAGE sql VOLATILE AS $$
	SELECT md5(random()::text)::uuid
$$;

-- Fill the base tables with a small tie-heavy case (few dates, months and
-- accounts, NULLs of each, amounts 0 to 4 or 0.00 to 3.00), then the
-- tables of every kind with fresh random ids, then the ranks.
CREATE FUNCTION pg_temp.random_case(nacc int, npay int, decimals bool) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	TRUNCATE base_acc, base_pay, acc_uuid, pay_uuid, acc_c, pay_c, acc_icu, pay_icu;
	INSERT INTO base_acc
	SELECT g,
		CASE WHEN random() < 0.08 THEN NULL ELSE date '2024-01-01' + (random() * 5)::int END,
		CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 3)::int END,
		CASE WHEN decimals THEN round((random() * 3)::numeric, 2) * (random() < 0.9)::int
			ELSE (random() * 4)::int END,
		CASE WHEN random() < 0.05 THEN NULL ELSE (random() * 2)::int END
	FROM generate_series(1, nacc) g;
	INSERT INTO base_pay
	SELECT g,
		CASE WHEN random() < 0.08 THEN NULL ELSE date '2024-01-01' + (random() * 6)::int END,
		CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 3)::int END,
		CASE WHEN decimals THEN round((random() * 3)::numeric, 2) * (random() < 0.9)::int
			ELSE (random() * 4)::int END,
		CASE WHEN random() < 0.05 THEN NULL ELSE (random() * 2)::int END
	FROM generate_series(1, npay) g;
	PERFORM pg_temp.attach_ids();
END $$;

-- Give the base rows random ids of every kind (stored in random order)
-- and rank them.
CREATE FUNCTION pg_temp.attach_ids() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO acc_uuid SELECT * FROM (SELECT pg_temp.random_uuid(), b.date, b.month, b.amount, b.account_id, b.n, 0 FROM base_acc b OFFSET 0) s ORDER BY random();
	INSERT INTO pay_uuid SELECT * FROM (SELECT pg_temp.random_uuid(), b.date, b.month, b.amount, b.account_id, b.n, 0 FROM base_pay b OFFSET 0) s ORDER BY random();
	INSERT INTO acc_c SELECT * FROM (SELECT pg_temp.random_text_id(), b.date, b.month, b.amount, b.account_id, b.n, 0 FROM base_acc b OFFSET 0) s ORDER BY random();
	INSERT INTO pay_c SELECT * FROM (SELECT pg_temp.random_text_id(), b.date, b.month, b.amount, b.account_id, b.n, 0 FROM base_pay b OFFSET 0) s ORDER BY random();
	INSERT INTO acc_icu SELECT * FROM acc_c ORDER BY random();
	INSERT INTO pay_icu SELECT * FROM pay_c ORDER BY random();
	UPDATE acc_uuid t SET r = k.r FROM (SELECT n, rank() OVER (ORDER BY id) AS r FROM acc_uuid) k WHERE k.n = t.n;
	UPDATE pay_uuid t SET r = k.r FROM (SELECT n, rank() OVER (ORDER BY id) AS r FROM pay_uuid) k WHERE k.n = t.n;
	UPDATE acc_c t SET r = k.r FROM (SELECT n, rank() OVER (ORDER BY id) AS r FROM acc_c) k WHERE k.n = t.n;
	UPDATE pay_c t SET r = k.r FROM (SELECT n, rank() OVER (ORDER BY id) AS r FROM pay_c) k WHERE k.n = t.n;
	UPDATE acc_icu t SET r = k.r FROM (SELECT n, rank() OVER (ORDER BY id) AS r FROM acc_icu) k WHERE k.n = t.n;
	UPDATE pay_icu t SET r = k.r FROM (SELECT n, rank() OVER (ORDER BY id) AS r FROM pay_icu) k WHERE k.n = t.n;
END $$;

-- The id type of a kind.
CREATE FUNCTION pg_temp.id_type(kind text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE kind WHEN 'uuid' THEN 'uuid' ELSE 'text' END
$$;

-- The typed function's rows on kind's tables, numbered in its order, the
-- ids given as the base numbers n of their rows.  alloc: allocation
-- (amount), else matching (amount NULL).
CREATE FUNCTION pg_temp.typed_rows(kind text, alloc bool, strategy text, partition_by text)
RETURNS TABLE (ord bigint, payment_n int, accrual_n int, amount numeric,
			   matched_by text, partition_key text)
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format($q$
		SELECT f.ord, p.n, a.n, %1$s, f.matched_by, f.partition_key
		FROM %2$s_payments_typed(NULL::%3$s, %4$L, %5$L, %6$L, %7$L)
			WITH ORDINALITY AS f(payment_id, accrual_id, %8$s matched_by, partition_key, ord)
		LEFT JOIN pay_%9$s p ON p.id::text = f.payment_id::text COLLATE "C"
		LEFT JOIN acc_%9$s a ON a.id::text = f.accrual_id::text COLLATE "C"
		ORDER BY f.ord$q$,
		CASE WHEN alloc THEN 'f.amount' ELSE 'NULL::numeric' END,
		CASE WHEN alloc THEN 'allocate' ELSE 'match' END,
		pg_temp.id_type(kind), 'pay_' || kind, 'acc_' || kind, strategy, partition_by,
		CASE WHEN alloc THEN 'amount,' ELSE '' END,
		kind);
END $$;

-- The untyped function's rows over the ranks of kind's ids, numbered in
-- its order, the ids given as base numbers.
CREATE FUNCTION pg_temp.ranked_rows(kind text, alloc bool, strategy text, partition_by text)
RETURNS TABLE (ord bigint, payment_n int, accrual_n int, amount numeric,
			   matched_by text, partition_key text)
LANGUAGE plpgsql AS $$
BEGIN
	TRUNCATE acc_rank, pay_rank;
	EXECUTE format('INSERT INTO acc_rank SELECT r, date, month, amount, account_id FROM acc_%s ORDER BY random()', kind);
	EXECUTE format('INSERT INTO pay_rank SELECT r, date, month, amount, account_id FROM pay_%s ORDER BY random()', kind);
	IF alloc THEN
		RETURN QUERY EXECUTE format($q$
			SELECT f.ord, p.n, a.n, f.amount, f.matched_by, f.partition_key
			FROM allocate_payments('pay_rank', 'acc_rank', %1$L, %2$L)
				WITH ORDINALITY AS f(payment_id, accrual_id, amount, matched_by, partition_key, ord)
			LEFT JOIN pay_%3$s p ON p.r = f.payment_id
			LEFT JOIN acc_%3$s a ON a.r = f.accrual_id
			ORDER BY f.ord$q$, strategy, partition_by, kind);
	ELSE
		RETURN QUERY EXECUTE format($q$
			SELECT f.ord, p.n, a.n, NULL::numeric, f.matched_by, f.partition_key
			FROM match_payments('pay_rank', 'acc_rank', %1$L, %2$L)
				WITH ORDINALITY AS f(payment_id, accrual_id, matched_by, partition_key, ord)
			LEFT JOIN pay_%3$s p ON p.r = f.payment_id
			LEFT JOIN acc_%3$s a ON a.r = f.accrual_id
			ORDER BY f.ord$q$, strategy, partition_by, kind);
	END IF;
END $$;

-- Brute-force matching on kind's tables: payments one at a time in
-- (date, id) order, one query per choice, ids in the id column's order;
-- month_first runs the month pass over every payment, then the oldest
-- pass.  With partitioned a payment only reaches accruals of its own
-- non-NULL account.  As a set of (payment_n, accrual_n, matched_by).
CREATE FUNCTION pg_temp.ref_match(kind text, strategy text, partitioned bool)
RETURNS TABLE (payment_n int, accrual_n int, matched_by text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	p record;
	a int;
	pass text;
BEGIN
	TRUNCATE ref_paid, ref_result;
	EXECUTE format('INSERT INTO ref_result SELECT n, NULL, NULL FROM pay_%s', kind);
	FOREACH pass IN ARRAY CASE strategy WHEN 'sequential' THEN ARRAY['both']
			ELSE ARRAY['month', 'oldest'] END LOOP
		FOR p IN EXECUTE format('SELECT * FROM pay_%s WHERE date IS NOT NULL ORDER BY date, id', kind) LOOP
			CONTINUE WHEN EXISTS (SELECT 1 FROM ref_result r
				WHERE r.payment_n = p.n AND r.accrual_n IS NOT NULL);
			CONTINUE WHEN partitioned AND p.account_id IS NULL;
			a := NULL;
			IF pass IN ('both', 'month') THEN
				EXECUTE format($q$SELECT x.n FROM acc_%s x
					WHERE x.date < $1 AND x.month = $2
					  AND x.n NOT IN (SELECT n FROM ref_paid)
					  AND (NOT $3 OR x.account_id = $4)
					ORDER BY x.date, x.id LIMIT 1$q$, kind)
					INTO a USING p.date, p.month, partitioned, p.account_id;
				IF a IS NOT NULL THEN
					UPDATE ref_result SET accrual_n = a, matched_by = 'month'
					WHERE ref_result.payment_n = p.n;
				END IF;
			END IF;
			IF a IS NULL AND pass IN ('both', 'oldest') THEN
				EXECUTE format($q$SELECT x.n FROM acc_%s x
					WHERE x.date < $1
					  AND x.n NOT IN (SELECT n FROM ref_paid)
					  AND (NOT $2 OR x.account_id = $3)
					ORDER BY x.date, x.id LIMIT 1$q$, kind)
					INTO a USING p.date, partitioned, p.account_id;
				IF a IS NOT NULL THEN
					UPDATE ref_result SET accrual_n = a, matched_by = 'oldest'
					WHERE ref_result.payment_n = p.n;
				END IF;
			END IF;
			IF a IS NOT NULL THEN
				INSERT INTO ref_paid VALUES (a);
			END IF;
		END LOOP;
	END LOOP;
	RETURN QUERY SELECT * FROM ref_result;
END $$;

-- The allocation reference of test/lib/allocation.sql over the typed
-- tables of a kind, ties broken by their ids, rows named by n.
CREATE FUNCTION pg_temp.ref_allocate(kind text, strategy text, partitioned bool)
RETURNS TABLE (ord bigint, payment_n int, accrual_n int, amount numeric,
			   matched_by text, partition_key text)
LANGUAGE sql AS $$
	SELECT ord, payment_id::int, accrual_id::int, amount, matched_by, partition_key
	FROM pg_temp.allocation_reference(strategy, partitioned, 'pay_' || kind,
									  'acc_' || kind, 'n')
$$;

-- How many rows two sets of numbered rows differ by (in order when
-- ordered, else as bags), given as queries; also: more columns to
-- compare, each followed by a comma.
CREATE FUNCTION pg_temp.row_differences(a text, b text, ordered bool,
	also text DEFAULT '') RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	d bigint;
	cols text := also || CASE WHEN ordered THEN 'ord, ' ELSE '' END ||
		'payment_n, accrual_n, amount, matched_by, partition_key';
BEGIN
	EXECUTE format('SELECT count(*) FROM ((SELECT %1$s FROM (%2$s) x EXCEPT ALL SELECT %1$s FROM (%3$s) y)
		UNION ALL (SELECT %1$s FROM (%3$s) y EXCEPT ALL SELECT %1$s FROM (%2$s) x)) d',
		cols, a, b) INTO d;
	RETURN d;
END $$;

-- The checks on one case, as (check, failed) rows: for each kind,
-- strategy, and with and without partition_by, matching and allocation
-- against the ranks and against the reference.
CREATE TEMP TABLE check_result (name text, cases int, failed int);
CREATE FUNCTION pg_temp.check_case() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	kind text;
	strategy text;
	pby text;
	what text;
	d bigint;
	typed text;
BEGIN
	FOREACH kind IN ARRAY ARRAY['uuid', 'c', 'icu'] LOOP
		FOREACH strategy IN ARRAY ARRAY['sequential', 'month_first'] LOOP
			FOREACH pby IN ARRAY ARRAY['', 'account_id'] LOOP
				FOREACH what IN ARRAY ARRAY['match', 'allocate'] LOOP
					typed := format('SELECT * FROM pg_temp.typed_rows(%L, %L, %L, %L)',
						kind, what = 'allocate', strategy, nullif(pby, ''));
					d := pg_temp.row_differences(typed,
						format('SELECT * FROM pg_temp.ranked_rows(%L, %L, %L, %L)',
							kind, what = 'allocate', strategy, nullif(pby, '')), true);
					UPDATE check_result SET cases = cases + 1, failed = failed + (d > 0)::int
					WHERE name = format('%s ranks', what) || CASE kind WHEN 'uuid' THEN ', uuid'
						ELSE ', text' END;
					IF what = 'match' THEN
						EXECUTE format('SELECT count(*) FROM ((SELECT payment_n, accrual_n, matched_by FROM (%1$s) t
								EXCEPT ALL SELECT * FROM pg_temp.ref_match(%2$L, %3$L, %4$L))
							UNION ALL (SELECT * FROM pg_temp.ref_match(%2$L, %3$L, %4$L)
								EXCEPT ALL SELECT payment_n, accrual_n, matched_by FROM (%1$s) t)) d',
							typed, kind, strategy, pby <> '') INTO d;
					ELSE
						d := pg_temp.row_differences(typed,
							format('SELECT * FROM pg_temp.ref_allocate(%L, %L, %L)',
								kind, strategy, pby <> ''), true);
					END IF;
					UPDATE check_result SET cases = cases + 1, failed = failed + (d > 0)::int
					WHERE name = format('%s reference', what) || CASE kind WHEN 'uuid' THEN ', uuid'
						ELSE ', text' END;
				END LOOP;
			END LOOP;
		END LOOP;
	END LOOP;
END $$;
INSERT INTO check_result
SELECT w || ' ' || c || ', ' || k, 0, 0
FROM unnest(ARRAY['match', 'allocate']) w, unnest(ARRAY['ranks', 'reference']) c,
	unnest(ARRAY['uuid', 'text']) k;

SELECT setseed(0.53);
DO $$
BEGIN
	FOR i IN 1..40 LOOP
		PERFORM pg_temp.random_case((random() * 8)::int, (random() * 8)::int, i % 2 = 0);
		PERFORM pg_temp.check_case();
	END LOOP;
END $$;

SELECT is(failed, 0, format('%s: equal in all %s runs over 40 random tie-heavy cases (both strategies, with and without partition_by%s)',
		name, cases, CASE WHEN name LIKE '%text' THEN ', under "C" and en-x-icu' ELSE '' END))
FROM check_result ORDER BY name;

-- The data must hold what the checks are about: "C" and ICU order the
-- same texts differently, enough to change matchings; ids' order is not
-- the order of n.
CREATE FUNCTION pg_temp.collations_differ(ncases int, OUT orders int, OUT matchings int)
LANGUAGE plpgsql AS $$
BEGIN
	orders := 0;
	matchings := 0;
	FOR i IN 1..ncases LOOP
		PERFORM pg_temp.random_case(8, 8, false);
		IF EXISTS (SELECT 1 FROM pay_c c JOIN pay_icu i USING (n) WHERE c.r <> i.r) THEN
			orders := orders + 1;
		END IF;
		IF EXISTS (SELECT payment_n, accrual_n FROM pg_temp.typed_rows('c', false, 'sequential', NULL)
				   EXCEPT SELECT payment_n, accrual_n FROM pg_temp.typed_rows('icu', false, 'sequential', NULL)) THEN
			matchings := matchings + 1;
		END IF;
	END LOOP;
END $$;
SELECT ok(orders > 15 AND matchings > 3,
	format('"C" and en-x-icu order the same text ids differently (%s of 20 cases) and match differently (%s)',
		orders, matchings))
FROM pg_temp.collations_differ(20);
SELECT ok((SELECT count(*) FROM pay_uuid WHERE r <> n) > 3,
	'uuid ranks are unrelated to the rows'' numbers');
SELECT ok((SELECT bool_and(octet_length(id) BETWEEN 16 AND 20) FROM pay_c),
	'text ids are 16 to 20 bytes');

-- Repeated ids are refused (23505) whatever their kind, side and number:
-- in random cases of 1 to 8 rows a side, one row of a side given the id of
-- another row of that side (ids that then share a long prefix included:
-- a side of two rows whose ids are equal).  Accruals without a date take
-- no part and are not checked.
CREATE FUNCTION pg_temp.undetected_duplicates(ncases int) RETURNS TABLE (kind text, missed int)
LANGUAGE plpgsql AS $$
DECLARE
	k text;
	side text;
	state text;
	n int;
BEGIN
	FOREACH k IN ARRAY ARRAY['uuid', 'c', 'icu'] LOOP
		kind := k;
		missed := 0;
		FOR i IN 1..ncases LOOP
			PERFORM pg_temp.random_case(1 + (random() * 7)::int, 1 + (random() * 7)::int, false);
			side := CASE WHEN i % 2 = 0 THEN 'pay' ELSE 'acc' END;
			EXECUTE format('SELECT count(*) FROM %s_%s', side, k) INTO n;
			IF n = 1 THEN
				EXECUTE format('INSERT INTO %1$s_%2$s SELECT * FROM %1$s_%2$s', side, k);
			ELSE
				EXECUTE format('UPDATE %1$s_%2$s SET id = (SELECT id FROM %1$s_%2$s ORDER BY n DESC LIMIT 1)
					WHERE n = (SELECT min(n) FROM %1$s_%2$s)', side, k);
			END IF;
			BEGIN
				EXECUTE format('SELECT count(*) FROM match_payments_typed(NULL::%s, %L, %L)',
					pg_temp.id_type(k), 'pay_' || k, 'acc_' || k);
				state := '00000';
			EXCEPTION WHEN OTHERS THEN
				state := SQLSTATE;
			END;
			-- (accruals without a date take no part and are not checked)
			EXECUTE format('SELECT count(*) - count(DISTINCT id) FROM %s_%s WHERE %L = ''pay'' OR date IS NOT NULL',
				side, k, side) INTO n;
			IF n > 0 AND state <> '23505' THEN
				missed := missed + 1;
			END IF;
		END LOOP;
		RETURN NEXT;
	END LOOP;
END $$;
SELECT is(missed, 0, format('%s ids: every repeated id of 60 random small cases raises 23505',
		CASE kind WHEN 'c' THEN 'text "C"' WHEN 'icu' THEN 'text en-x-icu' ELSE kind END))
FROM pg_temp.undetected_duplicates(60);

-- A larger case: 3,000 accruals and 3,500 payments over 300 accounts, with
-- uuid and text ids, grouped in memory and in batches of at most 64kB
-- (several batches: about 40 bytes a row): the same rows in the same
-- order, equal to the ranks.
TRUNCATE base_acc, base_pay, acc_uuid, pay_uuid, acc_c, pay_c, acc_icu, pay_icu;
INSERT INTO base_acc
SELECT g, CASE WHEN g % 97 = 0 THEN NULL ELSE date '2024-01-01' + (random() * 60)::int END,
	(random() * 6)::int, round((random() * 200)::numeric, 2),
	CASE WHEN g % 53 = 0 THEN NULL ELSE (random() * 300)::int END
FROM generate_series(1, 3000) g;
INSERT INTO base_pay
SELECT g, CASE WHEN g % 89 = 0 THEN NULL ELSE date '2024-01-05' + (random() * 60)::int END,
	(random() * 6)::int, round((random() * 150)::numeric, 2),
	CASE WHEN g % 59 = 0 THEN NULL ELSE (random() * 300)::int END
FROM generate_series(1, 3500) g;
SELECT pg_temp.attach_ids();
ANALYZE acc_uuid, pay_uuid, acc_c, pay_c, acc_icu, pay_icu;

CREATE TEMP TABLE big_in_memory AS
SELECT k, w, s, r.* FROM unnest(ARRAY['uuid', 'c', 'icu']) k, unnest(ARRAY[false, true]) w,
	unnest(ARRAY['sequential', 'month_first']) s,
	LATERAL pg_temp.typed_rows(k, w, s, 'account_id') r;
SET accmatch.partition_work_mem = '64kB';
CREATE TEMP TABLE big_batches AS
SELECT k, w, s, r.* FROM unnest(ARRAY['uuid', 'c', 'icu']) k, unnest(ARRAY[false, true]) w,
	unnest(ARRAY['sequential', 'month_first']) s,
	LATERAL pg_temp.typed_rows(k, w, s, 'account_id') r;
CREATE TEMP TABLE big_ranks AS
SELECT k, w, s, r.* FROM unnest(ARRAY['uuid', 'c', 'icu']) k, unnest(ARRAY[false, true]) w,
	unnest(ARRAY['sequential', 'month_first']) s,
	LATERAL pg_temp.ranked_rows(k, w, s, 'account_id') r;
RESET accmatch.partition_work_mem;
SELECT is(pg_temp.row_differences('TABLE big_in_memory', 'TABLE big_batches', true, 'k, w, s, '), 0::bigint,
	'uuid and text ids, 6,500 rows: in batches of 64kB the same rows in the same order as in memory');
SELECT is(pg_temp.row_differences('TABLE big_in_memory', 'TABLE big_ranks', true, 'k, w, s, '), 0::bigint,
	'uuid and text ids, 6,500 rows: equal to the ranks, row for row');
-- through views the planner expects 10 rows of: grouping in memory
-- begins, overflows 64kB and starts again in batches, ids ranked afresh
SET client_min_messages = warning;
CREATE VIEW pg_temp.pay_uuid_few AS
	SELECT * FROM pay_uuid WHERE n + 0 = 0 + (n + 0) LIMIT 1000000000;
CREATE VIEW pg_temp.acc_uuid_few AS
	SELECT * FROM acc_uuid WHERE n + 0 = 0 + (n + 0) LIMIT 1000000000;
RESET client_min_messages;
SET accmatch.partition_work_mem = '64kB';
SELECT results_eq(
	$$SELECT * FROM allocate_payments_typed(NULL::uuid, 'pg_temp.pay_uuid_few', 'pg_temp.acc_uuid_few',
		'month_first', 'account_id')$$,
	$$SELECT * FROM allocate_payments_typed(NULL::uuid, 'pay_uuid', 'acc_uuid', 'month_first', 'account_id')$$,
	'uuid ids through under-estimated views (a restart into batches): the same rows in the same order');
RESET accmatch.partition_work_mem;
SELECT cmp_ok((SELECT count(*) FROM big_in_memory WHERE NOT w AND accrual_n IS NOT NULL), '>', 10000::bigint,
	'and most payments are matched');

-- the invariants of test/lib/matching.sql on the typed results, the
-- tables taken as they are
CREATE TEMP TABLE big_uuid_result AS
SELECT s AS strategy, m.* FROM unnest(ARRAY['sequential', 'month_first']) s,
	LATERAL match_payments_typed(NULL::uuid, 'pay_uuid', 'acc_uuid', s, 'account_id') m;
SELECT is(sum(violations), 0::numeric, 'uuid ids: every matching invariant holds')
FROM matching_invariants('big_uuid_result', 'pay_uuid', 'acc_uuid', 'account_id');

-- text ids sharing a prefix longer than one pass over their bytes takes
-- in (40 bytes), some ending early (a prefix of others, and shorter than
-- the shared prefix): the result in ids equals the untyped function's
-- over their ranks (rank() under "C"), ties on every date
CREATE TEMP TABLE long_acc (id text COLLATE "C", date date, month int);
CREATE TEMP TABLE long_pay (id text COLLATE "C", date date, month int);
INSERT INTO long_acc
SELECT repeat('x', 40) || '-' || md5(random()::text) || CASE WHEN random() < 0.2 THEN '' ELSE 'z' END,
	date '2024-01-01' + (g % 30), g % 5
FROM generate_series(1, 3000) g;
INSERT INTO long_acc VALUES (repeat('x', 40), '2024-01-05', 1), (repeat('x', 39), '2024-01-05', 1);
INSERT INTO long_pay
SELECT repeat('x', 40) || '-' || md5(random()::text), date '2024-01-01' + (g % 40), g % 5
FROM generate_series(1, 3000) g;
-- the differences between the typed function's matches on tables pay and
-- acc of ids of type idtype, and the untyped function's on their ranks
-- (rank() in the ids' order), ids then mapped back
CREATE FUNCTION pg_temp.rank_differences(idtype regtype, pay text, acc text)
RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE
	n bigint;
BEGIN
	EXECUTE format('CREATE TEMP TABLE ranked_pay AS
		SELECT rank() OVER (ORDER BY id)::int AS id, date, month, id AS orig FROM %I', pay);
	EXECUTE format('CREATE TEMP TABLE ranked_acc AS
		SELECT rank() OVER (ORDER BY id)::int AS id, date, month, id AS orig FROM %I', acc);
	EXECUTE format('SELECT count(*) FROM
		(SELECT s, m.* FROM unnest(ARRAY[''sequential'', ''month_first'']) s,
			LATERAL match_payments_typed(NULL::%s, %L, %L, s) m) a
		FULL JOIN
		(SELECT s, p.orig AS payment_id, x.orig AS accrual_id, m.matched_by
		 FROM unnest(ARRAY[''sequential'', ''month_first'']) s,
			LATERAL match_payments(''ranked_pay'', ''ranked_acc'', s) m
			JOIN ranked_pay p ON p.id = m.payment_id
			LEFT JOIN ranked_acc x ON x.id = m.accrual_id) b
		USING (s, payment_id)
		WHERE a.accrual_id IS DISTINCT FROM b.accrual_id
			OR a.matched_by IS DISTINCT FROM b.matched_by', idtype, pay, acc)
	INTO n;
	DROP TABLE ranked_pay, ranked_acc;
	RETURN n;
END
$f$;
SELECT is(pg_temp.rank_differences('text', 'long_pay', 'long_acc'), 0::bigint,
	'text ids with a 40-byte shared prefix, some ending early: the matches of their ranks');

-- uuid ids whose first four bytes hold every byte value (so that they
-- are sorted by those bytes first), many sharing them, some sharing their
-- first eight bytes: the matches of their ranks, ties on every date
CREATE TEMP TABLE head_acc (id uuid, date date, month int);
CREATE TEMP TABLE head_pay (id uuid, date date, month int);
INSERT INTO head_acc
SELECT (repeat(lpad(to_hex(g), 2, '0'), 4) || substr(md5(random()::text), 1, 24))::uuid,
	date '2024-01-01' + (g % 30), g % 5
FROM generate_series(0, 255) g;
INSERT INTO head_acc
SELECT (substr(md5((g % 7)::text), 1, CASE WHEN g % 3 = 0 THEN 16 ELSE 8 END) ||
	substr(md5(random()::text), 1, CASE WHEN g % 3 = 0 THEN 16 ELSE 24 END))::uuid,
	date '2024-01-01' + (g % 30), g % 5
FROM generate_series(1, 2000) g;
INSERT INTO head_pay
SELECT (substr(md5((g % 5)::text), 1, CASE WHEN g % 4 = 0 THEN 16 ELSE 8 END) ||
	substr(md5(random()::text), 1, CASE WHEN g % 4 = 0 THEN 16 ELSE 24 END))::uuid,
	date '2024-01-01' + (g % 40), g % 5
FROM generate_series(1, 2000) g;
INSERT INTO head_pay
SELECT (repeat(lpad(to_hex(g), 2, '0'), 4) || substr(md5(random()::text), 1, 24))::uuid,
	date '2024-01-01' + (g % 40), g % 5
FROM generate_series(0, 255) g;
SELECT is(pg_temp.rank_differences('uuid', 'head_pay', 'head_acc'), 0::bigint,
	'uuid ids sharing their first four or eight bytes: the matches of their ranks');

-- more uuid ids sharing their first eight bytes than the bits under
-- their bucket can tell apart (8,200 of 16,400 payments: they are all
-- sorted instead), beside accruals whose buckets they fit: the matches
-- of their ranks
CREATE TEMP TABLE bunch_acc (id uuid, date date, month int);
CREATE TEMP TABLE bunch_pay (id uuid, date date, month int);
INSERT INTO bunch_pay
SELECT (CASE WHEN g % 2 = 0 THEN '0123456789abcdef' ELSE substr(md5(random()::text), 1, 16) END ||
	substr(md5(random()::text), 1, 16))::uuid,
	date '2024-01-01' + (g % 40), g % 5
FROM generate_series(1, 16400) g;
INSERT INTO bunch_acc
SELECT (CASE WHEN g % 8 = 0 THEN '0123456789abcdef' ELSE substr(md5(random()::text), 1, 16) END ||
	substr(md5(random()::text), 1, 16))::uuid,
	date '2024-01-01' + (g % 30), g % 5
FROM generate_series(1, 4000) g;
SELECT is(pg_temp.rank_differences('uuid', 'bunch_pay', 'bunch_acc'), 0::bigint,
	'uuid ids, half of them sharing their first eight bytes: the matches of their ranks');

-- text ids of 17 letters, a or b in the first 16 (as many as a key
-- takes), a, b or c in the last, so that many ids share the first 16 and
-- differ only in the last: the matches of their ranks
CREATE TEMP TABLE ab_acc (id text COLLATE "C", date date, month int);
CREATE TEMP TABLE ab_pay (id text COLLATE "C", date date, month int);
CREATE FUNCTION pg_temp.random_ab_ids(n int) RETURNS SETOF text LANGUAGE sql AS $$
	SELECT DISTINCT string_agg(CASE WHEN k = 17 THEN chr(97 + floor(random() * 3)::int)
		WHEN random() < 0.5 THEN 'a' ELSE 'b' END, '' ORDER BY k)
	FROM generate_series(1, n) g, generate_series(1, 17) k
	GROUP BY g
$$;
INSERT INTO ab_acc SELECT id, date '2024-01-01' + (row_number() OVER () % 30)::int, (random() * 4)::int
FROM pg_temp.random_ab_ids(4000) id;
INSERT INTO ab_pay SELECT id, date '2024-01-01' + (row_number() OVER () % 40)::int, (random() * 4)::int
FROM pg_temp.random_ab_ids(4000) id;
SELECT is(pg_temp.rank_differences('text', 'ab_pay', 'ab_acc'), 0::bigint,
	'text ids telling apart only in their 17th byte: the matches of their ranks');
-- and more of them (66,000) than their first 16 bytes have values (2^16),
-- so that keys of 16 bytes cannot tell them apart and they are all sorted
TRUNCATE ab_pay;
INSERT INTO ab_pay
SELECT translate(right((g % 65536)::bit(16)::text, 16), '01', 'ab') || chr(97 + g / 65536 + (g % 2)),
	date '2024-01-01' + (g % 40), g % 5
FROM generate_series(0, 65999) g ORDER BY random();
SELECT is(pg_temp.rank_differences('text', 'ab_pay', 'ab_acc'), 0::bigint,
	'66,000 text ids, 2^16 values of their first 16 bytes: the matches of their ranks');

SELECT * FROM finish();
ROLLBACK;
