/*-------------------------------------------------------------------------
 *
 * allocate_core.c
 *	  The allocation sweep of allocate_payments(): how much of each payment
 *	  goes to which accrual, over plain arrays of rows.
 *
 * The rules are those of match_payments() read with amounts.  Each accrual
 * starts with a balance equal to its amount, each payment with a remainder
 * equal to its amount.  Payments are taken in ascending (date, id); payment
 * p may allocate to accrual a when a.date < p.date and a's balance is
 * positive.  'sequential' lets p allocate first to the eligible accruals of
 * its month, then to any eligible accrual, each in (date, id) order;
 * 'month_first' runs the month part for every payment, then the rest for
 * every payment.  Each allocation is the smaller of p's remainder and a's
 * balance, taken from both.  What a payment has left at the end is its
 * unallocated amount (credit).
 *
 * Amounts are exact: int64 counts of units of 10^-scale, the scale being
 * common to every row of a group (see allocate_amount.c).  The sweep never
 * adds two amounts: every balance, remainder and allocation is at most one
 * input amount, so nothing here can overflow once the inputs are held.
 *
 * Time: after the sort, O(A + P + allocations), and there are at most
 * A + P allocations, since each one empties its payment or its accrual.  A
 * boundary moves through the sorted accruals so that those before it are
 * dated strictly earlier than the payment at hand.  Accruals become
 * eligible in (date, id) order, so the first accrual of a month with a
 * positive balance (a per-month chain through the sorted array) or of all
 * months (a pointer into it) is the next to allocate to; the chain heads
 * and the pointer only move forward past emptied accruals, which are never
 * eligible again.
 *
 * The rows, their sort and the month chains are match_payments()'s (see
 * match_core.c); the amounts are arrays parallel to the rows, which the
 * sort moves along with their rows.  It knows nothing of Datums or SPI:
 * rows in, calls of an emit function out.
 *
 *-------------------------------------------------------------------------
 */
#include "match.h"

#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/memutils.h"

/*
 * Prepare the working memory of the allocator; arrays are allocated in cxt
 * on first use and grow as groups need.
 */
void
allocate_core_init(AllocCore *core, MemoryContext cxt)
{
	memset(core, 0, sizeof(AllocCore));
	match_core_init(&core->match, cxt);
}

/*
 * Whether the amounts of rows [0, n) are all below limit.
 */
static bool
amounts_below(const int64 *amount, int32 n, int64 limit)
{
	int64		max = 0;

	for (int32 i = 0; i < n; i++)
		max = Max(max, amount[i]);
	return max < limit;
}

/*
 * Sort a group as match_payments() does (match_sort_group()), the amounts
 * following their rows.  Returns how many payments have a date.
 *
 * The sort of rows alone is the faster by far: a row is 24 bytes, where
 * rows moving with their amounts also move 8 bytes at another place.  So
 * when every amount is below 2^(63 - b), b the bits of nmonths (at least
 * one), each row
 * carries its amount through the sort in its own fields:
 *
 *	- a payment or accrual with a date, in month and match: their 64 bits
 *	  hold (month + 1) above the amount, the top bit clear, so match stays
 *	  apart from MATCH_NULL_DATE (match is MATCH_NONE or ACCRUAL_UNPAID
 *	  until the sweep);
 *	- a payment without a date, in date, which is 0 for all of them and
 *	  plays no part in their order (by id).
 *
 * and the fields are restored after the sort.  Otherwise the amounts move
 * with their rows in their own arrays (match_sort_group_amounts()).
 */
static int32
allocate_sort_group(MatchRows *pay, MatchRows *acc, int32 nacc,
					int32 nmonths)
{
	MatchRow   *prow = pay->rows;
	MatchRow   *arow = acc->rows;
	int32		npay = (int32) pay->n;
	int			bits = nmonths > 0 ? pg_leftmost_one_pos32((uint32) nmonths) + 1 : 1;
	int			shift = 63 - bits;	/* month + 1 <= nmonths < 2^bits */
	int32		ndated;

	if (!amounts_below(pay->amount, npay, INT64CONST(1) << shift) ||
		!amounts_below(acc->amount, nacc, INT64CONST(1) << shift))
		return match_sort_group_amounts(prow, pay->amount, npay,
										arow, acc->amount, nacc);

#define PACK(row, amount) \
	do { \
		uint64		packed_ = ((uint64) ((row).month + 1) << shift) | \
			(uint64) (amount); \
		(row).month = (int32) (packed_ & 0xFFFFFFFF); \
		(row).match = (int32) (packed_ >> 32); \
	} while (0)
#define UNPACK(row, amount, match_value) \
	do { \
		uint64		packed_ = ((uint64) (uint32) (row).match << 32) | \
			(uint32) (row).month; \
		(amount) = (int64) (packed_ & ((UINT64CONST(1) << shift) - 1)); \
		(row).month = (int32) (packed_ >> shift) - 1; \
		(row).match = (match_value); \
	} while (0)

	for (int32 i = 0; i < npay; i++)
	{
		if (prow[i].match == MATCH_NULL_DATE)
			prow[i].date = pay->amount[i];
		else
			PACK(prow[i], pay->amount[i]);
	}
	for (int32 i = 0; i < nacc; i++)
		PACK(arow[i], acc->amount[i]);

	ndated = match_sort_group(prow, npay, arow, nacc);

	for (int32 i = 0; i < ndated; i++)
		UNPACK(prow[i], pay->amount[i], MATCH_NONE);
	for (int32 i = ndated; i < npay; i++)
	{
		pay->amount[i] = prow[i].date;
		prow[i].date = 0;
	}
	for (int32 i = 0; i < nacc; i++)
		UNPACK(arow[i], acc->amount[i], ACCRUAL_UNPAID);
#undef PACK
#undef UNPACK
	return ndated;
}

/*
 * Keep an allocation of the month pass of month_first, to be emitted with
 * its payment's other rows in the second pass.
 */
static void
keep_pending(AllocCore *core, int32 p, int32 a, int64 amount)
{
	if (core->npending == core->pending_cap)
	{
		int64		cap = Max(1024, core->pending_cap * 2);

		if (core->pending == NULL)
			core->pending = MemoryContextAllocHuge(core->match.cxt,
												   cap * sizeof(AllocPending));
		else
			core->pending = repalloc_huge(core->pending,
										  cap * sizeof(AllocPending));
		core->pending_cap = cap;
	}
	core->pending[core->npending].pay = p;
	core->pending[core->npending].acc = a;
	core->pending[core->npending].amount = amount;
	core->npending++;
}

/* One group being allocated: sorted rows, remainders and balances. */
typedef struct AllocSweep
{
	AllocCore  *core;
	MatchRow   *pay;
	int64	   *remainder;		/* per payment */
	MatchRow   *acc;
	int64	   *balance;		/* per accrual */
	AllocEmit	emit;
	void	   *arg;
} AllocSweep;

/*
 * Allocate what can be allocated of payment p to accrual a: the smaller of
 * p's remainder and a's balance, taken from both.
 */
static inline int64
take(AllocSweep *s, int32 p, int32 a)
{
	int64		x = Min(s->remainder[p], s->balance[a]);

	s->remainder[p] -= x;
	s->balance[a] -= x;
	return x;
}

/*
 * The month part for payment p: allocate to the accruals of its month dated
 * before the boundary, in (date, id) order, until p or they are exhausted.
 * Allocations are emitted, or kept for later when keep is set.  Returns
 * whether p allocated anything.
 */
static bool
allocate_month(AllocSweep *s, int32 p, int32 boundary, bool keep)
{
	int32	   *h;
	bool		any = false;

	if (s->pay[p].month < 0)
		return false;
	h = &s->core->match.head[s->pay[p].month];
	while (s->remainder[p] > 0)
	{
		int64		x;

		while (*h >= 0 && s->balance[*h] == 0)
			*h = s->acc[*h].match;	/* see match_chain_months_in_rows() */
		if (*h < 0 || *h >= boundary)
			break;
		x = take(s, p, *h);
		if (keep)
			keep_pending(s->core, p, *h, x);
		else
			s->emit(s->arg, &s->pay[p], &s->acc[*h], x);
		any = true;
	}
	return any;
}

/*
 * The oldest part for payment p: allocate to any accrual dated before the
 * boundary, in (date, id) order.  *oldest is the sweep's pointer: no
 * accrual before it has a balance left.  Returns whether p allocated
 * anything.
 */
static bool
allocate_oldest(AllocSweep *s, int32 p, int32 boundary, int32 *oldest)
{
	bool		any = false;

	while (s->remainder[p] > 0)
	{
		while (*oldest < boundary && s->balance[*oldest] == 0)
			(*oldest)++;
		if (*oldest >= boundary)
			break;
		s->emit(s->arg, &s->pay[p], &s->acc[*oldest], take(s, p, *oldest));
		any = true;
	}
	return any;
}

/*
 * Allocate one group (one partition, or everything) and emit its result
 * rows in order: payments in (date, id) order, those without a date last by
 * id; each payment's allocations in the order they were made (month_first:
 * its month pass, then its oldest pass), then its unallocated amount when
 * positive or when it allocated nothing.
 *
 * The rows come from the input in read order, with their amounts; only the
 * first nacc accruals take part (none when the partition key is NULL).
 * Amounts are consumed: afterwards they are what is left.
 */
void
allocate_group(AllocCore *core, MatchStrategy strategy,
			   MatchRows *pay, MatchRows *acc, int32 nacc, int32 nmonths,
			   AllocEmit emit, void *arg)
{
	AllocSweep	s;
	int32		npay = (int32) pay->n;
	int32		ndated = allocate_sort_group(pay, acc, nacc, nmonths);
	bool		month_first = (strategy == STRATEGY_MONTH_FIRST);
	int32		boundary;
	int32		oldest;
	int64		pending = 0;

	s.core = core;
	s.pay = pay->rows;
	s.remainder = pay->amount;
	s.acc = acc->rows;
	s.balance = acc->amount;
	s.emit = emit;
	s.arg = arg;

	match_chain_months_in_rows(&core->match, s.acc, nacc, nmonths);

	/* month_first: the month pass, its allocations kept */
	core->npending = 0;
	if (month_first)
	{
		boundary = 0;
		for (int32 p = 0; p < ndated; p++)
		{
			CHECK_FOR_INTERRUPTS();
			while (boundary < nacc && s.acc[boundary].date < s.pay[p].date)
				boundary++;
			allocate_month(&s, p, boundary, true);
		}
	}

	/*
	 * The sweep that emits: sequential does both parts payment by payment;
	 * month_first emits the kept month allocations of each payment, then
	 * its oldest part.
	 */
	boundary = 0;
	oldest = 0;
	for (int32 p = 0; p < ndated; p++)
	{
		bool		any = false;

		CHECK_FOR_INTERRUPTS();
		while (boundary < nacc && s.acc[boundary].date < s.pay[p].date)
			boundary++;

		if (month_first)
		{
			for (; pending < core->npending && core->pending[pending].pay == p;
				 pending++)
			{
				emit(arg, &s.pay[p], &s.acc[core->pending[pending].acc],
					 core->pending[pending].amount);
				any = true;
			}
		}
		else
			any = allocate_month(&s, p, boundary, false);

		if (allocate_oldest(&s, p, boundary, &oldest))
			any = true;
		if (s.remainder[p] > 0 || !any)
			emit(arg, &s.pay[p], NULL, s.remainder[p]);
	}

	/* payments without a date: all of each is unallocated */
	for (int32 p = ndated; p < npay; p++)
	{
		CHECK_FOR_INTERRUPTS();
		emit(arg, &s.pay[p], NULL, s.remainder[p]);
	}

	match_unchain_months(&core->match, s.acc, nacc);
}
