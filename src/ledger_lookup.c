/*-------------------------------------------------------------------------
 *
 * ledger_lookup.c
 *	  Finding the rows of the ledger read by ledger.c: a partition key's
 *	  number, the rows of each payment of a group, and the ids of a
 *	  ledger row compared with the run's, or as the result returns them.
 *
 *-------------------------------------------------------------------------
 */
#include "ledger.h"

#include "miscadmin.h"

/*
 * The number of a partition key (text, or NULL) among the ledger's:
 * LEDGER_NULL_KEY for NULL, -1 when no ledger row has it.
 */
int32
ledger_key(const Ledger *ledger, const char *key)
{
	int32		lo = 0,
				hi = ledger->nkeys;

	if (key == NULL)
		return LEDGER_NULL_KEY;
	while (lo < hi)
	{
		int32		mid = (lo + hi) / 2;
		int			c = strcmp(ledger->keys[mid], key);

		if (c == 0)
			return mid + 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * Compare item i's payment with the run's payment of id run_id (its value,
 * or its rank in run_ids) under key.
 */
static inline int
compare_payment(Ledger *ledger, int64 i, int32 key, int64 run_id,
				const MatchIds *run_ids)
{
	const MatchRow *item = &ledger->items[i];

	if (item->date != key)
		return item->date < key ? -1 : 1;
	if (ledger->integer_ids)
		return item->id < run_id ? -1 : item->id > run_id ? 1 : 0;
	return ApplySortComparator(match_ids_datum(ledger->pay_ids, item->id),
							   false, match_ids_datum(run_ids, run_id), false,
							   &ledger->pay_order);
}

/*
 * The first item of key (ledger->n when none): items are sorted by key.
 */
static int64
key_start(const Ledger *ledger, int32 key)
{
	int64		a = 0,
				b = ledger->n;

	while (a < b)
	{
		int64		mid = a + (b - a) / 2;

		if (ledger->items[mid].date < key)
			a = mid + 1;
		else
			b = mid;
	}
	return a;
}

/*
 * The first item under key of each of the run's n payments rows (ids in
 * run_ids): first[i] for rows[i], or -1 when the ledger has none.  The
 * payments, sorted by id, are merged with the key's items, which are:
 * one pass over each, where a search per payment would jump about the
 * ledger.
 */
void
ledger_find_group(Ledger *ledger, int32 key, const MatchRow *rows, int32 n,
				  const MatchIds *run_ids, int32 *first)
{
	MatchRow   *byid = palloc_extended(Max(n, 1) * sizeof(MatchRow),
									   MCXT_ALLOC_HUGE);
	int64		item = key_start(ledger, key);

	for (int32 i = 0; i < n; i++)
	{
		byid[i].date = 0;
		byid[i].id = rows[i].id;
		byid[i].month = 0;
		byid[i].match = i;
	}
	match_sort_rows(byid, n);
	for (int32 i = 0; i < n; i++)
	{
		int			c = -1;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		while (item < ledger->n &&
			   (c = compare_payment(ledger, item, key, byid[i].id, run_ids)) < 0)
			item++;
		first[byid[i].match] = (item < ledger->n && c == 0) ? (int32) item : -1;
	}
	pfree(byid);
}

/*
 * The end of the items of the run's payment of id run_id under key that
 * start at lo (see ledger_find_group()).
 */
int64
ledger_payment_end(Ledger *ledger, int64 lo, int32 key, int64 run_id,
				   const MatchIds *run_ids)
{
	int64		hi = lo + 1;

	while (hi < ledger->n &&
		   compare_payment(ledger, hi, key, run_id, run_ids) == 0)
		hi++;
	return hi;
}

/*
 * Compare a ledger row's accrual (not NULL) with the run's accrual of id
 * run_acc (its value, or its rank in run_ids).
 */
int
ledger_compare_acc(Ledger *ledger, const LedgerEntry *e, int64 run_acc,
				   const MatchIds *run_ids)
{
	if (ledger->integer_ids)
		return e->acc < run_acc ? -1 : e->acc > run_acc ? 1 : 0;
	return ApplySortComparator(match_ids_datum(ledger->acc_ids, e->acc), false,
							   match_ids_datum(run_ids, run_acc), false,
							   &ledger->acc_order);
}

/*
 * The payment_id of an item as a Datum of the result's type (bigint for
 * integer ids).
 */
Datum
ledger_pay_datum(const Ledger *ledger, int64 pay)
{
	if (ledger->integer_ids)
		return Int64GetDatum(pay);
	return match_ids_datum(ledger->pay_ids, pay);
}

/*
 * The accrual_id of an entry (not NULL), likewise.
 */
Datum
ledger_acc_datum(const Ledger *ledger, const LedgerEntry *e)
{
	if (ledger->integer_ids)
		return Int64GetDatum(e->acc);
	return match_ids_datum(ledger->acc_ids, e->acc);
}
