/*-------------------------------------------------------------------------
 *
 * match_core.c
 *	  The matching algorithm over plain arrays of rows: no Datum, no SPI.
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
 * The pieces (sort, chains, sweep) are exported separately, so that another
 * matcher can run its own sweep over the same sorted rows and chains.
 *
 *-------------------------------------------------------------------------
 */
#include "match.h"

#include "miscadmin.h"

/*
 * Order rows by (date, id).
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

/*
 * The sort checks for interrupts as it goes, so that a cancel or
 * statement_timeout is honoured within a sort of tens of millions of rows
 * too.
 */
#define ST_SORT sort_match_rows
#define ST_ELEMENT_TYPE MatchRow
#define ST_COMPARE(a, b) compare_rows(a, b)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Order rows of one date by id: within a bucket of a single date.
 */
#define ST_SORT sort_rows_by_id
#define ST_ELEMENT_TYPE MatchRow
#define ST_COMPARE(a, b) ((a)->id < (b)->id ? -1 : (a)->id > (b)->id ? 1 : 0)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/* Fewer rows than this are sorted by comparison alone. */
#define MATCH_BUCKET_MIN_ROWS	64

/* Id buckets of up to this many rows are sorted by insertion. */
#define MATCH_INSERTION_ROWS	16

/* At most this many date buckets, and at most one per this many rows. */
#define MATCH_BUCKET_MAX		(1 << 20)
#define MATCH_ROWS_PER_BUCKET	4

/* Up to this many rows, the duplicate check compares ids pairwise. */
#define MATCH_PAIRWISE_IDS	32

/* Sort plain ids, for the duplicate check. */
#define ST_SORT sort_ids
#define ST_ELEMENT_TYPE int64
#define ST_COMPARE(a, b) (*(a) < *(b) ? -1 : *(a) > *(b) ? 1 : 0)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Prepare the working memory of the core; arrays are allocated in cxt on
 * first use and grow as groups need.
 */
void
match_core_init(MatchCore *core, MemoryContext cxt)
{
	memset(core, 0, sizeof(MatchCore));
	core->cxt = cxt;
}

/*
 * What rows are put into buckets by (see match_sort.h): their date, their
 * id among rows of one date, or their group (the number in match, while
 * partition_by's rows are grouped in memory).
 */
typedef enum RowKey
{
	ROW_KEY_DATE,
	ROW_KEY_ID,
	ROW_KEY_GROUP
} RowKey;

static inline int64
row_key(const MatchRow *row, RowKey key)
{
	return key == ROW_KEY_ID ? row->id :
		key == ROW_KEY_DATE ? row->date : row->match;
}

/* Most groups one pass of grouping moves rows into. */
#define MATCH_GROUP_FANOUT	1024

/* Rows of one date sorted by id through a buffer (see match_sort.h). */
#define MATCH_SCATTER_ROWS	65536

/*
 * The sort's buffer for the rows (and amounts) of one date, and its
 * counters: allocated on first use, grown as needed, freed once the sort
 * is done.
 */
typedef struct SortScratch
{
	MatchRow   *rows;
	int64	   *amounts;
	int32		cap;
	int32	   *count;
	int32		count_cap;
} SortScratch;

/*
 * Make the buffer hold n rows (and their amounts) and nbuckets counters.
 */
static void
sort_scratch_reserve(SortScratch *s, int32 n, int32 nbuckets, bool amounts)
{
	if (n > s->cap || (amounts && s->amounts == NULL))
	{
		int32		cap = Max(n, Min(2 * s->cap, MATCH_SCATTER_ROWS));

		if (s->rows)
			pfree(s->rows);
		if (s->amounts)
			pfree(s->amounts);
		s->rows = palloc(cap * sizeof(MatchRow));
		s->amounts = amounts ? palloc(cap * sizeof(int64)) : NULL;
		s->cap = cap;
	}
	if (nbuckets > s->count_cap)
	{
		int32		cap = Max(nbuckets, Min(2 * s->count_cap, MATCH_SCATTER_ROWS));

		if (s->count)
			pfree(s->count);
		s->count = palloc(cap * sizeof(int32));
		s->count_cap = cap;
	}
}

/*
 * Free the buffer.
 */
static void
sort_scratch_free(SortScratch *s)
{
	if (s->rows)
		pfree(s->rows);
	if (s->amounts)
		pfree(s->amounts);
	if (s->count)
		pfree(s->count);
	memset(s, 0, sizeof(SortScratch));
}

/* The radix sort, for rows alone and for rows with amounts (match_sort.h) */
#define MS_NAME(name) name
#include "match_sort.h"
#define MS_NAME(name) name##_amounts
#define MS_AMOUNTS
#include "match_sort.h"

/*
 * Sort rows by (date, id), in place.
 *
 * Dates span a narrow range (a date is a day number; a few thousand days
 * are usual), so counting does most of the work: each row goes to the
 * bucket of its date (of its date's high bits, when the range is wider than
 * MATCH_BUCKET_MAX or than one bucket per MATCH_ROWS_PER_BUCKET rows), the
 * buckets are laid out in date order by their counts, and rows are swapped
 * into their buckets in place (no second array).  Each bucket of one date
 * is then sorted the same way by id, and each wider bucket again by date
 * over its narrower range; an insertion sort finishes id buckets of up to
 * MATCH_INSERTION_ROWS, a comparison sort other buckets of fewer than
 * MATCH_BUCKET_MIN_ROWS (an insertion sort too, when amounts move with the
 * rows; see match_sort_group_amounts()).  The time is about linear for spread-out keys and
 * never much worse than one comparison sort.  Scratch memory: three int32s
 * per bucket, at most three bytes per row.
 */
void
match_sort_rows(MatchRow *rows, int32 n)
{
	SortScratch scratch;

	memset(&scratch, 0, sizeof(scratch));
	sort_rows_radix(rows, n, false, &scratch);
	sort_scratch_free(&scratch);
}

/*
 * Put both sides of a group in processing order: accruals by (date, id);
 * payments with a date by (date, id), then those without (marked
 * MATCH_NULL_DATE by the input) by id, unmarked.  Returns how many payments
 * have a date: only those take part in a sweep.
 */
int32
match_sort_group(MatchRow *pay, int32 npay, MatchRow *acc, int32 nacc)
{
	return sort_group(pay, npay, acc, nacc);
}

/*
 * match_sort_group() for rows with amounts, in arrays parallel to the rows,
 * which move with their rows.
 */
int32
match_sort_group_amounts(MatchRow *pay, int64 *pay_amount, int32 npay,
						 MatchRow *acc, int64 *acc_amount, int32 nacc)
{
	return sort_group_amounts(pay, pay_amount, npay, acc, acc_amount, nacc);
}

/*
 * The smallest id of the rows whose ids shifted right by shift equal
 * *dup's: it replaces *dup.  Returns true.
 */
static bool
smallest_of_class(const MatchRow *rows, int32 n, int shift, int64 *dup)
{
	int64		class = *dup >> shift;

	for (int32 i = 0; i < n; i++)
		if ((rows[i].id >> shift) == class && rows[i].id < *dup)
			*dup = rows[i].id;
	return true;
}

/*
 * Find an id that two of the rows share, in any order of the rows; true
 * and *dup set when there is one: the smallest such id, and of it the
 * smallest row's id, so that the one reported does not depend on the
 * order of rows.  Ids are compared shifted right by shift: ranked ids keep
 * apart in their low bits values that their type calls equal (see
 * match_ids_rank()).  A few rows (an
 * account's, typically) are compared pairwise.  Otherwise, when the ids
 * span less than 64 values per row, a bitmap over their range finds it in
 * linear time, and failing that a sorted copy of the ids does.  Either
 * way the scratch memory is at most 8 bytes per row, freed before
 * returning.
 */
bool
match_find_duplicate_id(const MatchRow *rows, int32 n, int shift, int64 *dup)
{
	int64		min,
				max;
	uint64		range;
	bool		found = false;

	if (n <= MATCH_PAIRWISE_IDS)
	{
		for (int32 i = 1; i < n; i++)
		{
			for (int32 j = 0; j < i; j++)
			{
				if ((rows[i].id >> shift) == (rows[j].id >> shift) &&
					(!found || (rows[i].id >> shift) < (*dup >> shift)))
				{
					*dup = rows[i].id;
					found = true;
				}
			}
		}
		return found && smallest_of_class(rows, n, shift, dup);
	}

	min = max = rows[0].id >> shift;
	for (int32 i = 1; i < n; i++)
	{
		min = Min(min, rows[i].id >> shift);
		max = Max(max, rows[i].id >> shift);
	}
	range = (uint64) max - (uint64) min;

	if (range < (uint64) n * 64)
	{
		uint64	   *bits = palloc_extended((range / 64 + 1) * sizeof(uint64),
										   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

		for (int32 i = 0; i < n; i++)
		{
			uint64		bit = (uint64) (rows[i].id >> shift) - (uint64) min;
			uint64		mask = UINT64CONST(1) << (bit % 64);

			if ((bits[bit / 64] & mask) &&
				(!found || (rows[i].id >> shift) < (*dup >> shift)))
			{
				*dup = rows[i].id;
				found = true;
			}
			bits[bit / 64] |= mask;
		}
		pfree(bits);
	}
	else
	{
		int64	   *ids = palloc_extended(n * sizeof(int64), MCXT_ALLOC_HUGE);

		for (int32 i = 0; i < n; i++)
			ids[i] = rows[i].id;
		sort_ids(ids, n);
		for (int32 i = 1; i < n && !found; i++)
		{
			if ((ids[i] >> shift) == (ids[i - 1] >> shift))
			{
				*dup = ids[i];
				found = true;
			}
		}
		pfree(ids);
	}
	return found && smallest_of_class(rows, n, shift, dup);
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
 * Chain the sorted accruals of each month, in (date, id) order: head[m] is
 * the first accrual of month m, and the one after accrual i is next[i], or
 * with in_rows acc[i].match.
 */
static inline void
chain_months(MatchCore *core, MatchRow *acc, int32 nacc, int32 nmonths,
			 bool in_rows)
{
	core->head = reserve_int32(core->cxt, core->head, &core->head_cap,
							   nmonths, true);
	if (!in_rows)
		core->next = reserve_int32(core->cxt, core->next, &core->next_cap,
								   nacc, false);
	for (int32 i = nacc - 1; i >= 0; i--)
	{
		int32		m = acc[i].month;

		if (m >= 0)
		{
			if (in_rows)
				acc[i].match = core->head[m];
			else
				core->next[i] = core->head[m];
			core->head[m] = i;
		}
	}
}

/*
 * Chain the sorted accruals of each month, in (date, id) order: head[m] is
 * the first accrual of month m, next[i] the one after accrual i.
 */
void
match_chain_months(MatchCore *core, const MatchRow *acc, int32 nacc,
				   int32 nmonths)
{
	chain_months(core, unconstify(MatchRow *, acc), nacc, nmonths, false);
}

/*
 * match_chain_months() for a sweep that keeps no mark in the accruals'
 * match fields (allocation: balances tell what is paid): the chains go
 * through those fields, acc[i].match being the accrual after accrual i in
 * its month (or -1), so that no array of 4 bytes per accrual is needed.
 */
void
match_chain_months_in_rows(MatchCore *core, MatchRow *acc, int32 nacc,
						   int32 nmonths)
{
	chain_months(core, acc, nacc, nmonths, true);
}

/*
 * Leave the month heads empty for the next group, touching only the months
 * this group used.
 */
void
match_unchain_months(MatchCore *core, const MatchRow *acc, int32 nacc)
{
	for (int32 i = 0; i < nacc; i++)
	{
		if (acc[i].month >= 0)
			core->head[acc[i].month] = -1;
	}
}

/*
 * One sweep over the payments in (date, id) order, skipping those already
 * matched.  With use_month a payment takes the first unpaid accrual of its
 * month that is dated strictly earlier; failing that, with use_oldest, the
 * first unpaid accrual dated strictly earlier.  The month chains must be
 * built.
 */
void
match_sweep(MatchCore *core, MatchRow *pay, int32 npay,
			MatchRow *acc, int32 nacc, bool use_month, bool use_oldest)
{
	int32	   *head = core->head;
	int32	   *next = core->next;
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
 * Match one group (one partition, or everything) with the given strategy.
 * Afterwards the payments are in result order and each payment's match is
 * the index of its accrual in the sorted acc, or MATCH_NONE.
 */
void
match_group(MatchCore *core, MatchStrategy strategy,
			MatchRow *pay, int32 npay, MatchRow *acc, int32 nacc,
			int32 nmonths)
{
	int32		ndated = match_sort_group(pay, npay, acc, nacc);

	match_chain_months(core, acc, nacc, nmonths);
	if (strategy == STRATEGY_SEQUENTIAL)
		match_sweep(core, pay, ndated, acc, nacc, true, true);
	else
	{
		match_sweep(core, pay, ndated, acc, nacc, true, false);
		match_sweep(core, pay, ndated, acc, nacc, false, true);
	}
	match_unchain_months(core, acc, nacc);
}

/*
 * Group rows in place, for partition_by read in one go: on entry each row's
 * match holds the number of its group, below ngroups.  The rows, with their
 * amounts when rows->amount is set, are moved so that group g is rows
 * [start[g], start[g + 1]) (start has ngroups + 1 entries), in no
 * particular order within a group; match is left as it was.  A radix sort
 * on the group, most significant bits first, at most MATCH_GROUP_FANOUT
 * buckets a pass so that the places rows are written to stay few: linear
 * time, no second array of rows.
 */
void
match_group_by_key(MatchRows *rows, int32 ngroups, int32 *start)
{
	SortScratch scratch;

	start[ngroups] = (int32) rows->n;
	if (ngroups == 0)
		return;
	memset(&scratch, 0, sizeof(scratch));
	if (rows->amount)
		group_rows_pass_amounts(rows->rows, rows->amount, (int32) rows->n,
								0, ngroups, start, 0, &scratch);
	else
		group_rows_pass(rows->rows, (int32) rows->n, 0, ngroups, start, 0,
						&scratch);
	sort_scratch_free(&scratch);
}
