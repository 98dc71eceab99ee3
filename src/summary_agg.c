/*-------------------------------------------------------------------------
 *
 * summary_agg.c
 *	  The aggregates over the type action_summary_state:
 *	  action_summary(type, created_at) and action_summary(state), which
 *	  give the jsonb summary, action_summary_partial(type, created_at) and
 *	  action_summary_merge(state), which give a state to store and merge
 *	  later, and action_summary_result(state), which finishes one.
 *
 * All four aggregates share one transition type, action_summary_state, and
 * two support functions: action_summary_state_add counts one row,
 * action_summary_state_merge adds a whole state (the combine function of
 * all four, and the transition function of the two over states).  Both
 * update their first argument in place, an expanded object in the
 * aggregate's memory (summary_state.c), and return it, so that a row
 * costs what it did in 1.1.  The states leave the aggregate flat: the
 * leader of a parallel plan receives them flat, as Citus's coordinator
 * does through the text form, and merges them in.
 *
 * Actions with a NULL type are ignored, as aggregates ignore NULL inputs;
 * an action with a NULL created_at is counted and does not change "last".
 * A group without any typed action has a NULL state, which the final
 * functions turn into the empty summary: four zero entries as jsonb, the
 * empty state for the aggregates that return a state.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "compat.h"
#include "summary_int.h"

PG_FUNCTION_INFO_V1(action_summary_state_add);
PG_FUNCTION_INFO_V1(action_summary_state_merge);
PG_FUNCTION_INFO_V1(action_summary_state_jsonb);
PG_FUNCTION_INFO_V1(action_summary_state_finish);

/*
 * The aggregate's memory context; raises 0A000 when fname is called
 * anywhere else, as such a call cannot get a valid state.  aggregate names
 * the aggregate it supports, for the message.
 */
MemoryContext
action_summary_agg_context(FunctionCallInfo fcinfo, const char *fname,
						   const char *aggregate)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", fname),
				 errdetail("This function is a support function of the aggregate %s.",
						   aggregate),
				 errhint("Call action_summary(type, created_at) instead.")));
	return aggcxt;
}

/*
 * The state of argument 0 to update in place, with its summary in
 * *summary: a new one when it is NULL, the object itself when it is ours
 * to write, else a copy of it (a flat state the executor holds, which it
 * frees when the copy comes back).
 */
static Datum
writable_state(FunctionCallInfo fcinfo, MemoryContext aggcxt,
			   ActionSummary **summary)
{
	Datum		state;

	if (PG_ARGISNULL(0))
		return action_summary_state_create(aggcxt, summary);

	state = PG_GETARG_DATUM(0);
	*summary = action_summary_state_writable(state);
	if (*summary != NULL)
		return state;

	state = action_summary_state_create(aggcxt, summary);
	action_summary_state_add_to(*summary, PG_GETARG_DATUM(0));
	return state;
}

/*
 * Transition function of action_summary(type, created_at) and
 * action_summary_partial: count one row.  A row with a NULL type leaves
 * the state as it is, which may be NULL.
 */
Datum
action_summary_state_add(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ActionSummary *summary;
	Datum		state;
	text	   *type;

	aggcxt = action_summary_agg_context(fcinfo, "action_summary_state_add",
										"action_summary(text, timestamptz)");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}

	state = writable_state(fcinfo, aggcxt, &summary);

	/* Short inline varlenas, the usual case, are read in place. */
	type = PG_GETARG_TEXT_PP(1);
	action_summary_add(summary, VARDATA_ANY(type), VARSIZE_ANY_EXHDR(type),
					   !PG_ARGISNULL(2),
					   PG_ARGISNULL(2) ? 0 : PG_GETARG_TIMESTAMPTZ(2));

	PG_RETURN_DATUM(state);
}

/*
 * Combine function of the four aggregates, and transition function of
 * action_summary_merge and action_summary(state): add the second state,
 * in any form, to the first.  Either may be NULL.
 */
Datum
action_summary_state_merge(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ActionSummary *summary;
	Datum		state;

	aggcxt = action_summary_agg_context(fcinfo, "action_summary_state_merge",
										"action_summary_merge(action_summary_state)");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}

	state = writable_state(fcinfo, aggcxt, &summary);
	action_summary_state_add_to(summary, PG_GETARG_DATUM(1));

	PG_RETURN_DATUM(state);
}

/*
 * The jsonb summary of a state: the final function of the two
 * action_summary aggregates, where a NULL state gives the four types with
 * count 0, and action_summary_result(state), which is strict.  The state
 * is only read, as a final function of a shared state must.
 */
Datum
action_summary_state_jsonb(PG_FUNCTION_ARGS)
{
	const ActionSummary *summary;
	JsonbValue *array;

	if (PG_ARGISNULL(0))
		summary = action_summary_create(CurrentMemoryContext);
	else
		summary = action_summary_state_read(PG_GETARG_DATUM(0));

	array = action_summary_to_jsonb_value(summary);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(array));
}

/*
 * Final function of action_summary_partial and action_summary_merge: the
 * state, read-only, or the empty state for a NULL one, so that a group
 * without any typed action stores a state that finishes as four zero
 * entries, as action_summary gives for it.
 */
Datum
action_summary_state_finish(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
	{
		ActionSummary *empty = action_summary_create(CurrentMemoryContext);

		PG_RETURN_DATUM(action_summary_state_flat(empty));
	}
	PG_RETURN_DATUM(action_summary_state_read_only(PG_GETARG_DATUM(0)));
}
