-- setup.sql: tables, data and checking functions for test/concurrency.sh.
-- Run in a database of its own; seeded.

CREATE EXTENSION IF NOT EXISTS accmatch;
SELECT setseed(0.6061);

-- 20,000 accruals and 22,000 payments over 500 accounts and two years,
-- tie-heavy, with some NULL dates, months and accounts.
CREATE TABLE accrual (id bigint PRIMARY KEY, date date, month int, account int);
CREATE TABLE payment (id bigint PRIMARY KEY, date date, month int, account int);
CREATE SEQUENCE accrual_id_seq START 1000001;
CREATE SEQUENCE payment_id_seq START 2000001;

INSERT INTO accrual
SELECT g,
	CASE WHEN random() < 0.01 THEN NULL ELSE date '2023-01-01' + (random() * 700)::int END,
	CASE WHEN random() < 0.02 THEN NULL ELSE 1 + (random() * 23)::int END,
	CASE WHEN random() < 0.01 THEN NULL ELSE 1 + (random() * 499)::int END
FROM generate_series(1, 20000) g;
INSERT INTO payment
SELECT 100000 + g,
	CASE WHEN random() < 0.01 THEN NULL ELSE date '2023-01-01' + (random() * 760)::int END,
	CASE WHEN random() < 0.02 THEN NULL ELSE 1 + (random() * 23)::int END,
	CASE WHEN random() < 0.01 THEN NULL ELSE 1 + (random() * 499)::int END
FROM generate_series(1, 22000) g;

-- 50,000 actions of 500 accounts, and 200 account documents
CREATE TABLE action (account int, type text, created_at timestamptz);
INSERT INTO action
SELECT 1 + (random() * 499)::int,
	CASE WHEN random() < 0.02 THEN NULL
		ELSE (ARRAY['create', 'read', 'update', 'delete', 'login'])[1 + (random() * 4)::int] END,
	CASE WHEN random() < 0.02 THEN NULL
		ELSE timestamptz '2016-01-01 00:00:00+00' + random() * interval '400 days' END
FROM generate_series(1, 50000);

CREATE TABLE doc (id int PRIMARY KEY, doc jsonb NOT NULL);
INSERT INTO doc
SELECT a, jsonb_build_object('number', (7800000000000 + a)::text, 'sessions',
	(SELECT jsonb_agg(jsonb_build_object('session_id', md5(s::text), 'actions',
		(SELECT jsonb_agg(jsonb_build_object(
			'type', (ARRAY['create', 'read', 'update', 'delete'])[1 + (x % 4)],
			'created_at', jsonb_build_object('$date', to_char(
				timestamp '2016-01-01' + (a * 37 + s * 11 + x) * interval '1 minute',
				'YYYY-MM-DD"T"HH24:MI:SS"Z"'))))
		 FROM generate_series(1, 5 + (a + s) % 7) x)))
	 FROM generate_series(1, 1 + a % 4) s))
FROM generate_series(1, 200) a;

ANALYZE;

\ir ../lib/matching.sql

-- Check one matching against the snapshot it was computed from, in the
-- same REPEATABLE READ transaction, by the properties any valid matching
-- has (matching_invariants() of test/lib/matching.sql) and by a second call
-- giving the same rows; raise (so pgbench counts a failure) if one does
-- not hold.  Returns the number of payments.
CREATE FUNCTION check_matching(strategy text, partition_by text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	i record;
	bad bigint;
BEGIN
	IF current_setting('transaction_isolation') <> 'repeatable read' THEN
		RAISE EXCEPTION 'check_matching() needs a REPEATABLE READ transaction';
	END IF;
	IF to_regclass('pg_temp.cc_match') IS NULL THEN
		CREATE TEMP TABLE cc_match (strategy text, payment_id bigint,
			accrual_id bigint, matched_by text, partition_key text)
			ON COMMIT DELETE ROWS;
	END IF;
	DELETE FROM cc_match;		-- an earlier call in this transaction

	INSERT INTO cc_match
	SELECT strategy, m.*
	FROM match_payments('payment', 'accrual', strategy, partition_by) m;

	FOR i IN SELECT * FROM matching_invariants('cc_match', 'payment', 'accrual',
												partition_by)
	LOOP
		IF i.violations > 0 THEN
			RAISE EXCEPTION '%: % rows or groups break "%"',
				strategy, i.violations, i.description;
		END IF;
	END LOOP;

	-- the same call again sees the same snapshot and gives the same rows
	SELECT count(*) INTO bad FROM (
		(SELECT * FROM match_payments('payment', 'accrual', strategy, partition_by)
		 EXCEPT ALL SELECT payment_id, accrual_id, matched_by, partition_key FROM cc_match)
		UNION ALL
		(SELECT payment_id, accrual_id, matched_by, partition_key FROM cc_match
		 EXCEPT ALL SELECT * FROM match_payments('payment', 'accrual', strategy, partition_by))) x;
	IF bad > 0 THEN
		RAISE EXCEPTION '%: a second call in the same snapshot differs in % rows',
			strategy, bad;
	END IF;

	RETURN (SELECT count(*) FROM cc_match);
END $$;

-- Check both summaries against counts made here: per account, the counts
-- of action_summary() add up to the actions with a type; per document,
-- those of account_actions() to its actions with a string type, and the
-- first four types are create, read, update, delete.  Returns the number
-- of accounts plus documents checked.
CREATE FUNCTION check_summaries() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	bad bigint;
	n bigint;
	m bigint;
BEGIN
	SELECT count(*), count(*) FILTER (WHERE total IS DISTINCT FROM typed)
	INTO n, bad
	FROM (SELECT count(type) AS typed,
			(SELECT sum((e->>'count')::bigint)
			 FROM jsonb_array_elements(action_summary(type, created_at)) e) AS total
		  FROM action GROUP BY account) s;
	IF bad > 0 THEN
		RAISE EXCEPTION 'action_summary: % accounts with wrong counts', bad;
	END IF;

	SELECT count(*), count(*) FILTER (WHERE total IS DISTINCT FROM typed
			OR first_four <> '{create,read,update,delete}')
	INTO m, bad
	FROM (SELECT
			(SELECT count(*) FROM jsonb_path_query(doc,
				'$.sessions[*].actions[*].type ? (@.type() == "string")')) AS typed,
			(SELECT sum((e->>'count')::bigint)
			 FROM jsonb_array_elements(r->'actions') e) AS total,
			ARRAY(SELECT e->>'type' FROM jsonb_array_elements(r->'actions')
				  WITH ORDINALITY x(e, i) WHERE i <= 4 ORDER BY i) AS first_four
		  FROM (SELECT doc, account_actions(doc) AS r FROM doc) d) s;
	IF bad > 0 THEN
		RAISE EXCEPTION 'account_actions: % documents with wrong counts', bad;
	END IF;
	RETURN n + m;
END $$;
