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

-- Check one matching against the snapshot it was computed from, in the
-- same REPEATABLE READ transaction, by the properties any valid matching
-- has; raise (so pgbench counts a failure) if one does not hold.  Returns
-- the number of payments.
CREATE FUNCTION check_matching(strategy text, partition_by text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	keyed boolean := partition_by IS NOT NULL;
	n bigint;
	bad bigint;
BEGIN
	IF current_setting('transaction_isolation') <> 'repeatable read' THEN
		RAISE EXCEPTION 'check_matching() needs a REPEATABLE READ transaction';
	END IF;
	IF partition_by IS DISTINCT FROM 'account' AND keyed THEN
		RAISE EXCEPTION 'check_matching() partitions by account only';
	END IF;
	IF to_regclass('pg_temp.cc_match') IS NULL THEN
		CREATE TEMP TABLE cc_match (payment_id bigint, accrual_id bigint,
			matched_by text, partition_key text) ON COMMIT DELETE ROWS;
	END IF;
	DELETE FROM cc_match;		-- an earlier call in this transaction

	INSERT INTO cc_match
	SELECT * FROM match_payments('payment', 'accrual', strategy, partition_by);

	-- every payment exactly once
	SELECT count(*) INTO n FROM payment;
	SELECT count(*) INTO bad
	FROM payment p FULL JOIN cc_match m ON m.payment_id = p.id
	WHERE p.id IS NULL OR m.payment_id IS NULL;
	IF bad > 0 OR (SELECT count(*) FROM cc_match) <> n THEN
		RAISE EXCEPTION '%: % rows for % payments, % unpaired',
			strategy, (SELECT count(*) FROM cc_match), n, bad;
	END IF;

	-- one-to-one
	SELECT count(*) INTO bad FROM (
		SELECT accrual_id FROM cc_match WHERE accrual_id IS NOT NULL
		GROUP BY accrual_id HAVING count(*) > 1) x;
	IF bad > 0 THEN
		RAISE EXCEPTION '%: % accruals paid twice', strategy, bad;
	END IF;

	-- an existing, strictly earlier accrual of the same account; matched_by
	-- set exactly when matched, 'month' for the same month, 'oldest' for
	-- another; partition_key the payment's account
	SELECT count(*) INTO bad
	FROM cc_match m
	JOIN payment p ON p.id = m.payment_id
	LEFT JOIN accrual a ON a.id = m.accrual_id
	WHERE (m.accrual_id IS NULL) <> (m.matched_by IS NULL)
	   OR (m.accrual_id IS NOT NULL AND (
			a.id IS NULL
			OR NOT (a.date < p.date)
			OR (m.matched_by = 'month' AND (a.month = p.month) IS NOT TRUE)
			OR (m.matched_by = 'oldest' AND (a.month = p.month) IS TRUE)
			OR m.matched_by NOT IN ('month', 'oldest')
			OR (keyed AND (a.account = p.account) IS NOT TRUE)))
	   OR m.partition_key IS DISTINCT FROM CASE WHEN keyed THEN p.account::text END;
	IF bad > 0 THEN
		RAISE EXCEPTION '%: % matches break the rules', strategy, bad;
	END IF;

	-- no unmatched payment with a date could have paid an accrual that is
	-- still unpaid (accruals only ever get paid, so one unpaid at the end
	-- was unpaid when the payment came)
	SELECT count(*) INTO bad
	FROM (SELECT CASE WHEN keyed THEN p.account ELSE 0 END AS k, max(p.date) AS d
		  FROM payment p JOIN cc_match m ON m.payment_id = p.id
		  WHERE m.accrual_id IS NULL AND p.date IS NOT NULL
		  GROUP BY 1) up
	JOIN (SELECT CASE WHEN keyed THEN a.account ELSE 0 END AS k, min(a.date) AS d
		  FROM accrual a
		  WHERE a.date IS NOT NULL
		    AND NOT EXISTS (SELECT 1 FROM cc_match m WHERE m.accrual_id = a.id)
		  GROUP BY 1) ua ON ua.k = up.k
	WHERE ua.d < up.d;
	IF bad > 0 THEN
		RAISE EXCEPTION '%: % groups leave an earlier accrual unpaid', strategy, bad;
	END IF;

	-- the same call again sees the same snapshot and gives the same rows
	SELECT count(*) INTO bad FROM (
		(SELECT * FROM match_payments('payment', 'accrual', strategy, partition_by)
		 EXCEPT ALL SELECT * FROM cc_match)
		UNION ALL
		(SELECT * FROM cc_match
		 EXCEPT ALL SELECT * FROM match_payments('payment', 'accrual', strategy, partition_by))) x;
	IF bad > 0 THEN
		RAISE EXCEPTION '%: a second call in the same snapshot differs in % rows',
			strategy, bad;
	END IF;

	RETURN n;
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
