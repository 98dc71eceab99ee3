/*-------------------------------------------------------------------------
 *
 * match.c
 *	  match_payments(): decide, for every payment, which accrual it pays.
 *
 * The rules: payments are taken in ascending (date, id).  A payment may pay
 * an accrual that is not yet paid and has a strictly earlier date.  Among
 * those it prefers one of its own month, else the oldest; "oldest" and ties
 * within a month both mean the smallest (date, id).  An accrual is paid at
 * most once; a payment pays at most one accrual.
 *
 * Two readings of "prefers its month" are offered.  'sequential' applies
 * the preference payment by payment in time order.  'month_first' first
 * lets every payment, in time order, take a same-month accrual, then lets
 * the payments still unmatched take the oldest.
 *
 * Both run in O(n log n): the two sides are sorted by (date, id) once; a
 * sweep over the payments moves a boundary through the sorted accruals so
 * that the accruals before it are those dated strictly earlier.  Accruals
 * become eligible in (date, id) order, so the first unpaid accrual of a
 * month (a per-month chain through the sorted array) or of all months (a
 * pointer into it) is the one to pay; chain heads only move forward past
 * paid accruals, so all the skipping costs linear time in total.
 *
 *-------------------------------------------------------------------------
 */
#include "accmatch.h"

#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(match_payments);

#define MATCH_PAYMENTS_COLS	4

typedef enum MatchStrategy
{
	STRATEGY_SEQUENTIAL,
	STRATEGY_MONTH_FIRST
} MatchStrategy;

/* Working data of one call, reused from one partition to the next. */
typedef struct MatchWork
{
	MatchRows	pay;
	MatchRows	acc;
	int32	   *next;			/* per accrual: next accrual of its month */
	int64		next_cap;
	int32	   *head;			/* per month: first accrual not known paid */
	int64		head_cap;
	MemoryContext cxt;
	Tuplestorestate *tupstore;
	TupleDesc	tupdesc;
	Datum		by_month;
	Datum		by_oldest;
} MatchWork;

/*
 * Sort rows by (date, id).  The sort checks for interrupts as it goes, so
 * that a cancel or statement_timeout is honoured within a sort of tens of
 * millions of rows too.
 */
static inline int
compare_rows(const MatchRow *a, const MatchRow *b)
{
	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return 0;
}

#define ST_SORT sort_match_rows
#define ST_ELEMENT_TYPE MatchRow
#define ST_COMPARE(a, b) compare_rows(a, b)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Parse the strategy argument.
 */
static MatchStrategy
parse_strategy(const char *name)
{
	if (strcmp(name, "sequential") == 0)
		return STRATEGY_SEQUENTIAL;
	if (strcmp(name, "month_first") == 0)
		return STRATEGY_MONTH_FIRST;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown matching strategy \"%s\"", name),
			 errhint("Use \"sequential\" or \"month_first\".")));
	return STRATEGY_SEQUENTIAL;	/* keep compiler quiet */
}

/*
 * Fetch a text argument that must not be NULL.
 */
static text *
required_text_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" of match_payments must not be null",
						name)));
	return PG_GETARG_TEXT_PP(argno);
}

/*
 * Make an int32 array hold at least n entries.
 */
static int32 *
reserve_int32(MemoryContext cxt, int32 *array, int64 *cap, int64 n,
			  bool fill_minus_one)
{
	int64		old = *cap;

	if (n <= old)
		return array;
	n = Max(n, old * 2);
	if (array == NULL)
		array = MemoryContextAllocHuge(cxt, n * sizeof(int32));
	else
		array = repalloc_huge(array, n * sizeof(int32));
	if (fill_minus_one)
		memset(array + old, 0xff, (n - old) * sizeof(int32));
	*cap = n;
	return array;
}

/*
 * One sweep over the payments in (date, id) order, skipping those already
 * matched.  With use_month a payment takes the first unpaid accrual of its
 * month that is dated strictly earlier; failing that, with use_oldest, the
 * first unpaid accrual dated strictly earlier.
 */
static void
sweep(MatchWork *w, int32 npay, bool use_month, bool use_oldest)
{
	MatchRow   *pay = w->pay.rows;
	MatchRow   *acc = w->acc.rows;
	int32		nacc = (int32) w->acc.n;
	int32	   *head = w->head;
	int32	   *next = w->next;
	int32		boundary = 0;	/* accruals [0, boundary) are eligible */
	int32		oldest = 0;		/* no unpaid accrual before this one */

	for (int32 p = 0; p < npay; p++)
	{
		int32		pick = -1;

		CHECK_FOR_INTERRUPTS();

		if (pay[p].match != MATCH_NONE)
			continue;

		while (boundary < nacc && acc[boundary].date < pay[p].date)
			boundary++;

		if (use_month && pay[p].month >= 0)
		{
			int32	   *h = &head[pay[p].month];

			while (*h >= 0 && acc[*h].match == ACCRUAL_PAID)
				*h = next[*h];
			if (*h >= 0 && *h < boundary)
				pick = *h;
		}

		if (pick < 0 && use_oldest)
		{
			while (oldest < boundary && acc[oldest].match == ACCRUAL_PAID)
				oldest++;
			if (oldest < boundary)
				pick = oldest;
		}

		if (pick >= 0)
		{
			acc[pick].match = ACCRUAL_PAID;
			pay[p].match = pick;
		}
	}
}

/*
 * Match the payments and accruals in w (one partition, or everything) and
 * append one result row per payment to the tuplestore.
 */
static void
match_group(MatchWork *w, MatchStrategy strategy, int32 nmonths,
			Datum key, bool key_isnull)
{
	MatchRow   *pay = w->pay.rows;
	MatchRow   *acc = w->acc.rows;
	int32		npay = (int32) w->pay.n;
	int32		nacc = (int32) w->acc.n;
	int32		ndated = 0;
	Datum		values[MATCH_PAYMENTS_COLS];
	bool		nulls[MATCH_PAYMENTS_COLS];

	/* payments without a date go last, in id order, and stay unmatched */
	for (int32 i = 0; i < npay; i++)
	{
		if (pay[i].match != MATCH_NULL_DATE)
		{
			MatchRow	tmp = pay[ndated];

			pay[ndated++] = pay[i];
			pay[i] = tmp;
		}
	}
	for (int32 i = ndated; i < npay; i++)
		pay[i].match = MATCH_NONE;
	sort_match_rows(pay, ndated);
	sort_match_rows(pay + ndated, npay - ndated);	/* dates are all 0 */
	sort_match_rows(acc, nacc);

	/* chain the accruals of each month, in (date, id) order */
	w->head = reserve_int32(w->cxt, w->head, &w->head_cap, nmonths, true);
	w->next = reserve_int32(w->cxt, w->next, &w->next_cap, nacc, false);
	for (int32 i = nacc - 1; i >= 0; i--)
	{
		int32		m = acc[i].month;

		if (m >= 0)
		{
			w->next[i] = w->head[m];
			w->head[m] = i;
		}
	}

	if (strategy == STRATEGY_SEQUENTIAL)
		sweep(w, ndated, true, true);
	else
	{
		sweep(w, ndated, true, false);
		sweep(w, ndated, false, true);
	}

	/* leave the month heads empty for the next partition */
	for (int32 i = 0; i < nacc; i++)
	{
		if (acc[i].month >= 0)
			w->head[acc[i].month] = -1;
	}

	memset(nulls, 0, sizeof(nulls));
	if (key_isnull)
		nulls[3] = true;
	else
		values[3] = key;

	for (int32 p = 0; p < npay; p++)
	{
		int32		a = pay[p].match;

		CHECK_FOR_INTERRUPTS();

		values[0] = Int64GetDatum(pay[p].id);
		if (a < 0)
		{
			nulls[1] = nulls[2] = true;
		}
		else
		{
			/*
			 * A payment that took the oldest accrual had no unpaid
			 * same-month accrual at hand, so the oldest is never of its
			 * month: the months tell how it was matched.
			 */
			nulls[1] = nulls[2] = false;
			values[1] = Int64GetDatum(acc[a].id);
			values[2] = (pay[p].month >= 0 && acc[a].month == pay[p].month) ?
				w->by_month : w->by_oldest;
		}
		tuplestore_putvalues(w->tupstore, w->tupdesc, values, nulls);
	}
}

/*
 * match_payments(payments text, accruals text, strategy text,
 *				  partition_by text)
 *
 * Returns one row per payment: (payment_id, accrual_id, matched_by,
 * partition_key), accrual_id and matched_by NULL when the payment found no
 * accrual.  With partition_by, a payment pays only accruals with an equal
 * value in that column, and the partitions are read one at a time.
 */
Datum
match_payments(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *partition_by = NULL;
	MatchStrategy strategy;
	MatchTable	pay;
	MatchTable	acc;
	MatchWork	w;
	MatchReader *pay_reader;
	MatchReader *acc_reader;
	MonthMap   *months;
	MemoryContext old;
	text	   *payments = required_text_arg(fcinfo, 0, "payments");
	text	   *accruals = required_text_arg(fcinfo, 1, "accruals");

	strategy = parse_strategy(text_to_cstring(required_text_arg(fcinfo, 2,
																  "strategy")));
	if (!PG_ARGISNULL(3))
		partition_by = text_to_cstring(PG_GETARG_TEXT_PP(3));

	InitMaterializedSRF(fcinfo, 0);

	match_resolve_table(&pay, "payments", payments, partition_by);
	match_resolve_table(&acc, "accruals", accruals, partition_by);
	match_check_same_types(&pay, &acc, partition_by);

	memset(&w, 0, sizeof(w));
	w.cxt = AllocSetContextCreate(CurrentMemoryContext, "accmatch",
								  ALLOCSET_DEFAULT_SIZES);
	w.tupstore = rsinfo->setResult;
	w.tupdesc = rsinfo->setDesc;
	w.by_month = CStringGetTextDatum("month");
	w.by_oldest = CStringGetTextDatum("oldest");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	old = MemoryContextSwitchTo(w.cxt);

	months = month_map_create(w.cxt, pay.month_type, pay.month_coll);
	acc_reader = match_reader_open(&acc, partition_by, w.cxt);
	pay_reader = match_reader_open(&pay, partition_by, w.cxt);

	if (partition_by == NULL)
	{
		/* accruals first: their months get numbers, payments look them up */
		match_reader_read_group(acc_reader, false, (Datum) 0, months, &w.acc);
		match_reader_read_group(pay_reader, false, (Datum) 0, months, &w.pay);
		match_group(&w, strategy, month_map_count(months), (Datum) 0, true);
	}
	else
	{
		MemoryContext key_cxt = AllocSetContextCreate(w.cxt, "accmatch key",
													  ALLOCSET_SMALL_SIZES);
		Oid			key_type = pay.key_type;
		int16		typlen;
		bool		typbyval;

		get_typlenbyval(key_type, &typlen, &typbyval);

		for (;;)
		{
			Datum		pkey = (Datum) 0,
						akey = (Datum) 0,
						key;
			bool		pnull = false,
						anull = false,
						key_isnull;
			bool		have_pay = match_reader_peek_key(pay_reader, &pkey, &pnull);
			bool		have_acc = match_reader_peek_key(acc_reader, &akey, &anull);

			if (!have_pay && !have_acc)
				break;

			/* the smallest key of the two, NULL sorting last */
			if (!have_acc ||
				(have_pay && !pnull &&
				 (anull || match_reader_compare_keys(pay_reader, pkey, akey) <= 0)))
			{
				key = pkey;
				key_isnull = pnull;
			}
			else
			{
				key = akey;
				key_isnull = anull;
			}

			MemoryContextReset(key_cxt);
			if (!key_isnull)
			{
				MemoryContextSwitchTo(key_cxt);
				key = datumCopy(key, typbyval, typlen);
				MemoryContextSwitchTo(w.cxt);
			}

			w.acc.n = 0;
			w.pay.n = 0;
			match_reader_read_group(acc_reader, key_isnull, key, months, &w.acc);
			match_reader_read_group(pay_reader, key_isnull, key, months, &w.pay);
			if (key_isnull)
				w.acc.n = 0;	/* no key, no payment can pay these */

			if (w.pay.n > 0)
			{
				Datum		key_text = (Datum) 0;

				if (!key_isnull)
				{
					MemoryContextSwitchTo(key_cxt);
					key_text = CStringGetTextDatum(match_reader_key_string(pay_reader, key));
					MemoryContextSwitchTo(w.cxt);
				}
				match_group(&w, strategy, month_map_count(months), key_text,
							key_isnull);
			}
		}
	}

	match_reader_close(pay_reader);
	match_reader_close(acc_reader);

	MemoryContextSwitchTo(old);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	MemoryContextDelete(w.cxt);

	return (Datum) 0;
}
