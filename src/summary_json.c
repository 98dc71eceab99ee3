/*-------------------------------------------------------------------------
 *
 * summary_json.c
 *	  The action summary as jsonb: an array of {"type", "last", "count"}
 *	  objects, the four fixed types first, then the others in byte order.
 *	  This is the one place a summary becomes JSON, for the final function
 *	  and account_actions() alike.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "summary_int.h"

/* Counts below this have a cached jsonb number; see count_numeric(). */
#define SMALL_COUNT_CACHE		256

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

/* Set a jsonb string value, which points to str without copying it. */
static inline void
set_string(JsonbValue *v, const char *str, int len)
{
	v->type = jbvString;
	v->val.string.val = unconstify(char *, str);
	v->val.string.len = len;
}

/*
 * Fill one {"last", "type", "count"} object.  The pairs are written in the
 * order jsonb keeps keys (shorter first, then bytewise), so that the value
 * can go straight to JsonbValueToJsonb without a parse state, which takes
 * several allocations and a sort per object: that costs a third more time
 * in account_actions().  datebuf must have room for MAXDATELEN + 1 bytes;
 * it and name must live as long as the value.
 */
static void
fill_entry(JsonbValue *entry, JsonbPair *pairs, const char *name, int len,
		   const ActionCounter *counter, char *datebuf)
{
	set_string(&pairs[0].key, "last", 4);
	if (counter->has_last)
	{
		JsonEncodeDateTime(datebuf, TimestampTzGetDatum(counter->last),
						   TIMESTAMPTZOID, NULL);
		set_string(&pairs[0].value, datebuf, strlen(datebuf));
	}
	else
		pairs[0].value.type = jbvNull;

	set_string(&pairs[1].key, "type", 4);
	set_string(&pairs[1].value, name, len);

	set_string(&pairs[2].key, "count", 5);
	pairs[2].value.type = jbvNumeric;
	pairs[2].value.val.numeric = count_numeric(counter->count);

	entry->type = jbvObject;
	entry->val.object.nPairs = 3;
	entry->val.object.pairs = pairs;
	Assert(jsonb_keys_in_order(entry));
}

/*
 * The summary as a jsonb array value, in CurrentMemoryContext.  Strings
 * point into the summary, which must outlive the value.
 */
JsonbValue *
action_summary_to_jsonb_value(const ActionSummary *summary)
{
	ActionSummaryIter iter;
	const char *name;
	int			len;
	ActionCounter counter;
	int			nelems;
	JsonbValue *array;
	JsonbValue *elems;
	JsonbPair  *pairs;
	char	   *datebufs;
	int			i = 0;

	action_summary_iter_init(&iter, summary);
	nelems = iter.nentries;

	/* One allocation for everything but the numbers. */
	array = palloc(sizeof(JsonbValue) * (nelems + 1) +
				   sizeof(JsonbPair) * 3 * nelems +
				   (Size) (MAXDATELEN + 1) * nelems);
	elems = array + 1;
	pairs = (JsonbPair *) (elems + nelems);
	datebufs = (char *) (pairs + 3 * nelems);

	while (action_summary_iter_next(&iter, &name, &len, &counter))
	{
		fill_entry(&elems[i], &pairs[3 * i], name, len, &counter,
				   datebufs + (Size) (MAXDATELEN + 1) * i);
		i++;
	}

	array->type = jbvArray;
	array->val.array.nElems = nelems;
	array->val.array.elems = elems;
	array->val.array.rawScalar = false;
	return array;
}
