/*-------------------------------------------------------------------------
 *
 * summary_v11.c
 *	  The support functions of action_summary_v11(type, created_at), the
 *	  action_summary aggregate of versions 1.0 and 1.1 under the name 1.2
 *	  gives it: transition, combine, serialization, deserialization and
 *	  final functions over an internal state.
 *
 * Version 1.2 made action_summary's state the type action_summary_state
 * (summary_agg.c).  A transition type cannot be altered, and views refer
 * to an aggregate by its OID, so the update renames the old aggregate
 * instead of dropping it: views built on 1.0 or 1.1 keep calling these C
 * functions, under their old SQL names, and so do databases that still run
 * the 1.1 SQL definitions with this library.  Their behaviour must not
 * change.
 *
 * Actions with a NULL type are ignored, as aggregates ignore NULL inputs; an
 * action with a NULL created_at is counted and does not change "last".  The
 * state is an ActionSummary (summary.c) in the aggregate's memory context.
 * The serialized state (for parallel aggregation) is a bytea holding the
 * binary form of summary_binary.c, checked in full when deserialized, since
 * a bytea could come from anywhere.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "compat.h"
#include "summary_int.h"

PG_FUNCTION_INFO_V1(action_summary_trans);
PG_FUNCTION_INFO_V1(action_summary_combine);
PG_FUNCTION_INFO_V1(action_summary_serial);
PG_FUNCTION_INFO_V1(action_summary_deserial);
PG_FUNCTION_INFO_V1(action_summary_final);

/* What the serialized state is called in errors. */
#define SERIAL_WHAT		"serialized action_summary state"

/* What the aggregate is called in errors. */
#define AGGREGATE_NAME	"action_summary_v11(text, timestamptz)"

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
	MemoryContext aggcxt;
	ActionSummary *state = state_arg(fcinfo, 0);
	text	   *type;

	aggcxt = action_summary_agg_context(fcinfo, "action_summary_trans",
										AGGREGATE_NAME);
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
	MemoryContext aggcxt;
	ActionSummary *state1 = state_arg(fcinfo, 0);
	ActionSummary *state2 = state_arg(fcinfo, 1);

	aggcxt = action_summary_agg_context(fcinfo, "action_summary_combine",
										AGGREGATE_NAME);
	if (state2 == NULL)
		return return_state(fcinfo, state1);

	if (state1 == NULL)
		state1 = action_summary_create(aggcxt);
	action_summary_merge(state1, state2);

	PG_RETURN_POINTER(state1);
}

/*
 * Serialization function: the state as a bytea holding its binary form.
 */
Datum
action_summary_serial(PG_FUNCTION_ARGS)
{
	const ActionSummary *state;
	Size		size;
	bytea	   *result;

	(void) action_summary_agg_context(fcinfo, "action_summary_serial",
									  AGGREGATE_NAME);

	state = (const ActionSummary *) PG_GETARG_POINTER(0);
	size = action_summary_binary_size(state);
	result = palloc(VARHDRSZ + size);
	SET_VARSIZE(result, VARHDRSZ + size);
	action_summary_binary_write(state, VARDATA(result), size);

	PG_RETURN_BYTEA_P(result);
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
	ActionSummary *state;

	(void) action_summary_agg_context(fcinfo, "action_summary_deserial",
									  AGGREGATE_NAME);

	serial = PG_GETARG_BYTEA_PP(0);
	state = action_summary_create(CurrentMemoryContext);
	action_summary_add_binary(state, VARDATA_ANY(serial),
							  VARSIZE_ANY_EXHDR(serial), SERIAL_WHAT);

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
