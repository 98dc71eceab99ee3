-- allocation.sql: the allocation rules read literally, stated once: a
-- brute-force allocator that test/allocate.sql, test/corrections.sql and
-- test/ids.sql hold allocate_payments(), allocation_corrections() and
-- allocate_payments_typed() against.  Loaded
-- with \ir; in a folder of its own so that pg_prove's test/*.sql does not
-- run it.
--
-- pg_temp.allocation_reference(strategy, partitioned[, pay, acc, tag])
-- allocates the rows of the tables pay and acc (by default the temporary
-- tables payment and accrual of the session that loads it; columns id of
-- any ordered type, date, month, amount numeric, account_id), ties broken
-- by id in its type's order; rows are named in the result by their
-- column tag, an integer (by default id itself).

-- the reference's working tables (created once: a transaction holds a
-- lock for every table it ever created)
CREATE TEMP TABLE ref_balance (tag bigint, balance numeric);
CREATE TEMP TABLE ref_remainder (tag bigint, remainder numeric);
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
CREATE FUNCTION pg_temp.allocation_reference(strategy text, partitioned bool,
	pay text DEFAULT 'payment', acc text DEFAULT 'accrual', tag text DEFAULT 'id')
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
	EXECUTE format('INSERT INTO ref_balance SELECT %I, amount FROM %s WHERE date IS NOT NULL',
				   tag, acc);
	EXECUTE format('INSERT INTO ref_remainder SELECT %I, amount FROM %s', tag, pay);
	FOREACH pass IN ARRAY passes LOOP
		FOR pr IN EXECUTE format(
			'SELECT %I AS tag, date, month, account_id FROM %s WHERE date IS NOT NULL ORDER BY date, id',
			tag, pay)
		LOOP
			-- same month first (in its passes), then any
			FOR ar IN EXECUTE format($q$
				SELECT a.%1$I AS tag, 1 AS part, a.date, a.id FROM %2$s a
				WHERE $1 IN ('both', 'month') AND a.month = $2 AND a.date < $3
				  AND (NOT $4 OR a.account_id = $5)
				UNION ALL
				SELECT a.%1$I, 2, a.date, a.id FROM %2$s a
				WHERE $1 IN ('both', 'oldest') AND a.date < $3
				  AND (NOT $4 OR a.account_id = $5)
				ORDER BY 2, 3, 4$q$, tag, acc)
				USING pass, pr.month, pr.date, partitioned, pr.account_id
			LOOP
				SELECT least(r.remainder, b.balance) INTO x
				FROM ref_remainder r, ref_balance b
				WHERE r.tag = pr.tag AND b.tag = ar.tag;
				CONTINUE WHEN x = 0;
				UPDATE ref_remainder r SET remainder = r.remainder - x WHERE r.tag = pr.tag;
				UPDATE ref_balance b SET balance = b.balance - x WHERE b.tag = ar.tag;
				INSERT INTO ref_row (payment_id, accrual_id, amount, matched_by)
				VALUES (pr.tag, ar.tag, x, CASE ar.part WHEN 1 THEN 'month' ELSE 'oldest' END);
			END LOOP;
		END LOOP;
	END LOOP;
	INSERT INTO ref_row (payment_id, accrual_id, amount, matched_by)
	SELECT r.tag, NULL, r.remainder, NULL FROM ref_remainder r
	WHERE r.remainder > 0 OR NOT EXISTS (
		SELECT 1 FROM ref_row w WHERE w.payment_id = r.tag);
	RETURN QUERY EXECUTE format($q$
		SELECT row_number() OVER (ORDER BY
				CASE WHEN $1 THEN p.account_id END NULLS LAST,
				p.date NULLS LAST, p.id, w.seq),
			w.payment_id, w.accrual_id, w.amount, w.matched_by,
			CASE WHEN $1 THEN p.account_id::text END
		FROM ref_row w JOIN %s p ON p.%I = w.payment_id$q$, pay, tag)
		USING partitioned;
END $$;
