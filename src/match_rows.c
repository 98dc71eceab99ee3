/*-------------------------------------------------------------------------
 *
 * match_rows.c
 *	  One input row's column values into the compact rows of a group (see
 *	  MatchRows in match.h): its id (match_ids.c), date, month number
 *	  (match_months.c), partition key (match_keys.c) and amount
 *	  (allocate_amount.c).
 *
 * Rows arrive from the executor's slots (match_build_receiver(), a
 * DestReceiver, so that no tuple is formed or copied for them) or from
 * batches on temporary files (match_spill.c); match_input.c decides which.
 * The arrays are sized once from the planner's estimate and kept from one
 * batch to the next.
 *
 * Amounts are exact integers in units of 10^-scale.  Without partition_by,
 * and with it when the columns' types fix one scale for every amount, all
 * amounts read so far share the largest scale seen (older ones are
 * rescaled when a larger one turns up).  Otherwise each account takes the
 * largest scale among its own amounts, so each amount is kept at its own
 * scale, packed as (value << AMOUNT_SCALE_BITS) | scale, until its group
 * is yielded and brought to the group's scale (match_build_scale_group()).
 *
 *-------------------------------------------------------------------------
 */
#include "match_input_int.h"
#include "compat.h"

#ifndef WIN32
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

/* Bits of a packed amount that hold its own scale (up to 18). */
#define AMOUNT_SCALE_BITS	5
#define AMOUNT_PACKED_MAX	((INT64CONST(1) << (63 - AMOUNT_SCALE_BITS)) - 1)

/* Rows between resets of the memory that reading a row may use. */
#define MATCH_RESET_ROWS	10000

/* Rows between checks of the memory held against the limit. */
#define MATCH_LIMIT_ROWS	4096

/* Arrays at least this large are offered huge pages (see advise_huge()). */
#define MATCH_HUGE_ARRAY	(4 * 1024 * 1024)

/*
 * Value converters, one per width of the accepted date types: a date is an
 * int32 day number, a timestamp or timestamptz an int64.
 */
static int64
int4_value(Datum value)
{
	return (int64) DatumGetInt32(value);
}

static int64
int8_value(Datum value)
{
	return DatumGetInt64(value);
}

/*
 * The converter of a date column of the given (base) type.
 */
MatchValueFn
match_value_fn(Oid type)
{
	return type == DATEOID ? int4_value : int8_value;
}

/*
 * Ask the kernel to back a large array with huge pages where it offers
 * them on request (Linux's transparent huge pages in "madvise" mode, its
 * usual default): a row array is written once, from end to end, right
 * after it is allocated, and faulting it in by pages of 4 kB is costly.
 * Only the whole pages inside the array are advised; the advice changes
 * no content, and a kernel that declines it changes nothing.
 */
static void
advise_huge(void *array, Size size)
{
#if defined(MADV_HUGEPAGE) && defined(_SC_PAGESIZE)
	static uintptr_t page = 0;
	uintptr_t	start;
	uintptr_t	end;

	if (size < MATCH_HUGE_ARRAY)
		return;
	if (page == 0)
	{
		long		p = sysconf(_SC_PAGESIZE);

		page = p > 0 ? (uintptr_t) p : 4096;
	}
	start = ((uintptr_t) array + page - 1) & ~(page - 1);
	end = ((uintptr_t) array + size) & ~(page - 1);
	if (end > start)
		(void) madvise((void *) start, end - start, MADV_HUGEPAGE);
#endif
}

/*
 * Make room for one more row of a side: the first array holds the
 * planner's estimate of its rows, so that large arrays are rarely copied;
 * it then grows by half.
 */
static inline void
rows_reserve(MatchBuild *b, int side)
{
	MatchRows  *out = b->out[side];
	int64		cap;

	if (out->n < out->cap)
		return;

	if (out->rows == NULL)
		cap = Max(b->expected[side], 1024);
	else
		cap = out->cap + out->cap / 2;
	if (out->n >= PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("relation \"%s\" has too many rows to match",
						b->table[side]->relname)));
	cap = Min(cap, PG_INT32_MAX);
	if (out->rows == NULL)
		out->rows = MemoryContextAllocHuge(b->cxt, cap * sizeof(MatchRow));
	else
		out->rows = repalloc_huge(out->rows, cap * sizeof(MatchRow));
	if (b->amount_col != 0)
		out->amount = out->amount == NULL ?
			MemoryContextAllocHuge(b->cxt, cap * sizeof(int64)) :
			repalloc_huge(out->amount, cap * sizeof(int64));
	out->cap = cap;
	advise_huge(out->rows, cap * sizeof(MatchRow));
	if (out->amount)
		advise_huge(out->amount, cap * sizeof(int64));
}

/*
 * Make the arrays of a side hold at least n rows, exactly n when they must
 * grow: a batch of a known size is read next.
 */
void
match_build_reserve(MatchBuild *b, int side, int64 n)
{
	MatchRows  *out = b->out[side];

	if (n <= out->cap)
		return;
	if (out->n == 0 && out->rows != NULL)
	{
		pfree(out->rows);
		if (out->amount)
			pfree(out->amount);
		out->rows = NULL;
		out->amount = NULL;
		out->cap = 0;
	}
	b->expected[side] = n;
	while (out->cap < n)
	{
		out->n = out->cap;		/* rows_reserve() grows a full array */
		rows_reserve(b, side);
	}
	out->n = 0;
}

/*
 * An id value as text, for a message.
 */
static char *
id_text(MatchTable *t, Datum id)
{
	Oid			out;
	bool		isvarlena;

	getTypeOutputInfo(t->id_type, &out, &isvarlena);
	return OidOutputFunctionCall(out, id);
}

/*
 * Report an amount that allocate_payments() cannot take, in the row of
 * the given id (as text) of table t.
 */
pg_noreturn static void
bad_amount(MatchTable *t, const char *id, AmountStatus status)
{
	switch (status)
	{
		case AMOUNT_NEGATIVE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("negative amount in the row with id %s of relation \"%s\"",
							id, t->relname),
					 errdetail("Amounts must be zero or positive.")));
			break;
		case AMOUNT_NAN:
		case AMOUNT_INFINITE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s amount in the row with id %s of relation \"%s\"",
							status == AMOUNT_NAN ? "NaN" : "infinite",
							id, t->relname),
					 errdetail("Amounts must be finite numbers.")));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("amount in the row with id %s of relation \"%s\" is out of range",
							id, t->relname),
					 errdetail("Amounts are computed exactly as 64-bit integers at the largest scale among them, at most %d: about 18 significant digits.",
							   AMOUNT_MAX_SCALE)));
			break;
	}
}

/*
 * Bring the amounts of rows read so far to a larger scale.
 */
static void
rescale_amounts(MatchRows *rows, MatchTable *t, MatchIds *ids, int from,
				int to)
{
	for (int64 i = 0; i < rows->n; i++)
	{
		if (!amount_rescale(&rows->amount[i], from, to))
			bad_amount(t, match_ids_text(ids, rows->rows[i].id),
					   AMOUNT_OUT_OF_RANGE);
	}
}

/*
 * The amount of a row of the given id, as the rows keep it: packed with
 * its own scale (own_scale), or in units of 10^-(the group's scale), the
 * largest seen so far, the amounts read before of both tables brought to a
 * larger one when it turns up.  A NULL, negative or non-finite amount is
 * an error.
 */
static int64
read_amount(MatchBuild *b, int side, Datum value, bool isnull, Datum id)
{
	MatchTable *t = b->table[side];
	MatchGroup *group = b->group;
	int64		amount;
	int			scale;
	AmountStatus status;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("null value in column \"%s\" of relation \"%s\"",
						t->amount_column, t->relname),
				 errdetail("Every %s must have an amount.",
						   t->is_payment ? "payment" : "accrual")));
	status = amount_from_datum(value, t->amount_type, false, &amount, &scale);
	if (status != AMOUNT_OK)
		bad_amount(t, id_text(t, id), status);
	if (b->own_scale)
	{
		if (amount > AMOUNT_PACKED_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("amount in the row with id %s of relation \"%s\" is out of range",
							id_text(t, id), t->relname),
					 errdetail("With partition_by and amounts of no scale fixed by the columns' types, amounts are held up to %lld units of their own scale.",
							   (long long) AMOUNT_PACKED_MAX),
					 errhint("Declare both amount columns numeric(p, s) with one s.")));
		return (amount << AMOUNT_SCALE_BITS) | scale;
	}
	if (scale > group->amount_scale)
	{
		for (int s = 0; s < 2; s++)
			rescale_amounts(b->out[s], b->table[s], b->ids[s],
							group->amount_scale, scale);
		group->amount_scale = scale;
	}
	else if (!amount_rescale(&amount, scale, group->amount_scale))
		bad_amount(t, id_text(t, id), AMOUNT_OUT_OF_RANGE);
	return amount;
}

/*
 * Append one row of a side, given its columns (values and isnull indexed
 * by query column number - 1).
 *
 * Payments keep NULL-date rows (marked MATCH_NULL_DATE); accruals drop
 * them, since they can never be paid, unless keep_null_dates asks to keep
 * them (marked GROUPED_ACC_NULL_DATE in month) for their amount's scale.
 * Accrual months get numbers; payment months are only looked up.  A NULL
 * id is an error.  The amount, when read, is checked for every row, the
 * dropped accruals too.
 */
void
match_build_row(MatchBuild *b, int side, const Datum *values,
				const bool *isnull)
{
	bool		is_payment = (side == SIDE_PAY);
	MatchRows  *out = b->out[side];
	bool		no_date = isnull[COL_DATE - 1];
	int64		amount = 0;
	MatchRow   *row;

	if (isnull[COL_ID - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("null value in column \"id\" of relation \"%s\"",
						b->table[side]->relname),
				 errdetail("Every %s must have an id.",
						   is_payment ? "payment" : "accrual")));
	if (b->amount_col)
		amount = read_amount(b, side, values[b->amount_col - 1],
							 isnull[b->amount_col - 1], values[COL_ID - 1]);
	if (no_date && !is_payment && !b->keep_null_dates)
		return;

	rows_reserve(b, side);
	row = &out->rows[out->n];
	row->id = match_ids_add(b->ids[side], values[COL_ID - 1]);
	if (no_date)
	{
		row->date = 0;
		row->match = is_payment ? MATCH_NULL_DATE : ACCRUAL_UNPAID;
	}
	else
	{
		row->date = b->date_value(values[COL_DATE - 1]);
		row->match = is_payment ? MATCH_NONE : ACCRUAL_UNPAID;
	}
	if (no_date && !is_payment)
		row->month = GROUPED_ACC_NULL_DATE;
	else
		row->month = isnull[COL_MONTH - 1] ? -1 :
			month_map_number(b->months, values[COL_MONTH - 1], !is_payment);
	if (b->amount_col)
		out->amount[out->n] = amount;
	if (b->keys)
		keys_note_row(b->keys, row, values[COL_KEY - 1], isnull[COL_KEY - 1],
					  is_payment, b->out[SIDE_ACC], b->out[SIDE_PAY]);
	out->n++;
}

/*
 * Bring the amounts of a group kept with their own scale (own_scale) to
 * the largest scale among them, the group's.  Nothing to do otherwise:
 * they share the scale of every amount read.
 */
void
match_build_scale_group(MatchBuild *b, MatchGroup *group)
{
	MatchRows  *sides[2] = {&group->acc, &group->pay};
	int			scale = 0;

	if (!b->own_scale)
		return;
	for (int s = 0; s < 2; s++)
		for (int64 i = 0; i < sides[s]->n; i++)
			scale = Max(scale, (int) (sides[s]->amount[i] &
									  ((1 << AMOUNT_SCALE_BITS) - 1)));
	for (int s = 0; s < 2; s++)
	{
		for (int64 i = 0; i < sides[s]->n; i++)
		{
			int64	   *a = &sides[s]->amount[i];
			int			own = (int) (*a & ((1 << AMOUNT_SCALE_BITS) - 1));

			*a >>= AMOUNT_SCALE_BITS;
			if (!amount_rescale(a, own, scale))
				bad_amount(b->table[s],
						   match_ids_text(b->ids[s], sides[s]->rows[i].id),
						   AMOUNT_OUT_OF_RANGE);
		}
	}
	group->amount_scale = scale;
}

/*
 * Receives the rows of a table straight from the executor's slots.
 */
typedef struct BuildReceiver
{
	DestReceiver pub;
	MatchBuild *b;
	int			side;
} BuildReceiver;

/*
 * Take one row from the executor (see match_build_row()).  Reading stops
 * (false) once the memory held passes the build's limit, if it has one.
 */
static bool
build_receive(TupleTableSlot *slot, DestReceiver *self)
{
	BuildReceiver *r = (BuildReceiver *) self;
	MatchBuild *b = r->b;
	MemoryContext old;

	slot_getallattrs(slot);
	old = MemoryContextSwitchTo(b->row_cxt);
	match_build_row(b, r->side, slot->tts_values, slot->tts_isnull);
	MemoryContextSwitchTo(old);
	if (++b->nrows % MATCH_RESET_ROWS == 0)
		MemoryContextReset(b->row_cxt);
	if (b->limit > 0 && b->nrows % MATCH_LIMIT_ROWS == 0 &&
		MemoryContextMemAllocated(b->limit_cxt, true) > b->limit)
	{
		b->full = true;
		return false;
	}
	return true;
}

/*
 * The receiver needs no setup and holds nothing to release.
 */
static void
build_nothing(DestReceiver *self pg_attribute_unused())
{
}

static void
build_startup(DestReceiver *self pg_attribute_unused(),
			  int operation pg_attribute_unused(),
			  TupleDesc typeinfo pg_attribute_unused())
{
}

/*
 * A DestReceiver that appends the rows of a query on one side's table to
 * the build, in CurrentMemoryContext.
 */
DestReceiver *
match_build_receiver(MatchBuild *b, int side)
{
	BuildReceiver *r = palloc0(sizeof(BuildReceiver));

	r->pub.receiveSlot = build_receive;
	r->pub.rStartup = build_startup;
	r->pub.rShutdown = build_nothing;
	r->pub.rDestroy = build_nothing;
	r->pub.mydest = DestNone;
	r->b = b;
	r->side = side;
	return &r->pub;
}
