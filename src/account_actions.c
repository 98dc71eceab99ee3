/*-------------------------------------------------------------------------
 *
 * account_actions.c
 *	  account_actions(doc jsonb): the action summary of one MongoDB-style
 *	  account document.
 *
 * A document looks like
 *
 *		{"number": ..., "sessions": [{"actions": [
 *			{"type": ..., "created_at": ...}, ...]}, ...]}
 *
 * and the result is {"number": <number as it is, null if missing>,
 * "actions": <the same array action_summary() gives>}.  The walk reads the
 * jsonb in place with the container accessors: no SQL, no copy of the
 * document, and per action only a small JsonbValue that is freed at once.
 *
 * created_at may be a string, read exactly as a ::timestamptz cast reads it
 * (strings without a zone are in the session TimeZone), or MongoDB Extended
 * JSON: {"$date": "<string>"}, {"$date": {"$numberLong": "<ms>"}} or
 * {"$date": <ms>}, milliseconds since the Unix epoch.  This file finds the
 * value and reports its errors; created_at.c reads it.
 *
 * Anything malformed is an error of SQLSTATE class 22 whose message names
 * the place, as a path with 0-based indexes like
 * sessions[2].actions[5].created_at.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "compat.h"
#include "created_at.h"
#include "summary.h"

PG_FUNCTION_INFO_V1(account_actions);

/* Where the walk is, for messages: -1 when not inside that level. */
typedef struct WalkPosition
{
	int			session;
	int			action;
	ErrorContextCallback context;	/* created_at_context, for the parser */
} WalkPosition;

/*
 * Path of a place in the document, for an error message: "sessions",
 * "sessions[i]", "sessions[i].actions[j].created_at" and so on.
 */
static char *
doc_path(int session, const char *key, int action, const char *field)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "sessions");
	if (session >= 0)
		appendStringInfo(&buf, "[%d]", session);
	if (key != NULL)
		appendStringInfo(&buf, ".%s", key);
	if (action >= 0)
		appendStringInfo(&buf, "[%d]", action);
	if (field != NULL)
		appendStringInfo(&buf, ".%s", field);
	return buf.data;
}

/*
 * What kind of JSON value v is, as a noun phrase for an error detail.
 */
static const char *
value_kind(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ?
				"an array" : "an object";
		default:
			return "an unexpected value";
	}
}

/* Is v an array (container)? */
static inline bool
is_array(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data);
}

/* Is v an object (container)? */
static inline bool
is_object(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

/*
 * Look up key in an object; false if it is missing or JSON null, so that
 * callers treat both the same way, as the contract asks.
 */
static inline bool
get_key(JsonbContainer *object, const char *key, JsonbValue *result)
{
	if (getKeyJsonValueFromContainer(object, key, strlen(key), result) == NULL)
		return false;
	return result->type != jbvNull;
}

/*
 * Error context for the datetime decoder, which raises some errors itself
 * (an unknown time zone name): it adds where in the document the string
 * was.
 */
static void
created_at_context(void *arg)
{
	WalkPosition *pos = (WalkPosition *) arg;

	errcontext("while reading %s of an account document",
			   doc_path(pos->session, "actions", pos->action, "created_at"));
}

/*
 * Raise the error for a created_at value of the wrong shape.
 */
pg_noreturn static void
bad_created_at_shape(WalkPosition *pos, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid created_at at %s",
					doc_path(pos->session, "actions", pos->action,
							 "created_at")),
			 errdetail_internal("%s", detail)));
}

/*
 * Read an Extended JSON date object {"$date": ...} into *result, raising on
 * a wrong shape; the status says whether its text or number was usable.
 * *what is set to the text shown in a message about that value.
 */
static CreatedAtStatus
parse_extended_date(JsonbContainer *object, WalkPosition *pos,
					TimestampTz *result, char **what)
{
	JsonbValue	date;
	JsonbValue	number_long;

	if (JsonContainerSize(object) != 1 ||
		getKeyJsonValueFromContainer(object, "$date", 5, &date) == NULL)
		bad_created_at_shape(pos, "An object created_at must have exactly one key, \"$date\".");

	if (date.type == jbvString)
	{
		*what = pnstrdup(date.val.string.val, date.val.string.len);
		return created_at_from_string(date.val.string.val,
									  date.val.string.len, &pos->context,
									  result);
	}
	if (date.type == jbvNumeric)
	{
		Datum		number = NumericGetDatum(date.val.numeric);

		*what = DatumGetCString(DirectFunctionCall1(numeric_out, number));
		return created_at_from_ms_numeric(date.val.numeric, result);
	}
	if (!is_object(&date) ||
		JsonContainerSize(date.val.binary.data) != 1 ||
		getKeyJsonValueFromContainer(date.val.binary.data, "$numberLong", 11,
									 &number_long) == NULL ||
		number_long.type != jbvString)
		bad_created_at_shape(pos, "\"$date\" must be a string, a number, or an object {\"$numberLong\": <string>}.");

	*what = pnstrdup(number_long.val.string.val, number_long.val.string.len);
	return created_at_from_ms_string(number_long.val.string.val,
									 number_long.val.string.len, result);
}

/*
 * Read an action's created_at.  Returns false when it is missing or null
 * (the action counts, without a time); raises when it is malformed.
 */
static bool
read_created_at(JsonbContainer *action, WalkPosition *pos,
				TimestampTz *result)
{
	JsonbValue	v;
	CreatedAtStatus status;
	char	   *what;

	if (!get_key(action, "created_at", &v))
		return false;

	if (v.type == jbvString)
	{
		status = created_at_from_string(v.val.string.val, v.val.string.len,
										&pos->context, result);
		if (status == CREATED_AT_OK)
			return true;
		what = pnstrdup(v.val.string.val, v.val.string.len);
	}
	else if (is_object(&v))
	{
		status = parse_extended_date(v.val.binary.data, pos, result, &what);
		if (status == CREATED_AT_OK)
			return true;
	}
	else
		bad_created_at_shape(pos,
							 psprintf("Expected a string, an object {\"$date\": ...} or null, found %s.",
									  value_kind(&v)));

	if (status == CREATED_AT_OUT_OF_RANGE)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("created_at out of range at %s",
						doc_path(pos->session, "actions", pos->action,
								 "created_at")),
				 errdetail("The value \"%s\" is outside the range of timestamp with time zone.",
						   what)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
			 errmsg("invalid created_at at %s",
					doc_path(pos->session, "actions", pos->action,
							 "created_at")),
			 errdetail("The value \"%s\" is not a valid timestamp with time zone.",
					   what)));
	pg_unreachable();
}

/*
 * Count the actions of one session into the summary.
 */
static void
add_session(ActionSummary *summary, JsonbContainer *session,
			WalkPosition *pos)
{
	JsonbValue	actions;
	JsonbContainer *container;
	int			n;
	int			i;

	if (!get_key(session, "actions", &actions))
		return;
	if (!is_array(&actions))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid actions at %s",
						doc_path(pos->session, "actions", -1, NULL)),
				 errdetail("Expected an array or null, found %s.",
						   value_kind(&actions))));

	container = actions.val.binary.data;
	n = JsonContainerSize(container);
	for (i = 0; i < n; i++)
	{
		JsonbValue *action = getIthJsonbValueFromContainer(container, i);
		JsonbValue	type;
		TimestampTz created_at = 0;
		bool		has_time;

		/* A session can hold any number of actions. */
		CHECK_FOR_INTERRUPTS();

		pos->action = i;
		if (!is_object(action))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid action at %s",
							doc_path(pos->session, "actions", i, NULL)),
					 errdetail("Expected an object, found %s.",
							   value_kind(action))));

		if (get_key(action->val.binary.data, "type", &type))
		{
			if (type.type != jbvString)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid type at %s",
								doc_path(pos->session, "actions", i, "type")),
						 errdetail("Expected a string or null, found %s.",
								   value_kind(&type))));

			/* Checked before the type is known to count, like any action. */
			has_time = read_created_at(action->val.binary.data, pos,
									   &created_at);
			action_summary_add(summary, type.val.string.val,
							   type.val.string.len, has_time, created_at);
		}
		else
		{
			/*
			 * An action without a type is ignored, as the aggregate ignores a
			 * NULL type; its created_at must still be well-formed.
			 */
			(void) read_created_at(action->val.binary.data, pos, &created_at);
		}
		pfree(action);
	}
	pos->action = -1;
}

/*
 * account_actions(doc jsonb) returns jsonb: {"number": ..., "actions": [...]}
 * for one account document, with the same entries action_summary() gives
 * for the document's actions.
 */
Datum
account_actions(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	JsonbValue	number;
	JsonbValue	sessions;
	ActionSummary *summary;
	WalkPosition pos;
	JsonbPair	pairs[2];
	JsonbValue	result;

	if (!JB_ROOT_IS_OBJECT(doc))
	{
		JsonbValue	scalar;

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid account document at top level"),
				 errdetail("Expected an object, found %s.",
						   JsonbExtractScalar(&doc->root, &scalar) ?
						   value_kind(&scalar) : "an array")));
	}

	summary = action_summary_create(CurrentMemoryContext);
	pos.session = -1;
	pos.action = -1;
	pos.context.previous = NULL;
	pos.context.callback = created_at_context;
	pos.context.arg = &pos;

	if (get_key(&doc->root, "sessions", &sessions))
	{
		JsonbContainer *container;
		int			n;
		int			i;

		if (!is_array(&sessions))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid sessions at sessions"),
					 errdetail("Expected an array or null, found %s.",
							   value_kind(&sessions))));

		container = sessions.val.binary.data;
		n = JsonContainerSize(container);
		for (i = 0; i < n; i++)
		{
			JsonbValue *session;

			CHECK_FOR_INTERRUPTS();

			session = getIthJsonbValueFromContainer(container, i);
			pos.session = i;
			if (!is_object(session))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid session at %s",
								doc_path(i, NULL, -1, NULL)),
						 errdetail("Expected an object, found %s.",
								   value_kind(session))));
			add_session(summary, session->val.binary.data, &pos);
			pfree(session);
		}
	}

	/*
	 * The result, with number as it is.  A number that is an object or an
	 * array is turned from its container into a tree, as the result is a
	 * tree: pushJsonbValue unpacks the container.
	 */
	if (getKeyJsonValueFromContainer(&doc->root, "number", 6, &number) == NULL)
		number.type = jbvNull;
	else if (number.type == jbvBinary)
	{
		JsonbParseState *state = NULL;

		number = *pushJsonbValue(&state, WJB_ELEM, &number);
	}

	/* Keys in jsonb order: "number" is shorter than "actions". */
	pairs[0].key.type = jbvString;
	pairs[0].key.val.string.val = "number";
	pairs[0].key.val.string.len = 6;
	pairs[0].value = number;
	pairs[1].key.type = jbvString;
	pairs[1].key.val.string.val = "actions";
	pairs[1].key.val.string.len = 7;
	pairs[1].value = *action_summary_to_jsonb_value(summary);

	result.type = jbvObject;
	result.val.object.nPairs = 2;
	result.val.object.pairs = pairs;
	Assert(jsonb_keys_in_order(&result));
	PG_RETURN_JSONB_P(JsonbValueToJsonb(&result));
}
