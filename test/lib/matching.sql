-- matching.sql: the properties every result of match_payments() has,
-- whatever the data and the strategy, stated once.  Loaded with \ir by
-- test/match.sql, test/partition.sql and test/concurrency/setup.sql, and by
-- test/invariants.sql, which shows that each property can fail; it is in a
-- folder of its own so that pg_prove's test/*.sql does not run it.
--
-- matching_invariants(result, payment, accrual, partition_by) checks the
-- rows of the table result (columns strategy, payment_id, accrual_id,
-- matched_by, partition_key: the rows of match_payments() with the strategy
-- that gave them, for any number of strategies) against the tables payment
-- and accrual they were computed from (columns id, date, month, and the
-- partition_by column when given).  It returns one row per property, always
-- the same nine rows in the same order (numbered by property), with the
-- number of rows (or groups) that break it; a test asserts that every count
-- is 0.
CREATE FUNCTION matching_invariants(result regclass, payment regclass,
	accrual regclass, partition_by text DEFAULT NULL)
RETURNS TABLE (property int, description text, violations bigint)
LANGUAGE plpgsql
-- The row estimates on a freshly filled temporary table are far off, and
-- compiling these short queries would take longer than running them.
SET jit = off
AS $$
DECLARE
	keyed boolean := partition_by IS NOT NULL;
	-- the key of a payment and of an accrual: a constant when unpartitioned
	pk text := CASE WHEN keyed THEN format('p.%I', partition_by) ELSE '0' END;
	ak text := CASE WHEN keyed THEN format('a.%I', partition_by) ELSE '0' END;
	-- what partition_key must be
	pkey text := CASE WHEN keyed THEN format('p.%I::text', partition_by) ELSE 'NULL' END;
	c record;
BEGIN
	-- %1$s result, %2$s payment, %3$s accrual, %4$s and %5$s the keys of
	-- p and a, %6$s the expected partition_key
	FOR c IN SELECT * FROM (VALUES
		(1, 'one result row per payment row, for each strategy',
		 $q$SELECT strategy FROM %1$s GROUP BY strategy
			HAVING count(*) <> (SELECT count(*) FROM %2$s)$q$),
		(2, 'every payment appears exactly once',
		 $q$SELECT strategy, payment_id FROM %1$s GROUP BY 1, 2 HAVING count(*) <> 1
			UNION ALL
			SELECT s.strategy, p.id FROM %2$s p, (SELECT DISTINCT strategy FROM %1$s) s
			WHERE NOT EXISTS (SELECT 1 FROM %1$s r
							  WHERE r.strategy = s.strategy AND r.payment_id = p.id)
			UNION ALL
			SELECT r.strategy, r.payment_id FROM %1$s r
			WHERE NOT EXISTS (SELECT 1 FROM %2$s p WHERE p.id = r.payment_id)$q$),
		(3, 'no accrual is paid twice',
		 $q$SELECT strategy, accrual_id FROM %1$s WHERE accrual_id IS NOT NULL
			GROUP BY 1, 2 HAVING count(*) > 1$q$),
		(4, CASE WHEN keyed
			THEN 'every paid accrual exists, has the payment''s key and an earlier date'
			ELSE 'every paid accrual exists and is dated strictly before its payment' END,
		 $q$SELECT r.* FROM %1$s r JOIN %2$s p ON p.id = r.payment_id
			LEFT JOIN %3$s a ON a.id = r.accrual_id
			WHERE r.accrual_id IS NOT NULL
			  AND (a.id IS NULL OR (a.date < p.date) IS NOT TRUE OR (%5$s = %4$s) IS NOT TRUE)$q$),
		(5, 'month matches share the month, oldest matches do not',
		 $q$SELECT r.* FROM %1$s r JOIN %2$s p ON p.id = r.payment_id
			JOIN %3$s a ON a.id = r.accrual_id
			WHERE r.matched_by IS DISTINCT FROM
				CASE WHEN a.month = p.month THEN 'month' ELSE 'oldest' END$q$),
		(6, CASE WHEN keyed
			THEN 'unmatched rows have no matched_by; payments without a key or a date are unmatched'
			ELSE 'unmatched rows have no matched_by; payments without a date are unmatched' END,
		 $q$SELECT r.* FROM %1$s r JOIN %2$s p ON p.id = r.payment_id
			WHERE (r.accrual_id IS NULL) <> (r.matched_by IS NULL)
			   OR (r.accrual_id IS NOT NULL AND (p.date IS NULL OR %4$s IS NULL))$q$),
		(7, CASE WHEN keyed
			THEN 'partition_key is the payment''s key as text'
			ELSE 'partition_key is NULL' END,
		 $q$SELECT r.* FROM %1$s r JOIN %2$s p ON p.id = r.payment_id
			WHERE r.partition_key IS DISTINCT FROM %6$s$q$),
		(8, CASE WHEN keyed
			THEN 'accruals without a key or a date are never paid'
			ELSE 'accruals without a date are never paid' END,
		 $q$SELECT r.* FROM %1$s r JOIN %3$s a ON a.id = r.accrual_id
			WHERE a.date IS NULL OR %5$s IS NULL$q$),
		-- nothing is left on the table: per strategy and key, the latest
		-- unmatched payment is not later than the earliest unpaid accrual
		(9, CASE WHEN keyed
			THEN 'an unmatched payment leaves no earlier accrual of its key unpaid'
			ELSE 'an unmatched payment leaves no earlier accrual unpaid' END,
		 $q$SELECT up.strategy, up.k
			FROM (SELECT r.strategy, %4$s AS k, max(p.date) AS d
				  FROM %1$s r JOIN %2$s p ON p.id = r.payment_id
				  WHERE r.accrual_id IS NULL AND p.date IS NOT NULL AND %4$s IS NOT NULL
				  GROUP BY 1, 2) up
			JOIN (SELECT s.strategy, %5$s AS k, min(a.date) AS d
				  FROM %3$s a, (SELECT DISTINCT strategy FROM %1$s) s
				  WHERE a.date IS NOT NULL AND %5$s IS NOT NULL
					AND NOT EXISTS (SELECT 1 FROM %1$s q
									WHERE q.strategy = s.strategy AND q.accrual_id = a.id)
				  GROUP BY 1, 2) ua ON ua.strategy = up.strategy AND ua.k = up.k
			WHERE ua.d < up.d$q$)
		) v(n, description, query) ORDER BY n
	LOOP
		property := c.n;
		description := c.description;
		EXECUTE format('SELECT count(*) FROM (' || c.query || ') x',
			result, payment, accrual, pk, ak, pkey)
			INTO violations;
		RETURN NEXT;
	END LOOP;
END $$;
