/*-------------------------------------------------------------------------
 *
 * summary.c
 *	  The action_summary(type, created_at) aggregate, and the summary state
 *	  and JSON builder it shares with account_actions() (documents.c).
 *
 * A summary lists the types create, read, update and delete, in that order,
 * each as {"type", "last", "count"}: the latest created_at of that type (or
 * null) and how many actions have it (0 when none).  Any other type follows
 * the four, in byte order of the type string, which is the order of the C
 * collation, so the output does not depend on the database's locale.
 * Actions with a NULL type are ignored, as aggregates ignore NULL inputs; an
 * action with a NULL created_at is counted and does not change "last".
 *
 * The aggregate's state is an ActionSummary (accmatch.h) in the aggregate's
 * memory context: 64 bytes with fixed slots for the four types, so that a
 * group costs one small allocation and a row touches one slot of it.  Other
 * types go to a sorted array allocated only when one turns up.  Adding a row
 * of the four types allocates nothing.
 *
 * The serialized state (for parallel aggregation) is a flat bytea, every
 * integer in network byte order:
 *
 *		uint8	format version (1)
 *		int32	number of other types
 *		4 x		counter of create, read, update, delete
 *		n x		counter, int32 name length, name bytes (ascending, unique)
 *
 * where a counter is int64 count, int64 last, uint8 has_last.  The
 * deserialization function checks all of it, since a bytea could come from
 * anywhere.
 *
 *-------------------------------------------------------------------------
 */
#include "accmatch.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(action_summary_trans);
PG_FUNCTION_INFO_V1(action_summary_combine);
PG_FUNCTION_INFO_V1(action_summary_serial);
PG_FUNCTION_INFO_V1(action_summary_deserial);
PG_FUNCTION_INFO_V1(action_summary_final);

/* Names of the fixed slots, indexed by ACTION_CREATE etc. */
static const char *const fixed_names[ACTION_NFIXED] = {
	"create", "read", "update", "delete"
};

/* The state is sized to fit a 64-byte allocation; see accmatch.h. */
StaticAssertDecl(sizeof(ActionSummary) <= 64,
				 "ActionSummary must stay within 64 bytes");

/* Serialized sizes; see the file header. */
#define SUMMARY_FORMAT_VERSION	1
#define COUNTER_SERIAL_SIZE		(8 + 8 + 1)
#define HEADER_SERIAL_SIZE		(1 + 4)
#define EXTRA_MIN_SERIAL_SIZE	(COUNTER_SERIAL_SIZE + 4)

/* Counts below this have a cached jsonb number; see count_numeric(). */
#define SMALL_COUNT_CACHE		256

/* Cursor over a serialized state, for action_summary_deserial. */
typedef struct SerialReader
{
	const char *pos;
	const char *end;
} SerialReader;

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
 * Compare two type names in byte order, as the C collation does: the common
 * prefix decides, else the shorter name comes first.
 */
static int
compare_names(const char *a, int alen, const char *b, int blen)
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

/*
 * Counter of an "other" type, created (with count 0) if the summary has none
 * yet, so that a new type is stored once and stays in byte order.  The
 * pointer is valid until the next call, which may move the array.
 */
static ActionCounter *
extra_counter(ActionSummary *summary, const char *type, int len)
{
	ActionSummaryMore *more = summary_more(summary);
	MemoryContext cxt = GetMemoryChunkContext(more);
	int			lo = 0;
	int			hi = more->nextras;
	ActionExtra *extra;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;
		ActionExtra *e = &more->extras[mid];
		int			cmp = compare_names(type, len, e->name, e->len);

		if (cmp == 0)
			return &e->counter;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}

	if (more->nextras == more->maxextras)
	{
		int			newmax = more->maxextras == 0 ? 4 : more->maxextras * 2;

		Size		size = newmax * sizeof(ActionExtra);

		if (more->extras == NULL)
			more->extras = MemoryContextAlloc(cxt, size);
		else
			more->extras = repalloc(more->extras, size);
		more->maxextras = newmax;
	}

	if (lo < more->nextras)
		memmove(&more->extras[lo + 1], &more->extras[lo],
				(more->nextras - lo) * sizeof(ActionExtra));
	more->nextras++;

	extra = &more->extras[lo];
	memset(&extra->counter, 0, sizeof(ActionCounter));
	extra->len = len;
	extra->name = MemoryContextAlloc(cxt, Max(len, 1));
	memcpy(extra->name, type, len);
	return &extra->counter;
}

/*
 * Raise the error for a count that does not fit in a bigint, as count(*)
 * would.
 */
static void
pg_attribute_noreturn()
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
 * Add count actions whose latest created_at is last (if has_last) to a
 * fixed type: the slow path, for merging states.
 */
static void
add_fixed(ActionSummary *summary, int slot, int64 count, bool has_last,
		  TimestampTz last)
{
	ActionCounter old;
	int64		total;

	get_fixed(summary, slot, &old);
	if (pg_add_s64_overflow(old.count, count, &total))
		count_out_of_range();
	summary->count[slot] = (uint32) total;
	if ((total >> 32) != 0 || summary->more != NULL)
		summary_more(summary)->high[slot] = total >> 32;

	if (has_last && (!old.has_last || last > old.last))
	{
		summary->last[slot] = last;
		summary->has_last |= 1 << slot;
	}
}

/*
 * Add to the counter of another type.
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
		add_extra(extra_counter(summary, type, len), 1, has_time, created_at);
}

/*
 * Add every count of src to dst, for the combine function.
 */
static void
action_summary_merge(ActionSummary *dst, const ActionSummary *src)
{
	int			i;

	for (i = 0; i < ACTION_NFIXED; i++)
	{
		ActionCounter c;

		get_fixed(src, i, &c);
		add_fixed(dst, i, c.count, c.has_last, c.last);
	}
	if (src->more != NULL)
	{
		for (i = 0; i < src->more->nextras; i++)
		{
			const ActionExtra *e = &src->more->extras[i];

			add_extra(extra_counter(dst, e->name, e->len), e->counter.count,
					  e->counter.has_last, e->counter.last);
		}
	}
}

/*
 * A count as a jsonb number.  Small counts, nearly all of them, come from a
 * cache made once per backend, which saves building a numeric per entry of
 * every group.
 */
static Numeric
count_numeric(int64 count)
{
	static Numeric small_counts[SMALL_COUNT_CACHE];

	if (count >= 0 && count < SMALL_COUNT_CACHE)
	{
		if (small_counts[count] == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			small_counts[count] = int64_to_numeric(count);
			MemoryContextSwitchTo(old);
		}
		return small_counts[count];
	}
	return int64_to_numeric(count);
}

/*
 * Fill one {"last", "type", "count"} object.  The pairs are written in the
 * order jsonb keeps keys (shorter first, then bytewise), so the value can go
 * straight to JsonbValueToJsonb without sorting.  datebuf must have room for
 * MAXDATELEN + 1 bytes and live as long as the value.
 */
static void
fill_entry(JsonbValue *entry, JsonbPair *pairs, const char *name, int len,
		   const ActionCounter *counter, char *datebuf)
{
	pairs[0].key.type = jbvString;
	pairs[0].key.val.string.val = "last";
	pairs[0].key.val.string.len = 4;
	if (counter->has_last)
	{
		JsonEncodeDateTime(datebuf, TimestampTzGetDatum(counter->last),
						   TIMESTAMPTZOID, NULL);
		pairs[0].value.type = jbvString;
		pairs[0].value.val.string.val = datebuf;
		pairs[0].value.val.string.len = strlen(datebuf);
	}
	else
		pairs[0].value.type = jbvNull;
	pairs[0].order = 0;

	pairs[1].key.type = jbvString;
	pairs[1].key.val.string.val = "type";
	pairs[1].key.val.string.len = 4;
	pairs[1].value.type = jbvString;
	pairs[1].value.val.string.val = unconstify(char *, name);
	pairs[1].value.val.string.len = len;
	pairs[1].order = 1;

	pairs[2].key.type = jbvString;
	pairs[2].key.val.string.val = "count";
	pairs[2].key.val.string.len = 5;
	pairs[2].value.type = jbvNumeric;
	pairs[2].value.val.numeric = count_numeric(counter->count);
	pairs[2].order = 2;

	entry->type = jbvObject;
	entry->val.object.nPairs = 3;
	entry->val.object.pairs = pairs;
}

/*
 * The summary as a jsonb array value, in CurrentMemoryContext: the four
 * fixed types, then the others in byte order.  Shared by the final function
 * and account_actions(), so both give exactly the same entries.  Strings
 * point into the summary, which must outlive the value.
 */
JsonbValue *
action_summary_to_jsonb_value(const ActionSummary *summary)
{
	int			nextras = summary->more ? summary->more->nextras : 0;
	int			nelems = ACTION_NFIXED + nextras;
	JsonbValue *array;
	JsonbValue *elems;
	JsonbPair  *pairs;
	char	   *datebufs;
	int			i;

	/* One allocation for everything but the numbers. */
	array = palloc(sizeof(JsonbValue) * (nelems + 1) +
				   sizeof(JsonbPair) * 3 * nelems +
				   (MAXDATELEN + 1) * nelems);
	elems = array + 1;
	pairs = (JsonbPair *) (elems + nelems);
	datebufs = (char *) (pairs + 3 * nelems);

	for (i = 0; i < ACTION_NFIXED; i++)
	{
		ActionCounter c;

		get_fixed(summary, i, &c);
		fill_entry(&elems[i], &pairs[3 * i], fixed_names[i],
				   strlen(fixed_names[i]), &c,
				   datebufs + (MAXDATELEN + 1) * i);
	}
	for (i = 0; i < nextras; i++)
	{
		const ActionExtra *e = &summary->more->extras[i];
		int			k = ACTION_NFIXED + i;

		fill_entry(&elems[k], &pairs[3 * k], e->name, e->len, &e->counter,
				   datebufs + (MAXDATELEN + 1) * k);
	}

	array->type = jbvArray;
	array->val.array.nElems = nelems;
	array->val.array.elems = elems;
	array->val.array.rawScalar = false;
	return array;
}

/*
 * Raise the error for a support function called outside the aggregate.
 * Such a call cannot get a valid state, so it must not go on.
 */
static void
pg_attribute_noreturn()
not_in_aggregate(const char *fname)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s called in non-aggregate context", fname),
			 errdetail("This function is a support function of the aggregate action_summary(text, timestamptz)."),
			 errhint("Call action_summary(type, created_at) instead.")));
}

/*
 * Transition function: count one row.  A row with a NULL type leaves the
 * state as it is, which may be NULL: a group without any typed action needs
 * no memory at all, and the final function turns NULL into four zeros.
 */
Datum
action_summary_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ActionSummary *state;
	text	   *type;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		not_in_aggregate("action_summary_trans");

	state = PG_ARGISNULL(0) ? NULL : (ActionSummary *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}

	if (state == NULL)
		state = action_summary_create(aggcxt);

	/* Short inline varlenas, the usual case, are read in place. */
	type = PG_GETARG_TEXT_PP(1);
	action_summary_add(state, VARDATA_ANY(type), VARSIZE_ANY_EXHDR(type),
					   !PG_ARGISNULL(2),
					   PG_ARGISNULL(2) ? 0 : PG_GETARG_TIMESTAMPTZ(2));

	PG_RETURN_POINTER(state);
}

/*
 * Combine function: merge the second state into the first.  Either may be
 * NULL (a group that saw no typed action).  When only the second exists it
 * is copied, because it may live in a shorter-lived context than the
 * aggregate's (a deserialized state does).
 */
Datum
action_summary_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ActionSummary *state1;
	ActionSummary *state2;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		not_in_aggregate("action_summary_combine");

	state1 = PG_ARGISNULL(0) ? NULL : (ActionSummary *) PG_GETARG_POINTER(0);
	state2 = PG_ARGISNULL(1) ? NULL : (ActionSummary *) PG_GETARG_POINTER(1);

	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}

	if (state1 == NULL)
		state1 = action_summary_create(aggcxt);
	action_summary_merge(state1, state2);

	PG_RETURN_POINTER(state1);
}

/* Write a counter at p; returns the position after it. */
static char *
write_counter(char *p, const ActionCounter *counter)
{
	uint64		v;

	v = pg_hton64((uint64) counter->count);
	memcpy(p, &v, 8);
	v = pg_hton64((uint64) (counter->has_last ? counter->last : 0));
	memcpy(p + 8, &v, 8);
	p[16] = counter->has_last ? 1 : 0;
	return p + COUNTER_SERIAL_SIZE;
}

/* Write an int32 at p; returns the position after it. */
static char *
write_int32(char *p, int32 value)
{
	uint32		v = pg_hton32((uint32) value);

	memcpy(p, &v, 4);
	return p + 4;
}

/*
 * Serialization function: the state as a flat bytea (format in the file
 * header), sized exactly so that no buffer is grown or wasted per group.
 */
Datum
action_summary_serial(PG_FUNCTION_ARGS)
{
	ActionSummary *state;
	int			nextras;
	Size		size;
	bytea	   *result;
	char	   *p;
	int			i;

	if (!AggCheckCallContext(fcinfo, NULL))
		not_in_aggregate("action_summary_serial");

	state = (ActionSummary *) PG_GETARG_POINTER(0);
	nextras = state->more ? state->more->nextras : 0;

	size = HEADER_SERIAL_SIZE + ACTION_NFIXED * COUNTER_SERIAL_SIZE;
	for (i = 0; i < nextras; i++)
		size += EXTRA_MIN_SERIAL_SIZE + state->more->extras[i].len;

	result = palloc(VARHDRSZ + size);
	SET_VARSIZE(result, VARHDRSZ + size);
	p = VARDATA(result);

	*p++ = SUMMARY_FORMAT_VERSION;
	p = write_int32(p, nextras);
	for (i = 0; i < ACTION_NFIXED; i++)
	{
		ActionCounter c;

		get_fixed(state, i, &c);
		p = write_counter(p, &c);
	}
	for (i = 0; i < nextras; i++)
	{
		const ActionExtra *e = &state->more->extras[i];

		p = write_counter(p, &e->counter);
		p = write_int32(p, e->len);
		memcpy(p, e->name, e->len);
		p += e->len;
	}
	Assert(p == VARDATA(result) + size);

	PG_RETURN_BYTEA_P(result);
}

/*
 * Raise the error for a serialized state that is not one we wrote.
 */
static void
pg_attribute_noreturn()
corrupt_state(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialized action_summary state"),
			 errdetail_internal("%s", detail)));
}

/* Take n bytes from the reader, or fail if fewer are left. */
static const char *
read_bytes(SerialReader *reader, Size n)
{
	const char *p = reader->pos;

	if ((Size) (reader->end - reader->pos) < n)
		corrupt_state("The state ends too early.");
	reader->pos += n;
	return p;
}

/* Read an int32. */
static int32
read_int32(SerialReader *reader)
{
	uint32		v;

	memcpy(&v, read_bytes(reader, 4), 4);
	return (int32) pg_ntoh32(v);
}

/*
 * Read a counter and check it could have been counted: a count of at least
 * min_count, a flag that is 0 or 1, a last time that is a timestamp with
 * time zone, and no last time without an action.
 */
static void
read_counter(SerialReader *reader, ActionCounter *counter, int64 min_count)
{
	const char *p = read_bytes(reader, COUNTER_SERIAL_SIZE);
	uint64		v;

	memcpy(&v, p, 8);
	counter->count = (int64) pg_ntoh64(v);
	memcpy(&v, p + 8, 8);
	counter->last = (TimestampTz) pg_ntoh64(v);

	if (p[16] != 0 && p[16] != 1)
		corrupt_state("A flag is neither 0 nor 1.");
	counter->has_last = (p[16] == 1);

	if (counter->count < min_count)
		corrupt_state("A count is out of range.");
	if (counter->has_last)
	{
		if (counter->count == 0)
			corrupt_state("A type has a last time but no action.");
		if (!TIMESTAMP_NOT_FINITE(counter->last) &&
			!IS_VALID_TIMESTAMP(counter->last))
			corrupt_state("A last time is out of range.");
	}
	else if (counter->last != 0)
		corrupt_state("A last time is set without its flag.");
}

/*
 * Deserialization function: rebuild a state from action_summary_serial's
 * bytea, in CurrentMemoryContext (the combine function copies what it
 * keeps).  Everything is checked, so a corrupt bytea is an error, never a
 * wrong summary or a crash.
 */
Datum
action_summary_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *serial;
	SerialReader reader;
	ActionSummary *state;
	ActionSummaryMore *more = NULL;
	int32		nextras;
	int			i;

	if (!AggCheckCallContext(fcinfo, NULL))
		not_in_aggregate("action_summary_deserial");

	serial = PG_GETARG_BYTEA_PP(0);
	reader.pos = VARDATA_ANY(serial);
	reader.end = reader.pos + VARSIZE_ANY_EXHDR(serial);

	if (*read_bytes(&reader, 1) != SUMMARY_FORMAT_VERSION)
		corrupt_state("The format version is unknown.");
	nextras = read_int32(&reader);

	state = action_summary_create(CurrentMemoryContext);
	for (i = 0; i < ACTION_NFIXED; i++)
	{
		ActionCounter c;

		read_counter(&reader, &c, 0);
		add_fixed(state, i, c.count, c.has_last, c.last);
	}

	/* Bound the allocation below by what the bytes could hold. */
	if (nextras < 0 ||
		(Size) nextras >
		(Size) (reader.end - reader.pos) / EXTRA_MIN_SERIAL_SIZE)
		corrupt_state("The number of other types is out of range.");

	if (nextras > 0)
	{
		more = summary_more(state);
		more->extras = palloc(nextras * sizeof(ActionExtra));
		more->maxextras = nextras;
	}
	for (i = 0; i < nextras; i++)
	{
		ActionExtra *e = &more->extras[i];
		int32		len;

		read_counter(&reader, &e->counter, 1);
		len = read_int32(&reader);
		if (len < 0)
			corrupt_state("A type name length is negative.");
		e->len = len;
		e->name = palloc(Max(len, 1));
		memcpy(e->name, read_bytes(&reader, len), len);

		if (fixed_slot(e->name, len) >= 0)
			corrupt_state("A fixed type is stored as another type.");
		if (i > 0 &&
			compare_names(more->extras[i - 1].name, more->extras[i - 1].len,
						  e->name, len) >= 0)
			corrupt_state("The other types are not in ascending order.");
		more->nextras = i + 1;
	}

	if (reader.pos != reader.end)
		corrupt_state("The state has trailing bytes.");

	PG_RETURN_POINTER(state);
}

/*
 * Final function: the summary as a jsonb array.  A NULL state (no input row,
 * or only rows with a NULL type) gives the four types with count 0.  The
 * state is only read, as a final function of a shared state must.
 */
Datum
action_summary_final(PG_FUNCTION_ARGS)
{
	ActionSummary empty;
	const ActionSummary *state;

	if (PG_ARGISNULL(0))
	{
		memset(&empty, 0, sizeof(ActionSummary));
		state = &empty;
	}
	else
		state = (ActionSummary *) PG_GETARG_POINTER(0);

	PG_RETURN_JSONB_P(JsonbValueToJsonb(action_summary_to_jsonb_value(state)));
}
