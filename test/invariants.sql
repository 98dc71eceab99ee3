-- invariants.sql: the properties of test/lib/matching.sql, which
-- test/match.sql, test/partition.sql and the concurrency run rely on, hold
-- on a real matching of a small hand-made case, and each one does fail on
-- a result broken on purpose to break it.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS accmatch;
SELECT plan(41);
\ir lib/matching.sql

-- Account 1: a month match (10 takes 2), an oldest match (11 takes 1 when
-- sequential), an unmatched payment (12: accrual 3 comes later, 4 has no
-- date), a payment without a date (13).  Account 2: a month match (15
-- takes 6).  An accrual and a payment without an account (5, 14).
CREATE TEMP TABLE accrual (id int, date date, month int, acct int);
CREATE TEMP TABLE payment (id int, date date, month int, acct int);
INSERT INTO accrual VALUES
	(1, '2024-01-01', 1, 1),
	(2, '2024-01-02', 2, 1),
	(3, '2024-03-01', 1, 1),
	(4, NULL, 1, 1),
	(5, '2024-01-01', 1, NULL),
	(6, '2024-01-05', 3, 2);
INSERT INTO payment VALUES
	(10, '2024-02-01', 2, 1),
	(11, '2024-02-02', 5, 1),
	(12, '2024-02-03', 1, 1),
	(13, NULL, 1, 1),
	(14, '2024-02-01', 1, NULL),
	(15, '2024-02-01', 3, 2);

-- Both strategies, unpartitioned or by acct.
CREATE FUNCTION pg_temp.matching(partition_by text)
RETURNS TABLE (strategy text, payment_id bigint, accrual_id bigint,
	matched_by text, partition_key text)
LANGUAGE sql AS $$
	SELECT s, m.* FROM unnest(ARRAY['sequential', 'month_first']) s,
		LATERAL match_payments('payment', 'accrual', s, partition_by) m
$$;

-- The number of violations of one property once change (a statement on
-- the table broken) has been applied to the matching.
CREATE FUNCTION pg_temp.violations_after(change text, partition_by text,
	prop int)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	IF to_regclass('pg_temp.broken') IS NOT NULL THEN
		DROP TABLE broken;
	END IF;
	CREATE TEMP TABLE broken AS SELECT * FROM pg_temp.matching(partition_by);
	EXECUTE change;
	SELECT i.violations INTO n
	FROM matching_invariants('broken', 'payment', 'accrual', partition_by) i
	WHERE i.property = prop;
	RETURN n;
END $$;

-- The case has what the changes below need.
SELECT set_eq($$SELECT strategy, payment_id, accrual_id, matched_by
				FROM pg_temp.matching('acct')$$,
	$$VALUES ('sequential', 10::bigint, 2::bigint, 'month'),
		('sequential', 11, 1, 'oldest'), ('sequential', 12, NULL, NULL),
		('sequential', 13, NULL, NULL), ('sequential', 14, NULL, NULL),
		('sequential', 15, 6, 'month'),
		('month_first', 10, 2, 'month'), ('month_first', 11, NULL, NULL),
		('month_first', 12, 1, 'month'), ('month_first', 13, NULL, NULL),
		('month_first', 14, NULL, NULL), ('month_first', 15, 6, 'month')$$,
	'partitioned: the matching worked out by hand');
SELECT ok((SELECT count(*) FROM pg_temp.matching(NULL)
		   WHERE payment_id = 14 AND accrual_id IS NOT NULL) = 2,
	'unpartitioned: the payment without an account is matched');

-- On the real matchings every property holds: 9 + 9 tests.
CREATE TEMP TABLE plain_result AS SELECT * FROM pg_temp.matching(NULL);
CREATE TEMP TABLE keyed_result AS SELECT * FROM pg_temp.matching('acct');
SELECT is(i.violations, 0::bigint, 'unpartitioned: ' || i.description)
FROM matching_invariants('plain_result', 'payment', 'accrual') i;
SELECT is(i.violations, 0::bigint, 'partitioned: ' || i.description)
FROM matching_invariants('keyed_result', 'payment', 'accrual', 'acct') i;

-- Each property fails on a result broken for it: 10 changes on both
-- matchings, and one that only the partitioned one can see.
SELECT ok(pg_temp.violations_after(c.change, k.partition_by, c.property) > 0,
	format('%s: property %s fails when %s', k.label, c.property, c.what))
FROM (VALUES (NULL, 'unpartitioned'), ('acct', 'partitioned')) k(partition_by, label)
CROSS JOIN (VALUES
	(1, 'a payment has two rows',
	 $$INSERT INTO broken SELECT * FROM broken WHERE payment_id = 13$$, false),
	(2, 'a row names another payment',
	 $$UPDATE broken SET payment_id = 10 WHERE payment_id = 13$$, false),
	(3, 'two payments take the same accrual',
	 $$UPDATE broken SET accrual_id = 2, matched_by = 'oldest'
	   WHERE payment_id = 11 AND strategy = 'sequential'$$, false),
	(4, 'an accrual is paid before its date',
	 $$UPDATE broken SET accrual_id = 3 WHERE payment_id = 10$$, false),
	(4, 'a payment takes an accrual that does not exist',
	 $$UPDATE broken SET accrual_id = 999 WHERE payment_id = 10$$, false),
	(4, 'a payment takes an accrual of another account',
	 $$UPDATE broken SET accrual_id = 6, matched_by = 'oldest'
	   WHERE payment_id = 11 AND strategy = 'sequential'$$, true),
	(5, 'a month match is called oldest',
	 $$UPDATE broken SET matched_by = 'oldest' WHERE payment_id = 15$$, false),
	(6, 'a match has no matched_by',
	 $$UPDATE broken SET matched_by = NULL WHERE payment_id = 15$$, false),
	(7, 'partition_key is wrong',
	 $$UPDATE broken SET partition_key = '2' WHERE payment_id = 10$$, false),
	(8, 'an accrual without a date is paid',
	 $$UPDATE broken SET accrual_id = 4, matched_by = 'month'
	   WHERE payment_id = 12 AND strategy = 'sequential'$$, false),
	(9, 'a payment is left unmatched with an earlier accrual unpaid',
	 $$UPDATE broken SET accrual_id = NULL, matched_by = NULL
	   WHERE payment_id = 15$$, false)
	) c(property, what, change, keyed_only)
WHERE k.partition_by IS NOT NULL OR NOT c.keyed_only;

SELECT * FROM finish();
ROLLBACK;
