-- corrections.sql: allocation_corrections() over seeded random histories.
-- Night after night payments and accruals arrive (some back-dated), some
-- go, amounts, dates, months and accounts change; each night the
-- corrections are appended to two ledgers, one of bigint ids and one of
-- uuid ids, and the ledgers' sums by group must equal those of a
-- brute-force full allocation written here.  The rows themselves must be
-- those the reference implies, in the documented order; a second call
-- must return none; no ledger row is ever updated or deleted.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS accmatch;
SELECT plan(27);

CREATE TEMP TABLE accrual (id int, date date, month int, amount numeric, account_id int);
CREATE TEMP TABLE payment (id int, date date, month int, amount numeric, account_id int);
CREATE TEMP SEQUENCE ids;

-- The same tables with uuid ids, in the same order: the id in the first
-- eight hex digits, the rest from its md5.
CREATE FUNCTION pg_temp.uid(id bigint) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT (lpad(to_hex(id), 8, '0') || substr(md5(id::text), 1, 24))::uuid
$$;
CREATE TEMP VIEW uaccrual AS
	SELECT pg_temp.uid(id) AS id, date, month, amount, account_id FROM accrual;
CREATE TEMP VIEW upayment AS
	SELECT pg_temp.uid(id) AS id, date, month, amount, account_id FROM payment;

-- The ledgers, with columns of their own filled by defaults.  A trigger
-- refuses any UPDATE or DELETE: the corrections only ever append.
CREATE TEMP TABLE ledger (entry bigserial, payment_id bigint, accrual_id bigint,
	amount numeric, matched_by text, partition_key text,
	booked timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TEMP TABLE uledger (entry bigserial, payment_id uuid, accrual_id uuid,
	amount numeric, matched_by text, partition_key text);
CREATE FUNCTION pg_temp.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'ledger row % was to be %d', OLD.entry, lower(TG_OP);
END $$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON ledger
	FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_change();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON uledger
	FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_change();

-- the reference allocator: pg_temp.allocation_reference()
\ir lib/allocation.sql
-- one full run of the reference, the corrections a call returned, the
-- ledger's rows before a night
CREATE TEMP TABLE run (ord bigint, payment_id bigint, accrual_id bigint, amount numeric,
	matched_by text, partition_key text);
CREATE TEMP TABLE got (ord bigint, payment_id bigint, accrual_id bigint, amount numeric,
	matched_by text, partition_key text);

-- One night of history, the n-th (a week each): one to four accruals and
-- payments arrive, dated in the past week or, one in four, up to five
-- weeks back (after earlier nights allocated later payments); a few
-- amounts are 0, a few payments have no date, a few rows no account
-- (accounts 0 to 3, months 0 to 2).  Then, each with some probability:
-- a payment and an accrual are deleted, a payment's and an accrual's
-- amount change (once in a while to three decimals), a payment moves to
-- another account, an accrual's month changes, a payment is back-dated.
CREATE FUNCTION pg_temp.night(n int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	today date := date '2024-01-01' + 7 * n;
BEGIN
	INSERT INTO accrual
	SELECT nextval('ids'),
		CASE WHEN random() < 0.25 THEN today - 1 - (random() * 34)::int
			ELSE today - 1 - (random() * 6)::int END,
		(random() * 2)::int,
		round((random() * 200)::numeric, 2) * (random() < 0.95)::int,
		CASE WHEN random() < 0.05 THEN NULL ELSE (random() * 3)::int END
	FROM generate_series(1, 1 + (random() * 3)::int) OFFSET 0;
	INSERT INTO payment
	SELECT nextval('ids'),
		CASE WHEN random() < 0.03 THEN NULL
			WHEN random() < 0.25 THEN today - 1 - (random() * 34)::int
			ELSE today - 1 - (random() * 6)::int END,
		(random() * 2)::int,
		round((random() * 150)::numeric, 2) * (random() < 0.95)::int,
		CASE WHEN random() < 0.05 THEN NULL ELSE (random() * 3)::int END
	FROM generate_series(1, 1 + (random() * 3)::int) OFFSET 0;
	IF random() < 0.3 THEN
		DELETE FROM payment WHERE id = (SELECT id FROM payment ORDER BY random() LIMIT 1);
	END IF;
	IF random() < 0.3 THEN
		DELETE FROM accrual WHERE id = (SELECT id FROM accrual ORDER BY random() LIMIT 1);
	END IF;
	IF random() < 0.4 THEN
		UPDATE payment SET amount = round((random() * 150)::numeric, 2)
			+ CASE WHEN random() < 0.2 THEN 0.005 ELSE 0 END
		WHERE id = (SELECT id FROM payment ORDER BY random() LIMIT 1);
	END IF;
	IF random() < 0.4 THEN
		UPDATE accrual SET amount = round((random() * 200)::numeric, 2)
		WHERE id = (SELECT id FROM accrual ORDER BY random() LIMIT 1);
	END IF;
	IF random() < 0.4 THEN
		UPDATE payment SET account_id = (random() * 3)::int
		WHERE id = (SELECT id FROM payment ORDER BY random() LIMIT 1);
	END IF;
	IF random() < 0.3 THEN
		UPDATE accrual SET month = (random() * 2)::int
		WHERE id = (SELECT id FROM accrual ORDER BY random() LIMIT 1);
	END IF;
	IF random() < 0.2 THEN
		UPDATE payment SET date = date - (random() * 20)::int
		WHERE id = (SELECT id FROM payment ORDER BY random() LIMIT 1);
	END IF;
END $$;

-- Groups (partition_key, payment_id, accrual_id, matched_by) whose sums
-- differ between the bigint ledger and the reference's run.
CREATE FUNCTION pg_temp.differing_groups() RETURNS bigint
LANGUAGE sql AS $$
	SELECT count(*) FROM (
		SELECT partition_key, payment_id, accrual_id, matched_by
		FROM (SELECT partition_key, payment_id, accrual_id, matched_by, amount FROM ledger
			  UNION ALL
			  SELECT partition_key, payment_id, accrual_id, matched_by, -amount FROM run) x
		GROUP BY 1, 2, 3, 4 HAVING sum(amount) <> 0) d
$$;

-- The same for the uuid ledger, the reference's ids mapped to uuids.
CREATE FUNCTION pg_temp.differing_uuid_groups() RETURNS bigint
LANGUAGE sql AS $$
	SELECT count(*) FROM (
		SELECT partition_key, payment_id, accrual_id, matched_by
		FROM (SELECT partition_key, payment_id, accrual_id, matched_by, amount FROM uledger
			  UNION ALL
			  SELECT partition_key, pg_temp.uid(payment_id), pg_temp.uid(accrual_id),
				matched_by, -amount FROM run) x
		GROUP BY 1, 2, 3, 4 HAVING sum(amount) <> 0) d
$$;

-- The corrections the reference implies for the bigint ledger as it is,
-- numbered in the documented order: for each payment of the run, in the
-- run's order, the reversals of its ledger groups the run does not have
-- (by accrual, NULL last, then matched_by), then the differences of its
-- run rows in the run's order; then the reversals of the groups of
-- payments the run does not have, by partition_key (NULL last),
-- payment_id, accrual_id, matched_by.  Groups already summing right give
-- no row; a group of the run the ledger lacks gives one, even of 0.
CREATE FUNCTION pg_temp.expected()
RETURNS TABLE (ord bigint, payment_id bigint, accrual_id bigint, amount numeric,
			   matched_by text, partition_key text)
LANGUAGE sql AS $$
	WITH lg AS (
		SELECT l.partition_key AS k, l.payment_id AS p, l.accrual_id AS a,
			l.matched_by AS m, sum(l.amount) AS s
		FROM ledger l GROUP BY 1, 2, 3, 4),
	rg AS (
		SELECT r.partition_key AS k, r.payment_id AS p, r.accrual_id AS a,
			r.matched_by AS m, sum(r.amount) AS s, min(r.ord) AS o
		FROM run r GROUP BY 1, 2, 3, 4),
	rp AS (SELECT k, p, min(o) AS po FROM rg GROUP BY 1, 2),
	c AS (
		-- reversals of a run payment's groups the run does not have
		SELECT 1 AS part, rp.po, 0 AS sub, NULL::bigint AS o,
			lg.k, lg.p, lg.a, lg.m, -lg.s AS amount
		FROM lg JOIN rp ON rp.k IS NOT DISTINCT FROM lg.k AND rp.p = lg.p
		WHERE lg.s <> 0 AND NOT EXISTS (
			SELECT 1 FROM rg
			WHERE rg.k IS NOT DISTINCT FROM lg.k AND rg.p = lg.p
			  AND rg.a IS NOT DISTINCT FROM lg.a AND rg.m IS NOT DISTINCT FROM lg.m)
		UNION ALL
		-- differences of its run rows
		SELECT 1, rp.po, 1, rg.o, rg.k, rg.p, rg.a, rg.m, rg.s - coalesce(lg.s, 0)
		FROM rg JOIN rp ON rp.k IS NOT DISTINCT FROM rg.k AND rp.p = rg.p
		LEFT JOIN lg ON lg.k IS NOT DISTINCT FROM rg.k AND lg.p = rg.p
			AND lg.a IS NOT DISTINCT FROM rg.a AND lg.m IS NOT DISTINCT FROM rg.m
		WHERE rg.s <> coalesce(lg.s, 0) OR lg.p IS NULL
		UNION ALL
		-- reversals of the payments the run does not have
		SELECT 2, NULL, 0, NULL, lg.k, lg.p, lg.a, lg.m, -lg.s
		FROM lg
		WHERE lg.s <> 0 AND NOT EXISTS (
			SELECT 1 FROM rp WHERE rp.k IS NOT DISTINCT FROM lg.k AND rp.p = lg.p))
	SELECT row_number() OVER (ORDER BY c.part, c.po, c.sub, c.o,
			c.k COLLATE "C" NULLS LAST, c.p, c.a NULLS LAST, c.m COLLATE "C" NULLS LAST),
		c.p, c.a, c.amount, c.m, c.k
	FROM c
$$;

-- Histories of the given number of nights from each seed, with the
-- strategy, partitioned by account or not.  After each night: the
-- corrections of the bigint ledger are compared, row for row and in
-- order, with those the reference implies, then appended; those of the
-- uuid ledger are appended as they come.  Counts the nights where the
-- rows differed (wrong_rows), where a ledger's sums differ from the
-- reference (bigint_sums, uuid_sums), where a second call returned rows
-- (not_empty_again), where the rows of earlier nights changed
-- (earlier_rows_changed); and what the histories exercised.
CREATE FUNCTION pg_temp.histories(strategy text, partitioned bool, seeds float8[], nights int,
	OUT wrong_rows int, OUT bigint_sums int, OUT uuid_sums int,
	OUT not_empty_again int, OUT earlier_rows_changed int, OUT first_failure text,
	OUT nights_run int, OUT appended bigint, OUT reversals bigint, OUT nights_reversing int,
	OUT moved_payments bigint, OUT changed_kinds bigint, OUT scale_3 int)
LANGUAGE plpgsql AS $$
DECLARE
	partition_by text := CASE WHEN partitioned THEN 'account_id' END;
	seed float8;
	before_rows bigint;
	before_last bigint;
	before_hash text;
	bad text;
BEGIN
	wrong_rows := 0; bigint_sums := 0; uuid_sums := 0;
	not_empty_again := 0; earlier_rows_changed := 0;
	nights_run := 0; appended := 0; reversals := 0; nights_reversing := 0;
	moved_payments := 0; changed_kinds := 0; scale_3 := 0;
	FOREACH seed IN ARRAY seeds LOOP
		PERFORM setseed(seed);
		TRUNCATE accrual, payment, ledger, uledger;
		FOR n IN 1..nights LOOP
			PERFORM pg_temp.night(n);
			nights_run := nights_run + 1;
			TRUNCATE run, got;
			INSERT INTO run SELECT * FROM pg_temp.allocation_reference(strategy, partitioned);
			IF EXISTS (SELECT 1 FROM run WHERE scale(amount) = 3) THEN
				scale_3 := scale_3 + 1;
			END IF;
			bad := NULL;

			-- the bigint ledger
			SELECT count(*), max(entry), md5(string_agg(l::text, ',' ORDER BY entry))
			INTO before_rows, before_last, before_hash FROM ledger l;
			INSERT INTO got
			SELECT c.ord, c.payment_id, c.accrual_id, c.amount, c.matched_by, c.partition_key
			FROM allocation_corrections('ledger', 'payment', 'accrual', strategy, partition_by)
				WITH ORDINALITY AS c(payment_id, accrual_id, amount, matched_by, partition_key, ord);
			IF EXISTS (
				(SELECT * FROM got EXCEPT ALL SELECT * FROM pg_temp.expected())
				UNION ALL
				(SELECT * FROM pg_temp.expected() EXCEPT ALL SELECT * FROM got)) THEN
				wrong_rows := wrong_rows + 1;
				bad := 'rows';
			END IF;
			INSERT INTO ledger (payment_id, accrual_id, amount, matched_by, partition_key)
			SELECT g.payment_id, g.accrual_id, g.amount, g.matched_by, g.partition_key
			FROM got g ORDER BY g.ord;
			appended := appended + (SELECT count(*) FROM got);
			reversals := reversals + (SELECT count(*) FROM got WHERE got.amount < 0);
			IF EXISTS (SELECT 1 FROM got WHERE got.amount < 0) THEN
				nights_reversing := nights_reversing + 1;
			END IF;
			IF pg_temp.differing_groups() > 0 THEN
				bigint_sums := bigint_sums + 1;
				bad := concat_ws(', ', bad, 'bigint sums');
			END IF;
			IF (SELECT count(*) FROM ledger l WHERE l.entry <= before_last) <> before_rows
			   OR (SELECT md5(string_agg(l::text, ',' ORDER BY entry)) FROM ledger l
				   WHERE l.entry <= before_last) IS DISTINCT FROM before_hash THEN
				earlier_rows_changed := earlier_rows_changed + 1;
				bad := concat_ws(', ', bad, 'earlier rows');
			END IF;

			-- the uuid ledger
			INSERT INTO uledger (payment_id, accrual_id, amount, matched_by, partition_key)
			SELECT * FROM allocation_corrections_typed(NULL::uuid, 'uledger', 'upayment',
				'uaccrual', strategy, partition_by);
			IF pg_temp.differing_uuid_groups() > 0 THEN
				uuid_sums := uuid_sums + 1;
				bad := concat_ws(', ', bad, 'uuid sums');
			END IF;

			-- nothing left to correct, in either
			IF EXISTS (SELECT 1 FROM allocation_corrections('ledger', 'payment', 'accrual',
						   strategy, partition_by))
			   OR EXISTS (SELECT 1 FROM allocation_corrections_typed(NULL::uuid, 'uledger',
						   'upayment', 'uaccrual', strategy, partition_by)) THEN
				not_empty_again := not_empty_again + 1;
				bad := concat_ws(', ', bad, 'second call');
			END IF;
			IF bad IS NOT NULL AND first_failure IS NULL THEN
				first_failure := format('seed %s, night %s: %s', seed, n, bad);
			END IF;
		END LOOP;
		-- payments with groups under two keys, pairs booked under two kinds
		moved_payments := moved_payments + (
			SELECT count(*) FROM (SELECT payment_id FROM ledger
				GROUP BY payment_id HAVING count(DISTINCT coalesce(partition_key, '-')) > 1) x);
		changed_kinds := changed_kinds + (
			SELECT count(*) FROM (SELECT payment_id, accrual_id FROM ledger
				WHERE accrual_id IS NOT NULL
				GROUP BY payment_id, accrual_id HAVING count(DISTINCT matched_by) > 1) x);
	END LOOP;
END $$;

CREATE TEMP TABLE outcome AS
SELECT s.strategy, p.partitioned, h.*
FROM (VALUES ('sequential', 1), ('month_first', 2)) s(strategy, n),
	(VALUES (false), (true)) p(partitioned),
	LATERAL pg_temp.histories(s.strategy, p.partitioned,
		ARRAY(SELECT 0.1 * s.n + 0.01 * k * CASE WHEN p.partitioned THEN 1 ELSE -1 END
			  FROM generate_series(1, 6) k), 12) h;

-- Each check once per configuration; a failure names the seed and night.
CREATE FUNCTION pg_temp.config(strategy text, partitioned bool) RETURNS text
LANGUAGE sql AS $$
	SELECT strategy || CASE WHEN partitioned THEN ', partition_by' ELSE '' END
$$;
SELECT is(o.wrong_rows, 0,
	format('%s: the corrections are the rows the reference implies, in order (%s)',
		   pg_temp.config(o.strategy, o.partitioned), coalesce(o.first_failure, 'every night')))
FROM outcome o ORDER BY o.strategy DESC, o.partitioned;
SELECT is(o.bigint_sums + o.uuid_sums, 0,
	format('%s: after each night both ledgers sum, group by group, to one full run (%s)',
		   pg_temp.config(o.strategy, o.partitioned), coalesce(o.first_failure, 'every night')))
FROM outcome o ORDER BY o.strategy DESC, o.partitioned;
SELECT is(o.not_empty_again, 0,
	format('%s: a second call returns no row (%s)',
		   pg_temp.config(o.strategy, o.partitioned), coalesce(o.first_failure, 'every night')))
FROM outcome o ORDER BY o.strategy DESC, o.partitioned;
SELECT is(o.earlier_rows_changed, 0,
	format('%s: earlier nights'' rows are never changed (%s)',
		   pg_temp.config(o.strategy, o.partitioned), coalesce(o.first_failure, 'every night')))
FROM outcome o ORDER BY o.strategy DESC, o.partitioned;

-- The histories must exercise what is checked: reversals on most nights,
-- payments moving between keys, pairs changing their matched_by, amounts
-- of scale 3.
SELECT ok(o.nights_reversing > o.nights_run / 2 AND o.reversals > 100,
	format('%s: %s rows appended, %s of them reversals, on %s of %s nights',
		   pg_temp.config(o.strategy, o.partitioned), o.appended, o.reversals,
		   o.nights_reversing, o.nights_run))
FROM outcome o ORDER BY o.strategy DESC, o.partitioned;
SELECT ok(sum(o.moved_payments) FILTER (WHERE o.partitioned) > 10
		  AND sum(o.changed_kinds) > 10 AND min(o.scale_3) > 5,
	format('payments moved between keys (%s), pairs booked under two matched_by (%s), nights with amounts of scale 3 (at least %s)',
		   sum(o.moved_payments) FILTER (WHERE o.partitioned), sum(o.changed_kinds),
		   min(o.scale_3)))
FROM outcome o;

-- The checks can fail: after a short history (sequential, by account),
-- a row booked by hand makes one group differ; the corrections are then
-- the one row the reference implies, taking 1.50 off that group.
SELECT is(wrong_rows + bigint_sums + uuid_sums + not_empty_again + earlier_rows_changed, 0,
	'a short history for the checks below')
FROM pg_temp.histories('sequential', true, ARRAY[0.77], 3);
INSERT INTO ledger (payment_id, accrual_id, amount, matched_by, partition_key)
SELECT payment_id, NULL, 1.5, NULL, partition_key FROM run ORDER BY ord LIMIT 1;
SELECT is(pg_temp.differing_groups(), 1::bigint,
	'a row booked by hand: one group of the ledger differs from the reference');
TRUNCATE got;
INSERT INTO got
SELECT c.ord, c.payment_id, c.accrual_id, c.amount, c.matched_by, c.partition_key
FROM allocation_corrections('ledger', 'payment', 'accrual', 'sequential', 'account_id')
	WITH ORDINALITY AS c(payment_id, accrual_id, amount, matched_by, partition_key, ord);
SELECT results_eq($$SELECT * FROM got$$, $$SELECT * FROM pg_temp.expected()$$,
	'its correction is the row the reference implies');
SELECT results_eq($$SELECT amount FROM got$$, $$VALUES (-1.5)$$,
	'which takes the 1.50 off');

-- the guard against changes works
SELECT throws_ok($$UPDATE ledger SET amount = 0$$, 'P0001', NULL,
	'the trigger refuses to update a ledger row');
SELECT throws_ok($$DELETE FROM uledger$$, 'P0001', NULL,
	'the trigger refuses to delete a ledger row');

SELECT * FROM finish();
ROLLBACK;
