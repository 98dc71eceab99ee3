/*-------------------------------------------------------------------------
 *
 * summary.c
 *	  The action summary's state: how actions and other summaries are added
 *	  to it, and its entries in output order, shared by the action_summary
 *	  aggregate (summary_agg.c) and account_actions() (account_actions.c).
 *	  summary_json.c makes the jsonb of it.
 *
 * A summary lists the types create, read, update and delete, in that order,
 * each as {"type", "last", "count"}: the latest created_at of that type (or
 * null) and how many actions have it (0 when none).  Any other type follows
 * the four, in byte order of the type string, which is the order of the C
 * collation, so the output does not depend on the database's locale.
 *
 * The state is 64 bytes with fixed slots for the four types, so that an
 * aggregate's group costs one small allocation and a row touches one slot
 * of it.  Adding a row of the four types allocates nothing.  Other types go
 * to an array, allocated only when one turns up, in order of arrival: a few
 * are found by a scan, more through a hash table over the array.  They are
 * sorted only when the summary is read (or not at all, when they arrived in
 * order), so that n types cost O(n log n) whatever their order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "common/int.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "compat.h"
#include "summary_int.h"

/* Slots of the four fixed types, in output order. */
#define ACTION_CREATE	0
#define ACTION_READ		1
#define ACTION_UPDATE	2
#define ACTION_DELETE	3

/* Up to this many other types are found by a scan, more by their hash. */
#define EXTRA_SCAN_MAX			8

/* The most other types a summary can hold: its array stays below 1 GB. */
#define EXTRA_MAX				(1 << 24)

/* Names of the fixed slots, indexed by ACTION_CREATE etc., and lengths. */
const char *const action_fixed_names[ACTION_NFIXED] = {
	"create", "read", "update", "delete"
};
static const int fixed_name_lens[ACTION_NFIXED] = {6, 4, 6, 6};

/* A type other than the four; the name is not NUL-terminated. */
typedef struct ActionExtra
{
	ActionCounter counter;
	char	   *name;
	int32		len;
	uint32		hash;			/* hash_bytes() of the name */
} ActionExtra;

/*
 * What a summary rarely needs, allocated on first use.  index is a hash
 * table with linear probing over extras: each slot holds a position in
 * extras plus one, or 0 when empty.  It is there only beyond
 * EXTRA_SCAN_MAX other types, has twice as many slots as extras has room,
 * and is rebuilt whenever extras grows.
 */
typedef struct ActionSummaryMore
{
	int64		high[ACTION_NFIXED];	/* count of the fixed type >> 32 */
	int32		nextras;
	int32		maxextras;
	ActionExtra *extras;		/* in order of arrival */
	bool		unsorted;		/* extras are not in byte order of name */
	uint32		index_mask;		/* number of slots of index - 1 */
	int32	   *index;			/* NULL while there are few extras */
} ActionSummaryMore;

/*
 * The running summary of one account: the state of the action_summary
 * aggregate, and what account_actions() fills from a document.  It is one
 * 64-byte allocation, because an aggregate keeps one per group and reaches
 * it once per row: the four common types have fixed slots holding the low
 * 32 bits of their count (the rest goes to more->high on the rare carry).
 * Other types, and the memory of "more", are allocated only when needed, in
 * the memory context of the summary itself.
 */
struct ActionSummary
{
	TimestampTz last[ACTION_NFIXED];	/* valid where has_last has bit i */
	uint32		count[ACTION_NFIXED];	/* low 32 bits of each count */
	uint8		has_last;
	ActionSummaryMore *more;	/* NULL until a carry or another type */
};

StaticAssertDecl(sizeof(ActionSummary) <= 64,
				 "ActionSummary must stay within 64 bytes");
StaticAssertDecl((Size) EXTRA_MAX * sizeof(ActionExtra) <= MaxAllocSize,
				 "the array of other types must fit in one allocation");

/*
 * Slot of one of the four fixed types, or -1 for any other type.  Called
 * for every row, so it looks at the length and one byte before comparing.
 */
static inline int
fixed_slot(const char *type, int len)
{
	if (len == 4)
		return memcmp(type, "read", 4) == 0 ? ACTION_READ : -1;
	if (len == 6)
	{
		switch (type[0])
		{
			case 'c':
				return memcmp(type, "create", 6) == 0 ? ACTION_CREATE : -1;
			case 'u':
				return memcmp(type, "update", 6) == 0 ? ACTION_UPDATE : -1;
			case 'd':
				return memcmp(type, "delete", 6) == 0 ? ACTION_DELETE : -1;
		}
	}
	return -1;
}

/*
 * Is this name one of the four fixed types?  A deserialized state must not
 * list one among the others.
 */
bool
action_type_is_fixed(const char *name, int len)
{
	return fixed_slot(name, len) >= 0;
}

/*
 * Compare two type names in byte order, as the C collation does: the common
 * prefix decides, else the shorter name comes first.
 */
int
action_type_compare(const char *a, int alen, const char *b, int blen)
{
	int			cmp = memcmp(a, b, Min(alen, blen));

	if (cmp != 0)
		return cmp;
	return (alen > blen) - (alen < blen);
}

/*
 * The summary's rarely used part, allocated in the summary's own memory
 * context on first use, so that it lives exactly as long as the summary.
 */
static ActionSummaryMore *
summary_more(ActionSummary *summary)
{
	if (summary->more == NULL)
		summary->more = MemoryContextAllocZero(GetMemoryChunkContext(summary),
											   sizeof(ActionSummaryMore));
	return summary->more;
}

/* Is e the other type of this name and hash? */
static inline bool
extra_is(const ActionExtra *e, const char *name, int len, uint32 hash)
{
	return e->hash == hash && e->len == len && memcmp(e->name, name, len) == 0;
}

/* Enter extras[pos] in the hash table. */
static void
index_insert(ActionSummaryMore *more, int32 pos)
{
	uint32		slot = more->extras[pos].hash & more->index_mask;

	while (more->index[slot] != 0)
		slot = (slot + 1) & more->index_mask;
	more->index[slot] = pos + 1;
}

/*
 * Make room for more other types: double the array, and once there are
 * more than a scan should look at, rebuild the hash table to match.
 */
static void
extras_grow(ActionSummaryMore *more)
{
	MemoryContext cxt = GetMemoryChunkContext(more);
	int32		newmax = more->maxextras == 0 ? 4 : more->maxextras * 2;
	int32		i;

	if (newmax > EXTRA_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many action types in one summary"),
				 errdetail("A summary can hold at most %d types besides create, read, update and delete.",
						   EXTRA_MAX)));

	if (more->extras == NULL)
		more->extras = MemoryContextAlloc(cxt, newmax * sizeof(ActionExtra));
	else
		more->extras = repalloc(more->extras, newmax * sizeof(ActionExtra));
	more->maxextras = newmax;

	if (newmax > EXTRA_SCAN_MAX)
	{
		if (more->index != NULL)
			pfree(more->index);
		more->index = MemoryContextAllocZero(cxt, 2 * newmax * sizeof(int32));
		more->index_mask = 2 * newmax - 1;
		for (i = 0; i < more->nextras; i++)
			index_insert(more, i);
	}
}

/*
 * Counter of an "other" type, created (with count 0) if the summary has none
 * yet, so that each type is stored once.  hash is hash_bytes() of the name.
 * The pointer is valid until the next call, which may move the array.
 */
static ActionCounter *
extra_counter(ActionSummary *summary, const char *type, int len, uint32 hash)
{
	ActionSummaryMore *more = summary_more(summary);
	ActionExtra *e;
	int32		i;

	if (more->index == NULL)
	{
		for (i = 0; i < more->nextras; i++)
		{
			if (extra_is(&more->extras[i], type, len, hash))
				return &more->extras[i].counter;
		}
	}
	else
	{
		uint32		slot;

		for (slot = hash & more->index_mask; more->index[slot] != 0;
			 slot = (slot + 1) & more->index_mask)
		{
			e = &more->extras[more->index[slot] - 1];
			if (extra_is(e, type, len, hash))
				return &e->counter;
		}
	}

	/* A new type: append it, and note whether the order still holds. */
	if (more->nextras == more->maxextras)
		extras_grow(more);
	e = &more->extras[more->nextras];
	memset(&e->counter, 0, sizeof(ActionCounter));
	e->len = len;
	e->hash = hash;
	e->name = MemoryContextAlloc(GetMemoryChunkContext(more), Max(len, 1));
	memcpy(e->name, type, len);
	if (more->nextras > 0 &&
		action_type_compare(e[-1].name, e[-1].len, type, len) > 0)
		more->unsorted = true;
	more->nextras++;
	if (more->index != NULL)
		index_insert(more, more->nextras - 1);
	return &e->counter;
}

/* Counter of the other type of this name, with its hash computed. */
static inline ActionCounter *
extra_counter_by_name(ActionSummary *summary, const char *type, int len)
{
	return extra_counter(summary, type, len,
						 hash_bytes((const unsigned char *) type, len));
}

/*
 * Raise the error for a count that does not fit in a bigint, as count(*)
 * would.
 */
pg_noreturn static void
count_out_of_range(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("action count out of range"),
			 errdetail("A type has more than 9223372036854775807 actions.")));
}

/*
 * Read the counter of a fixed type: the count from its two halves.
 */
static void
get_fixed(const ActionSummary *summary, int slot, ActionCounter *counter)
{
	counter->count = summary->count[slot];
	if (summary->more != NULL)
		counter->count += summary->more->high[slot] << 32;
	counter->has_last = (summary->has_last & (1 << slot)) != 0;
	counter->last = counter->has_last ? summary->last[slot] : 0;
}

/*
 * Add a whole counter to a fixed type: the slow path, for merging states.
 */
static void
add_fixed(ActionSummary *summary, int slot, const ActionCounter *counter)
{
	ActionCounter old;
	int64		total;

	get_fixed(summary, slot, &old);
	if (pg_add_s64_overflow(old.count, counter->count, &total))
		count_out_of_range();
	summary->count[slot] = (uint32) total;
	if ((total >> 32) != 0 || summary->more != NULL)
		summary_more(summary)->high[slot] = total >> 32;

	if (counter->has_last && (!old.has_last || counter->last > old.last))
	{
		summary->last[slot] = counter->last;
		summary->has_last |= 1 << slot;
	}
}

/*
 * Add count actions whose latest created_at is last (if has_last) to the
 * counter of another type.
 */
static void
add_extra(ActionCounter *counter, int64 count, bool has_last,
		  TimestampTz last)
{
	if (pg_add_s64_overflow(counter->count, count, &counter->count))
		count_out_of_range();
	if (has_last && (!counter->has_last || last > counter->last))
	{
		counter->last = last;
		counter->has_last = true;
	}
}

/*
 * Make an empty summary in cxt, where its other types will go too.
 */
ActionSummary *
action_summary_create(MemoryContext cxt)
{
	return MemoryContextAllocZero(cxt, sizeof(ActionSummary));
}

/*
 * Make an empty summary in cxt followed, in the same allocation, by trailer
 * bytes for the caller (not zeroed), returned in *trailer: the state type
 * keeps its expanded object header there, so that a group of an aggregate
 * still costs one allocation.  The summary starts the allocation, as its
 * memory context is found from it.
 */
ActionSummary *
action_summary_create_with_trailer(MemoryContext cxt, Size trailer_size,
								   void **trailer)
{
	char	   *mem = MemoryContextAlloc(cxt, MAXALIGN(sizeof(ActionSummary)) +
										 trailer_size);

	memset(mem, 0, sizeof(ActionSummary));
	*trailer = mem + MAXALIGN(sizeof(ActionSummary));
	return (ActionSummary *) mem;
}

/*
 * Count one action of a (non-NULL) type; has_time is false for a NULL
 * created_at.  This is the whole per-row work of the aggregate, and what
 * account_actions() does for each action of a document, so the common case
 * touches only the fixed slot.
 */
void
action_summary_add(ActionSummary *summary, const char *type, int len,
				   bool has_time, TimestampTz created_at)
{
	int			slot = fixed_slot(type, len);

	if (likely(slot >= 0))
	{
		/* On the carry out of the low half, bump the high half. */
		if (unlikely(++summary->count[slot] == 0))
		{
			ActionSummaryMore *more = summary_more(summary);

			if (more->high[slot] >= PG_INT32_MAX)
			{
				summary->count[slot]--;
				count_out_of_range();
			}
			more->high[slot]++;
		}
		if (has_time &&
			((summary->has_last & (1 << slot)) == 0 ||
			 created_at > summary->last[slot]))
		{
			summary->last[slot] = created_at;
			summary->has_last |= 1 << slot;
		}
	}
	else
		add_extra(extra_counter_by_name(summary, type, len), 1, has_time,
				  created_at);
}

/*
 * Add a whole counter (of a merged or deserialized state) to the type
 * name, as if its actions had been added one by one.
 */
void
action_summary_add_counter(ActionSummary *summary, const char *name, int len,
						   const ActionCounter *counter)
{
	int			slot = fixed_slot(name, len);

	if (slot >= 0)
		add_fixed(summary, slot, counter);
	else
		add_extra(extra_counter_by_name(summary, name, len), counter->count,
				  counter->has_last, counter->last);
}

/*
 * Add every count of src to dst, for the combine function.
 */
void
action_summary_merge(ActionSummary *dst, const ActionSummary *src)
{
	int			i;

	for (i = 0; i < ACTION_NFIXED; i++)
	{
		ActionCounter c;

		get_fixed(src, i, &c);
		add_fixed(dst, i, &c);
	}
	if (src->more != NULL)
	{
		for (i = 0; i < src->more->nextras; i++)
		{
			const ActionExtra *e = &src->more->extras[i];

			CHECK_FOR_INTERRUPTS();

			add_extra(extra_counter(dst, e->name, e->len, e->hash),
					  e->counter.count, e->counter.has_last, e->counter.last);
		}
	}
}

/* qsort comparator of pointers to other types, by name. */
static int
extra_ptr_compare(const void *a, const void *b)
{
	const ActionExtra *x = *(const ActionExtra *const *) a;
	const ActionExtra *y = *(const ActionExtra *const *) b;

	return action_type_compare(x->name, x->len, y->name, y->len);
}

/*
 * Start a walk over the entries of a summary in which the other types come
 * in the order they are stored, for callers to whom it does not matter:
 * nothing is sorted or allocated.
 */
void
action_summary_iter_init_unsorted(ActionSummaryIter *iter,
								  const ActionSummary *summary)
{
	const ActionSummaryMore *more = summary->more;

	iter->summary = summary;
	iter->next = 0;
	iter->nentries = ACTION_NFIXED + (more != NULL ? more->nextras : 0);
	iter->sorted = NULL;
}

/*
 * Start a walk over the entries of a summary, in output order.  Other types
 * that did not arrive in order are sorted here, through an array of
 * pointers in CurrentMemoryContext: the summary itself is left as it is,
 * as a final function must.
 */
void
action_summary_iter_init(ActionSummaryIter *iter,
						 const ActionSummary *summary)
{
	const ActionSummaryMore *more = summary->more;

	action_summary_iter_init_unsorted(iter, summary);
	if (more != NULL && more->unsorted)
	{
		const ActionExtra **sorted;
		int32		i;

		sorted = palloc(more->nextras * sizeof(ActionExtra *));
		for (i = 0; i < more->nextras; i++)
			sorted[i] = &more->extras[i];
		qsort(sorted, more->nextras, sizeof(ActionExtra *),
			  extra_ptr_compare);
		iter->sorted = sorted;
	}
}

/*
 * The next entry of a walk: false when there is none left.  The name points
 * into the summary, and is not NUL-terminated.
 */
bool
action_summary_iter_next(ActionSummaryIter *iter, const char **name,
						 int *len, ActionCounter *counter)
{
	int			i = iter->next;
	const ActionExtra *e;

	if (i >= iter->nentries)
		return false;
	iter->next++;

	if (i < ACTION_NFIXED)
	{
		*name = action_fixed_names[i];
		*len = fixed_name_lens[i];
		Assert((size_t) *len == strlen(*name));
		get_fixed(iter->summary, i, counter);
		return true;
	}

	i -= ACTION_NFIXED;
	e = iter->sorted ? iter->sorted[i] : &iter->summary->more->extras[i];
	*name = e->name;
	*len = e->len;
	*counter = e->counter;
	return true;
}

/*
 * End a walk: free what action_summary_iter_init allocated, for callers
 * that run in a long-lived memory context (a state is flattened while a
 * tuple is formed, wherever that happens).
 */
void
action_summary_iter_end(ActionSummaryIter *iter)
{
	if (iter->sorted != NULL)
		pfree(iter->sorted);
	iter->sorted = NULL;
}
