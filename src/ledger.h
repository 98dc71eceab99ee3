/*-------------------------------------------------------------------------
 *
 * ledger.h
 *	  A ledger of allocations, as allocation_corrections() reads it
 *	  (ledger.c): every row, indexed by partition key and payment, amounts
 *	  summed where they are compared.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ACCMATCH_LEDGER_H
#define ACCMATCH_LEDGER_H

#include "match.h"

#include "utils/sortsupport.h"

/*
 * How a ledger row was matched: matched_by 'month' or 'oldest' (the
 * result kinds), NULL, or another text (LEDGER_OTHER + its number).
 */
#define LEDGER_OTHER	RESULT_KINDS

/* The number of the NULL partition key: after every key's. */
#define LEDGER_NULL_KEY		PG_INT32_MAX

/* A ledger row, but for its partition key and payment (see Ledger). */
typedef struct LedgerEntry
{
	int64		acc;			/* accrual_id: as Ledger's ids keep it */
	int64		amount;			/* in units of 10^-scale */
	int32		kind;
	bool		acc_null;
	bool		used;			/* compared with the run's rows */
} LedgerEntry;

/*
 * The rows of a ledger.  items are sorted by partition key (date: the
 * key's number, the keys' texts in byte order from 1, then NULL) and
 * payment_id (id); an item's match is the index of its entry.  Ids of
 * the integer types are kept as their values, others as positions in
 * pay_ids and acc_ids.
 */
typedef struct Ledger
{
	const char *relname;
	MatchRow   *items;
	LedgerEntry *entries;
	int64		n;
	int64		cap;
	int			scale;			/* of every amount */
	int			column_scale;	/* decimal places the amount column keeps,
								 * or -1 for any */
	char	  **keys;			/* key k's text is keys[k - 1] */
	int32		nkeys;
	char	  **kinds;			/* LEDGER_OTHER + i's text is kinds[i] */
	int32		nkinds;
	bool		integer_ids;
	MatchIds   *pay_ids;
	MatchIds   *acc_ids;
	SortSupportData pay_order;	/* other ids: the payments' id order */
	SortSupportData acc_order;	/* and the accruals' */
} Ledger;

extern Ledger *ledger_read(Oid relid, MatchTable *pay, MatchTable *acc,
						   Oid result_type, MemoryContext cxt);
extern int32 ledger_key(const Ledger *ledger, const char *key);
extern void ledger_find_group(Ledger *ledger, int32 key, const MatchRow *rows,
							  int32 n, const MatchIds *run_ids, int32 *first);
extern int64 ledger_payment_end(Ledger *ledger, int64 lo, int32 key,
								int64 run_id, const MatchIds *run_ids);
extern int	ledger_compare_acc(Ledger *ledger, const LedgerEntry *e,
							   int64 run_acc, const MatchIds *run_ids);
extern Datum ledger_pay_datum(const Ledger *ledger, int64 pay);
extern Datum ledger_acc_datum(const Ledger *ledger, const LedgerEntry *e);

#endif							/* ACCMATCH_LEDGER_H */
