/*-------------------------------------------------------------------------
 *
 * summary_agg.c
 *	  The action_summary(type, created_at) aggregate: its transition,
 *	  combine, serialization, deserialization and final functions.
 *
 * Actions with a NULL type are ignored, as aggregates ignore NULL inputs; an
 * action with a NULL created_at is counted and does not change "last".  The
 * state is an ActionSummary (summary.c) in the aggregate's memory context.
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
 * deserialization function checks all of it, every length against the bytes
 * that remain before anything is allocated for it, since a bytea could come
 * from anywhere.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "summary_int.h"

PG_FUNCTION_INFO_V1(action_summary_trans);
PG_FUNCTION_INFO_V1(action_summary_combine);
PG_FUNCTION_INFO_V1(action_summary_serial);
PG_FUNCTION_INFO_V1(action_summary_deserial);
PG_FUNCTION_INFO_V1(action_summary_final);

/* Serialized sizes; see the file header. */
#define SUMMARY_FORMAT_VERSION	1
#define COUNTER_SERIAL_SIZE		(8 + 8 + 1)
#define EXTRA_MIN_SERIAL_SIZE	(COUNTER_SERIAL_SIZE + 4)

/*
 * Raise the error for a support function called outside the aggregate.
 * Such a call cannot get a valid state, so it must not go on.
 */
pg_noreturn static void
not_in_aggregate(const char *fname)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s called in non-aggregate context", fname),
			 errdetail("This function is a support function of the aggregate action_summary(text, timestamptz)."),
			 errhint("Call action_summary(type, created_at) instead.")));
}

/*
 * The aggregate's memory context; raises the error above when called from
 * anywhere else.
 */
static MemoryContext
aggregate_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		not_in_aggregate(fname);
	return aggcxt;
}

/* Argument n as a state: NULL for a group that saw no typed action. */
static inline ActionSummary *
state_arg(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : (ActionSummary *) PG_GETARG_POINTER(n);
}

/* Return a state, which may be NULL. */
static inline Datum
return_state(FunctionCallInfo fcinfo, ActionSummary *state)
{
	if (state == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(state);
}

/*
 * Transition function: count one row.  A row with a NULL type leaves the
 * state as it is, which may be NULL: a group without any typed action needs
 * no memory at all, and the final function turns NULL into four zeros.
 */
Datum
action_summary_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = aggregate_context(fcinfo, "action_summary_trans");
	ActionSummary *state = state_arg(fcinfo, 0);
	text	   *type;

	if (PG_ARGISNULL(1))
		return return_state(fcinfo, state);

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
	MemoryContext aggcxt = aggregate_context(fcinfo, "action_summary_combine");
	ActionSummary *state1 = state_arg(fcinfo, 0);
	ActionSummary *state2 = state_arg(fcinfo, 1);

	if (state2 == NULL)
		return return_state(fcinfo, state1);

	if (state1 == NULL)
		state1 = action_summary_create(aggcxt);
	action_summary_merge(state1, state2);

	PG_RETURN_POINTER(state1);
}

/*
 * Serialization function: the state as a flat bytea (format in the file
 * header).
 */
Datum
action_summary_serial(PG_FUNCTION_ARGS)
{
	ActionSummaryIter iter;
	StringInfoData buf;
	const char *name;
	int			len;
	ActionCounter c;

	(void) aggregate_context(fcinfo, "action_summary_serial");

	action_summary_iter_init(&iter,
							 (ActionSummary *) PG_GETARG_POINTER(0));

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, SUMMARY_FORMAT_VERSION);
	pq_sendint32(&buf, iter.nentries - ACTION_NFIXED);
	while (action_summary_iter_next(&iter, &name, &len, &c))
	{
		pq_sendint64(&buf, c.count);
		pq_sendint64(&buf, c.has_last ? c.last : 0);
		pq_sendbyte(&buf, c.has_last ? 1 : 0);
		if (iter.next > ACTION_NFIXED)
		{
			pq_sendint32(&buf, len);
			pq_sendbytes(&buf, name, len);
		}
	}

	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Raise the error for a serialized state that is not one we wrote.
 */
pg_noreturn static void
corrupt_state(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialized action_summary state"),
			 errdetail_internal("%s", detail)));
}

/*
 * Fail unless n more bytes are left, before reading (or allocating for)
 * them: pqformat's own check would report a protocol violation instead.
 */
static void
need_bytes(StringInfo buf, int64 n)
{
	if (n > buf->len - buf->cursor)
		corrupt_state("The state ends too early.");
}

/*
 * Read a counter and check it could have been counted: a count of at least
 * min_count, a flag that is 0 or 1, a last time that is a timestamp with
 * time zone, and no last time without an action.
 */
static void
read_counter(StringInfo buf, ActionCounter *counter, int64 min_count)
{
	int			flag;

	need_bytes(buf, COUNTER_SERIAL_SIZE);
	counter->count = pq_getmsgint64(buf);
	counter->last = pq_getmsgint64(buf);
	flag = pq_getmsgbyte(buf);

	if (flag != 0 && flag != 1)
		corrupt_state("A flag is neither 0 nor 1.");
	counter->has_last = (flag == 1);

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
 * wrong summary, a crash or a large allocation.
 */
Datum
action_summary_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *serial;
	StringInfoData buf;
	ActionSummary *state;
	int32		nextras;
	const char *prev = NULL;
	int32		prevlen = 0;
	int			i;

	(void) aggregate_context(fcinfo, "action_summary_deserial");

	serial = PG_GETARG_BYTEA_PP(0);
	initReadOnlyStringInfo(&buf, VARDATA_ANY(serial),
						   VARSIZE_ANY_EXHDR(serial));

	need_bytes(&buf, 1);
	if (pq_getmsgbyte(&buf) != SUMMARY_FORMAT_VERSION)
		corrupt_state("The format version is unknown.");
	need_bytes(&buf, 4);
	nextras = (int32) pq_getmsgint(&buf, 4);

	state = action_summary_create(CurrentMemoryContext);
	for (i = 0; i < ACTION_NFIXED; i++)
	{
		ActionCounter c;

		read_counter(&buf, &c, 0);
		action_summary_add_counter(state, action_fixed_names[i],
								   strlen(action_fixed_names[i]), &c);
	}

	if (nextras < 0 ||
		nextras > (buf.len - buf.cursor) / EXTRA_MIN_SERIAL_SIZE)
		corrupt_state("The number of other types is out of range.");

	for (i = 0; i < nextras; i++)
	{
		ActionCounter c;
		int32		len;
		const char *name;

		CHECK_FOR_INTERRUPTS();
		read_counter(&buf, &c, 1);
		need_bytes(&buf, 4);
		len = (int32) pq_getmsgint(&buf, 4);
		if (len < 0)
			corrupt_state("A type name length is negative.");
		need_bytes(&buf, len);
		name = pq_getmsgbytes(&buf, len);

		if (action_type_is_fixed(name, len))
			corrupt_state("A fixed type is stored as another type.");
		if (prev != NULL &&
			action_type_compare(prev, prevlen, name, len) >= 0)
			corrupt_state("The other types are not in ascending order.");
		action_summary_add_counter(state, name, len, &c);
		prev = name;
		prevlen = len;
	}

	if (buf.cursor != buf.len)
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
	const ActionSummary *state;

	if (PG_ARGISNULL(0))
		state = action_summary_create(CurrentMemoryContext);
	else
		state = (ActionSummary *) PG_GETARG_POINTER(0);

	PG_RETURN_JSONB_P(JsonbValueToJsonb(action_summary_to_jsonb_value(state)));
}
