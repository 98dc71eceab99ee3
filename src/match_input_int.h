/*-------------------------------------------------------------------------
 *
 * match_input_int.h
 *	  Private to the input side of match_payments(): match_input.c drives
 *	  the three files declared here, which never call one another's
 *	  entry points nor match_input.c's:
 *
 *	match_rows.c	a row's values into a group's compact rows (MatchBuild)
 *	match_keys.c	numbering partition keys, grouping rows by key (KeyMap)
 *	match_spill.c	rows in batches by key range on temporary files
 *
 *-------------------------------------------------------------------------
 */
#ifndef MATCH_INPUT_INT_H
#define MATCH_INPUT_INT_H

#include "match.h"

#include "executor/tuptable.h"
#include "tcop/dest.h"
#include "utils/sortsupport.h"

/* Column positions in the queries that read the tables. */
#define COL_ID		1
#define COL_DATE	2
#define COL_MONTH	3
#define COL_KEY		4			/* with partition_by; the amount follows */

/* The two tables, as indexes of arrays of both. */
#define SIDE_ACC	0
#define SIDE_PAY	1

/* The partition key's type and its btree order (under the key collation). */
typedef struct MatchKeyType
{
	Oid			type;
	Oid			collation;
	int16		typlen;
	bool		typbyval;
	SortSupportData ssup;		/* the btree comparison, without fmgr */
	Oid			out_func;
} MatchKeyType;

/*
 * Compare two non-NULL partition keys with the type's btree comparison
 * (through its sort support, which for the common types skips a function
 * call: it runs once or more per row read).
 */
static inline int
match_key_compare(const MatchKeyType *kt, Datum a, Datum b)
{
	return ApplySortComparator(a, false, b, false,
							   unconstify(SortSupportData *, &kt->ssup));
}

/* ---- partition keys (match_keys.c) ---- */

/*
 * While rows are grouped in memory, match holds the key, so these months
 * mark a payment without a date, a row without a key, a payment without
 * either, and an accrual without a date kept for its amount's scale.
 * Month numbers are -1 or more.
 */
#define GROUPED_NULL_DATE		(-2)
#define GROUPED_NULL_KEY		(-3)
#define GROUPED_NULL_KEY_DATE	(-4)
#define GROUPED_ACC_NULL_DATE	(-5)

typedef struct KeyMap KeyMap;

extern KeyMap *keys_create(MatchKeyType *kt, MemoryContext cxt);
extern void keys_reset(KeyMap *keys);
extern void keys_note_row(KeyMap *keys, MatchRow *row, Datum key,
						  bool isnull, bool is_payment,
						  MatchRows *acc, MatchRows *pay);
extern int32 keys_group(KeyMap *keys, MatchRows *acc, MatchRows *pay,
						int32 **acc_start, int32 **pay_start);
extern char *keys_text(KeyMap *keys, int32 g);
extern int32 keys_restore_marks(MatchRows *rows, int64 start, int32 n,
								bool is_payment);

/* ---- a row's values into compact rows (match_rows.c) ---- */

/* Turns a column's Datum into the int64 a MatchRow keeps. */
typedef int64 (*MatchValueFn) (Datum value);

extern MatchValueFn match_value_fn(Oid type);

/* The state of reading both tables' rows into a group. */
typedef struct MatchBuild
{
	MatchTable *table[2];		/* by side */
	MatchRows  *out[2];
	MatchIds   *ids[2];
	MatchValueFn date_value;
	MonthMap   *months;			/* accruals number, payments look up */
	KeyMap	   *keys;			/* NULL without partition_by */
	MatchGroup *group;			/* amount_scale */
	int			amount_col;		/* query column, 0 when not read */
	bool		own_scale;		/* amounts kept with their own scale */
	bool		keep_null_dates;	/* accruals without a date kept */
	int64		expected[2];	/* first array sizes */
	MemoryContext cxt;			/* where the arrays grow */
	MemoryContext row_cxt;		/* reset every so many rows */
	Size		limit;			/* memory held that stops reading, or 0 */
	MemoryContext limit_cxt;	/* the memory counted */
	bool		full;			/* stopped at limit */
	uint64		nrows;
} MatchBuild;

extern void match_build_row(MatchBuild *b, int side, const Datum *values,
							const bool *isnull);
extern void match_build_reserve(MatchBuild *b, int side, int64 n);
extern DestReceiver *match_build_receiver(MatchBuild *b, int side);
extern void match_build_scale_group(MatchBuild *b, MatchGroup *group);

/* ---- batches on temporary files (match_spill.c) ---- */

typedef struct MatchSpill MatchSpill;

extern MatchSpill *match_spill_create(MatchKeyType *kt, int key_col,
									  MemoryContext cxt);
extern void match_spill_bounds(MatchSpill *spill, Oid relid,
							   AttrNumber attnum, int nbatches);
extern DestReceiver *match_spill_receiver(MatchSpill *spill, int side);
extern bool match_spill_next(MatchSpill *spill, Size limit, Size row_bytes);
extern TupleTableSlot *match_spill_read(MatchSpill *spill, int side);
extern int64 match_spill_rows(MatchSpill *spill, int side);
extern int	match_spill_batches(MatchSpill *spill);
extern void match_spill_close(MatchSpill *spill);

#endif							/* MATCH_INPUT_INT_H */
