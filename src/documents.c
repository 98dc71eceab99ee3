/*-------------------------------------------------------------------------
 *
 * documents.c
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
 * {"$date": <ms>}, milliseconds since the Unix epoch.  The usual ISO-8601
 * shape is read by a fast path that gives exactly what the cast gives;
 * other strings go through PostgreSQL's own ParseDateTime and
 * DecodeDateTime, whose error codes are turned into our errors, rather than
 * catching errors with PG_TRY, which would cost a setjmp per action.
 *
 * Anything malformed is an error of SQLSTATE class 22 whose message names
 * the place, as a path with 0-based indexes like
 * sessions[2].actions[5].created_at.
 *
 *-------------------------------------------------------------------------
 */
#include "accmatch.h"

#include "common/int.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(account_actions);

/* Milliseconds from the Unix epoch to the PostgreSQL epoch (2000-01-01). */
#define UNIX_TO_PG_EPOCH_MS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000)

/* Outcome of reading a date. */
typedef enum DateStatus
{
	DATE_OK,
	DATE_BAD_FORMAT,			/* 22007 */
	DATE_OUT_OF_RANGE			/* 22008 */
} DateStatus;

/* Where the walk is, for messages: -1 when not inside that level. */
typedef struct WalkPosition
{
	int			session;
	int			action;
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
 * Error context for the datetime decoder, which in PostgreSQL 15 still
 * raises some errors itself (an unknown time zone name): it adds where in
 * the document the string was.
 */
static void
created_at_context(void *arg)
{
	WalkPosition *pos = (WalkPosition *) arg;

	errcontext("while reading %s of an account document",
			   doc_path(pos->session, "actions", pos->action, "created_at"));
}

/* Value of the n decimal digits at s, or -1 if one is not a digit. */
static inline int
read_digits(const char *s, int n)
{
	int			value = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return -1;
		value = value * 10 + (s[i] - '0');
	}
	return value;
}

/*
 * Read the shape nearly every document uses,
 * YYYY-MM-DD[T ]HH:MM:SS[.f{1,6}][Z|+HH|+HH:MM|+HHMM] (or -), without the
 * general datetime parser, which is most of the cost of a document.  It
 * returns false for anything else, and for anything outside the plain
 * ranges (year 0, day 31 of a short month, hour 24, second 60, more than six
 * fractional digits, an offset over 15 hours...), leaving those to the
 * general path; what it accepts it reads exactly as timestamptz_in does,
 * down to resolving a zoneless time in the session TimeZone with the same
 * DetermineTimeZoneOffset call.
 */
static bool
parse_iso_fast(const char *s, int len, TimestampTz *result)
{
	struct pg_tm tt;
	fsec_t		fsec = 0;
	int			tz;
	int			pos;

	if (len < 19 || s[4] != '-' || s[7] != '-' ||
		(s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
		return false;

	memset(&tt, 0, sizeof(tt));
	tt.tm_year = read_digits(s, 4);
	tt.tm_mon = read_digits(s + 5, 2);
	tt.tm_mday = read_digits(s + 8, 2);
	tt.tm_hour = read_digits(s + 11, 2);
	tt.tm_min = read_digits(s + 14, 2);
	tt.tm_sec = read_digits(s + 17, 2);
	if (tt.tm_year < 1 || tt.tm_mon < 1 || tt.tm_mon > 12 ||
		tt.tm_mday < 1 ||
		tt.tm_mday > day_tab[isleap(tt.tm_year)][tt.tm_mon - 1] ||
		tt.tm_hour < 0 || tt.tm_hour > 23 ||
		tt.tm_min < 0 || tt.tm_min > 59 ||
		tt.tm_sec < 0 || tt.tm_sec > 59)
		return false;

	pos = 19;
	if (pos < len && s[pos] == '.')
	{
		int			ndigits = 0;

		pos++;
		while (pos < len && s[pos] >= '0' && s[pos] <= '9')
		{
			if (++ndigits > 6)
				return false;
			fsec = fsec * 10 + (s[pos++] - '0');
		}
		if (ndigits == 0)
			return false;
		for (; ndigits < 6; ndigits++)
			fsec *= 10;
	}

	if (pos == len)
		tz = DetermineTimeZoneOffset(&tt, session_timezone);
	else if (s[pos] == 'Z' && pos + 1 == len)
		tz = 0;
	else if (s[pos] == '+' || s[pos] == '-')
	{
		const char *z = s + pos + 1;
		int			zlen = len - pos - 1;
		int			hour;
		int			minute = 0;

		hour = zlen >= 2 ? read_digits(z, 2) : -1;
		if (zlen == 5 && z[2] == ':')
			minute = read_digits(z + 3, 2);
		else if (zlen == 4)
			minute = read_digits(z + 2, 2);
		else if (zlen != 2)
			return false;
		if (hour < 0 || hour > 15 || minute < 0 || minute > 59)
			return false;

		/* PostgreSQL counts zone offsets in seconds west of UTC. */
		tz = hour * SECS_PER_HOUR + minute * SECS_PER_MINUTE;
		if (s[pos] == '+')
			tz = -tz;
	}
	else
		return false;

	return tm2timestamp(&tt, fsec, &tz, result) == 0;
}

/*
 * Read a date string as timestamptz_in would, but report failure as a
 * status instead of raising, so a bad date can be reported with its path at
 * no per-action cost.  The string is not NUL-terminated.
 */
static DateStatus
parse_date_string(const char *s, int len, WalkPosition *pos,
				  TimestampTz *result)
{
	char		stackbuf[MAXDATELEN + 1];
	char	   *str;
	char		workbuf[MAXDATELEN + MAXDATEFIELDS];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	int			tz;
	int			dterr;
	struct pg_tm tt;
	fsec_t		fsec;
	ErrorContextCallback errcallback;

	if (parse_iso_fast(s, len, result))
		return DATE_OK;

	str = len < (int) sizeof(stackbuf) ? stackbuf : palloc(len + 1);
	memcpy(str, s, len);
	str[len] = '\0';

	errcallback.callback = created_at_context;
	errcallback.arg = pos;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	dterr = ParseDateTime(str, workbuf, sizeof(workbuf), field, ftype,
						  MAXDATEFIELDS, &nf);
	if (dterr == 0)
		dterr = DecodeDateTime(field, ftype, nf, &dtype, &tt, &fsec, &tz);

	error_context_stack = errcallback.previous;

	if (str != stackbuf)
		pfree(str);

	if (dterr == DTERR_FIELD_OVERFLOW || dterr == DTERR_MD_FIELD_OVERFLOW ||
		dterr == DTERR_TZDISP_OVERFLOW)
		return DATE_OUT_OF_RANGE;
	if (dterr != 0)
		return DATE_BAD_FORMAT;

	switch (dtype)
	{
		case DTK_DATE:
			if (tm2timestamp(&tt, fsec, &tz, result) != 0)
				return DATE_OUT_OF_RANGE;
			return DATE_OK;
		case DTK_EPOCH:
			*result = SetEpochTimestamp();
			return DATE_OK;
		case DTK_LATE:
			TIMESTAMP_NOEND(*result);
			return DATE_OK;
		case DTK_EARLY:
			TIMESTAMP_NOBEGIN(*result);
			return DATE_OK;
		default:
			return DATE_BAD_FORMAT;
	}
}

/*
 * Turn milliseconds since the Unix epoch into a timestamptz, checking the
 * range without overflowing on the way.
 */
static DateStatus
ms_to_timestamptz(int64 ms, TimestampTz *result)
{
	int64		pg_ms;
	int64		us;

	if (pg_sub_s64_overflow(ms, UNIX_TO_PG_EPOCH_MS, &pg_ms) ||
		pg_mul_s64_overflow(pg_ms, 1000, &us) ||
		!IS_VALID_TIMESTAMP(us))
		return DATE_OUT_OF_RANGE;
	*result = us;
	return DATE_OK;
}

/*
 * Read a $numberLong string: an optional sign and decimal digits, the way
 * MongoDB writes a 64-bit integer.
 */
static DateStatus
parse_number_long(const char *s, int len, TimestampTz *result)
{
	int			i = 0;
	bool		negative = false;
	int64		ms = 0;

	if (len > 0 && (s[0] == '-' || s[0] == '+'))
	{
		negative = (s[0] == '-');
		i++;
	}
	if (i == len)
		return DATE_BAD_FORMAT;

	/* Accumulate negatively, so that the minimum int64 fits. */
	for (; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return DATE_BAD_FORMAT;
		if (pg_mul_s64_overflow(ms, 10, &ms) ||
			pg_sub_s64_overflow(ms, s[i] - '0', &ms))
			return DATE_OUT_OF_RANGE;
	}
	if (!negative)
	{
		if (ms == PG_INT64_MIN)
			return DATE_OUT_OF_RANGE;
		ms = -ms;
	}
	return ms_to_timestamptz(ms, result);
}

/*
 * Turn a JSON number of milliseconds since the Unix epoch into a
 * timestamptz.  A fraction is kept to the microsecond, rounding like
 * timestamptz input does.  All numeric steps are ones that report errors
 * instead of raising them; this is the rare form, so allocations are fine.
 */
static DateStatus
numeric_ms_to_timestamptz(Numeric ms, TimestampTz *result)
{
	bool		have_error = false;
	Numeric		us;
	Datum		low = NumericGetDatum(int64_to_numeric(MIN_TIMESTAMP));
	Datum		end = NumericGetDatum(int64_to_numeric(END_TIMESTAMP));

	us = numeric_sub_opt_error(ms, int64_to_numeric(UNIX_TO_PG_EPOCH_MS),
							   &have_error);
	if (!have_error)
		us = numeric_mul_opt_error(us, int64_to_numeric(1000), &have_error);
	if (have_error)
		return DATE_OUT_OF_RANGE;
	us = DatumGetNumeric(DirectFunctionCall2(numeric_round,
											 NumericGetDatum(us),
											 Int32GetDatum(0)));

	/* In range, the conversion to int8 below cannot fail. */
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp,
										  NumericGetDatum(us), low)) < 0 ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp,
										  NumericGetDatum(us), end)) >= 0)
		return DATE_OUT_OF_RANGE;

	*result = DatumGetInt64(DirectFunctionCall1(numeric_int8,
												NumericGetDatum(us)));
	return DATE_OK;
}

/*
 * Raise the error for a created_at value of the wrong shape.
 */
static void
pg_attribute_noreturn()
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
static DateStatus
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
		return parse_date_string(date.val.string.val, date.val.string.len,
								 pos, result);
	}
	if (date.type == jbvNumeric)
	{
		Datum		number = NumericGetDatum(date.val.numeric);

		*what = DatumGetCString(DirectFunctionCall1(numeric_out, number));
		return numeric_ms_to_timestamptz(date.val.numeric, result);
	}
	if (!is_object(&date) ||
		JsonContainerSize(date.val.binary.data) != 1 ||
		getKeyJsonValueFromContainer(date.val.binary.data, "$numberLong", 11,
									 &number_long) == NULL ||
		number_long.type != jbvString)
		bad_created_at_shape(pos, "\"$date\" must be a string, a number, or an object {\"$numberLong\": <string>}.");

	*what = pnstrdup(number_long.val.string.val, number_long.val.string.len);
	return parse_number_long(number_long.val.string.val,
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
	DateStatus	status;
	char	   *what;

	if (!get_key(action, "created_at", &v))
		return false;

	if (v.type == jbvString)
	{
		status = parse_date_string(v.val.string.val, v.val.string.len, pos,
								   result);
		if (status == DATE_OK)
			return true;
		what = pnstrdup(v.val.string.val, v.val.string.len);
	}
	else if (is_object(&v))
	{
		status = parse_extended_date(v.val.binary.data, pos, result, &what);
		if (status == DATE_OK)
			return true;
	}
	else
		bad_created_at_shape(pos,
							 psprintf("Expected a string, an object {\"$date\": ...} or null, found %s.",
									  value_kind(&v)));

	if (status == DATE_OUT_OF_RANGE)
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
			 * An action without a type is ignored, as the aggregate ignores
			 * a NULL type; its created_at must still be well-formed.
			 */
			(void) read_created_at(action->val.binary.data, pos, &created_at);
		}
		pfree(action);
	}
	pos->action = -1;
}

/*
 * Push a value built by action_summary_to_jsonb_value (an array of objects
 * of scalars) into a parse state, for the rare result that needs one.
 */
static void
push_summary_array(JsonbParseState **state, const JsonbValue *array)
{
	int			i;
	int			k;

	pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < array->val.array.nElems; i++)
	{
		const JsonbValue *entry = &array->val.array.elems[i];

		pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
		for (k = 0; k < entry->val.object.nPairs; k++)
		{
			pushJsonbValue(state, WJB_KEY, &entry->val.object.pairs[k].key);
			pushJsonbValue(state, WJB_VALUE, &entry->val.object.pairs[k].value);
		}
		pushJsonbValue(state, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(state, WJB_END_ARRAY, NULL);
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
	JsonbValue *actions;
	ActionSummary *summary;
	WalkPosition pos = {-1, -1};
	JsonbValue	result;
	JsonbPair	pairs[2];
	JsonbValue	actions_key;

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

	if (getKeyJsonValueFromContainer(&doc->root, "number", 6, &number) == NULL)
		number.type = jbvNull;
	actions = action_summary_to_jsonb_value(summary);

	actions_key.type = jbvString;
	actions_key.val.string.val = "actions";
	actions_key.val.string.len = 7;

	if (number.type == jbvBinary)
	{
		/* An object or array number is copied through a parse state. */
		JsonbParseState *state = NULL;
		JsonbValue	number_key;

		number_key.type = jbvString;
		number_key.val.string.val = "number";
		number_key.val.string.len = 6;

		pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		pushJsonbValue(&state, WJB_KEY, &number_key);
		pushJsonbValue(&state, WJB_VALUE, &number);
		pushJsonbValue(&state, WJB_KEY, &actions_key);
		push_summary_array(&state, actions);
		PG_RETURN_JSONB_P(JsonbValueToJsonb(pushJsonbValue(&state,
														   WJB_END_OBJECT,
														   NULL)));
	}

	/* Keys in jsonb order: "number" is shorter than "actions". */
	pairs[0].key.type = jbvString;
	pairs[0].key.val.string.val = "number";
	pairs[0].key.val.string.len = 6;
	pairs[0].value = number;
	pairs[0].order = 0;
	pairs[1].key = actions_key;
	pairs[1].value = *actions;
	pairs[1].order = 1;

	result.type = jbvObject;
	result.val.object.nPairs = 2;
	result.val.object.pairs = pairs;
	PG_RETURN_JSONB_P(JsonbValueToJsonb(&result));
}
