-- allocation.sql: the allocation rules read literally, stated once: a
-- brute-force allocator that test/allocate.sql and test/corrections.sql
-- hold allocate_payments() and allocation_corrections() against.  Loaded
-- with \ir; in a folder of its own so that pg_prove's test/*.sql does not
-- run it.
--
-- pg_temp.allocation_reference(strategy, partitioned) allocates the rows
-- of the temporary tables payment and accrual (columns id int, date,
-- month int, amount numeric, account_id int) of the session that loads it.

-- the reference's working tables (created once: a transaction holds a
-- lock for every table it ever created)
CREATE TEMP TABLE ref_balance (id int, date date, month int, balance numeric, account_id int);
CREATE TEMP TABLE ref_remainder (id int, remainder numeric);
CREATE TEMP TABLE ref_row (seq int GENERATED ALWAYS AS IDENTITY, payment_id bigint,
	accrual_id bigint, amount numeric, matched_by text);

-- The rules read literally, one query per step: payments one at a time in
-- (date, id) order, each allocation the least of what the payment has left
-- and what the accrual still owes, accruals in (date, id) order.  'both'
-- is sequential's single pass; month_first runs 'month' then 'oldest'.
-- With partitioned, a payment only reaches accruals of its own non-NULL
-- account.  Rows come out numbered in the order the rules give: payments
-- by (account, date, id) (NULLs last), each payment's allocations in the
-- order made, then its unallocated amount.
CREATE FUNCTION pg_temp.allocation_reference(strategy text, partitioned bool)
RETURNS TABLE (ord bigint, payment_id bigint, accrual_id bigint, amount numeric,
			   matched_by text, partition_key text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	pr record;
	ar record;
	x numeric;
	passes text[] := CASE strategy WHEN 'sequential' THEN ARRAY['both']
		ELSE ARRAY['month', 'oldest'] END;
	pass text;
BEGIN
	TRUNCATE ref_balance, ref_remainder;
	TRUNCATE ref_row RESTART IDENTITY;
	INSERT INTO ref_balance
		SELECT a.id, a.date, a.month, a.amount, a.account_id
		FROM accrual a WHERE a.date IS NOT NULL;
	INSERT INTO ref_remainder SELECT p.id, p.amount FROM payment p;
	FOREACH pass IN ARRAY passes LOOP
		FOR pr IN SELECT * FROM payment WHERE date IS NOT NULL ORDER BY date, id LOOP
			-- same month first (in its passes), then any
			FOR ar IN
				SELECT b.id, 1 AS part, b.date FROM ref_balance b
				WHERE pass IN ('both', 'month') AND b.month = pr.month
				  AND b.date < pr.date
				  AND (NOT partitioned OR b.account_id = pr.account_id)
				UNION ALL
				SELECT b.id, 2, b.date FROM ref_balance b
				WHERE pass IN ('both', 'oldest') AND b.date < pr.date
				  AND (NOT partitioned OR b.account_id = pr.account_id)
				ORDER BY 2, 3, 1
			LOOP
				SELECT least(r.remainder, b.balance) INTO x
				FROM ref_remainder r, ref_balance b
				WHERE r.id = pr.id AND b.id = ar.id;
				CONTINUE WHEN x = 0;
				UPDATE ref_remainder r SET remainder = r.remainder - x WHERE r.id = pr.id;
				UPDATE ref_balance b SET balance = b.balance - x WHERE b.id = ar.id;
				INSERT INTO ref_row (payment_id, accrual_id, amount, matched_by)
				VALUES (pr.id, ar.id, x, CASE ar.part WHEN 1 THEN 'month' ELSE 'oldest' END);
			END LOOP;
		END LOOP;
	END LOOP;
	INSERT INTO ref_row (payment_id, accrual_id, amount, matched_by)
	SELECT r.id, NULL, r.remainder, NULL FROM ref_remainder r
	WHERE r.remainder > 0 OR NOT EXISTS (
		SELECT 1 FROM ref_row w WHERE w.payment_id = r.id);
	RETURN QUERY
	SELECT row_number() OVER (ORDER BY
			CASE WHEN partitioned THEN p.account_id END NULLS LAST,
			p.date NULLS LAST, p.id, w.seq),
		w.payment_id, w.accrual_id, w.amount, w.matched_by,
		CASE WHEN partitioned THEN p.account_id::text END
	FROM ref_row w JOIN payment p ON p.id = w.payment_id;
END $$;
