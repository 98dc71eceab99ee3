/*-------------------------------------------------------------------------
 *
 * created_at.c
 *	  Timestamp parsing for the created_at of account documents.
 *
 * A date string is read exactly as a ::timestamptz cast reads it (strings
 * without a zone are in the session TimeZone).  The usual ISO-8601 shape is
 * read by a fast path that gives exactly what the cast gives; other strings
 * go through PostgreSQL's own ParseDateTime and DecodeDateTime, whose error
 * codes are turned into a status rather than caught with PG_TRY, which
 * would cost a setjmp per action.  Milliseconds since the Unix epoch, the
 * MongoDB Extended JSON form, come as a $numberLong string or a JSON
 * number.
 *
 * Nothing here knows where in a document the value was: the caller turns a
 * status into an error naming the place, and gives the error context for
 * the few errors the datetime decoder raises itself.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"

#include "compat.h"
#include "created_at.h"

/* Milliseconds from the Unix epoch to the PostgreSQL epoch (2000-01-01). */
#define UNIX_TO_PG_EPOCH_MS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000)

/*
 * Milliseconds from the Unix epoch beyond which (either way) no timestamptz
 * lies: the range is about -2.1e14 to 9.2e15.
 */
#define MS_FAR_OUT_OF_RANGE		INT64CONST(100000000000000000)

/* An int64 as a numeric Datum. */
#define numeric_datum(i)		NumericGetDatum(int64_to_numeric(i))

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
 * status instead of raising, so that the caller can name the place of a bad
 * date at no per-action cost.  The string is not NUL-terminated.  context,
 * if not NULL, is pushed on the error context stack while PostgreSQL's
 * parser runs, since that raises some errors itself (an unknown time zone);
 * the fast path raises nothing and does without.
 */
CreatedAtStatus
created_at_from_string(const char *s, int len, ErrorContextCallback *context,
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

	if (parse_iso_fast(s, len, result))
		return CREATED_AT_OK;

	str = len < (int) sizeof(stackbuf) ? stackbuf : palloc(len + 1);
	memcpy(str, s, len);
	str[len] = '\0';

	if (context != NULL)
	{
		context->previous = error_context_stack;
		error_context_stack = context;
	}
	dterr = ParseDateTime(str, workbuf, sizeof(workbuf), field, ftype,
						  MAXDATEFIELDS, &nf);
	if (dterr == 0)
		dterr = compat_decode_datetime(field, ftype, nf, &dtype, &tt, &fsec,
									   &tz, str);
	if (context != NULL)
		error_context_stack = context->previous;

	if (str != stackbuf)
		pfree(str);

	if (dterr == DTERR_FIELD_OVERFLOW || dterr == DTERR_MD_FIELD_OVERFLOW ||
		dterr == DTERR_TZDISP_OVERFLOW)
		return CREATED_AT_OUT_OF_RANGE;
	if (dterr != 0)
		return CREATED_AT_BAD_FORMAT;

	switch (dtype)
	{
		case DTK_DATE:
			if (tm2timestamp(&tt, fsec, &tz, result) != 0)
				return CREATED_AT_OUT_OF_RANGE;
			return CREATED_AT_OK;
		case DTK_EPOCH:
			*result = SetEpochTimestamp();
			return CREATED_AT_OK;
		case DTK_LATE:
			TIMESTAMP_NOEND(*result);
			return CREATED_AT_OK;
		case DTK_EARLY:
			TIMESTAMP_NOBEGIN(*result);
			return CREATED_AT_OK;
		default:
			return CREATED_AT_BAD_FORMAT;
	}
}

/*
 * Turn milliseconds since the Unix epoch into a timestamptz, checking the
 * range without overflowing on the way.
 */
static CreatedAtStatus
ms_to_timestamptz(int64 ms, TimestampTz *result)
{
	int64		pg_ms;
	int64		us;

	if (pg_sub_s64_overflow(ms, UNIX_TO_PG_EPOCH_MS, &pg_ms) ||
		pg_mul_s64_overflow(pg_ms, 1000, &us) ||
		!IS_VALID_TIMESTAMP(us))
		return CREATED_AT_OUT_OF_RANGE;
	*result = us;
	return CREATED_AT_OK;
}

/*
 * Read a $numberLong string of milliseconds since the Unix epoch: an
 * optional sign and decimal digits, the way MongoDB writes a 64-bit
 * integer.
 */
CreatedAtStatus
created_at_from_ms_string(const char *s, int len, TimestampTz *result)
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
		return CREATED_AT_BAD_FORMAT;

	/* Accumulate negatively, so that the minimum int64 fits. */
	for (; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return CREATED_AT_BAD_FORMAT;
		if (pg_mul_s64_overflow(ms, 10, &ms) ||
			pg_sub_s64_overflow(ms, s[i] - '0', &ms))
			return CREATED_AT_OUT_OF_RANGE;
	}
	if (!negative)
	{
		if (ms == PG_INT64_MIN)
			return CREATED_AT_OUT_OF_RANGE;
		ms = -ms;
	}
	return ms_to_timestamptz(ms, result);
}

/*
 * Turn a JSON number of milliseconds since the Unix epoch into a
 * timestamptz.  A fraction is kept to the microsecond, rounding like
 * timestamptz input does.  Numbers far out of range are refused before any
 * arithmetic, so that none of it can overflow; this is the rare form, so
 * allocations are fine.
 */
CreatedAtStatus
created_at_from_ms_numeric(Numeric ms, TimestampTz *result)
{
	Datum		us;

	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp,
										  DirectFunctionCall1(numeric_abs,
															  NumericGetDatum(ms)),
										  numeric_datum(MS_FAR_OUT_OF_RANGE))) >= 0)
		return CREATED_AT_OUT_OF_RANGE;

	us = DirectFunctionCall2(numeric_sub, NumericGetDatum(ms),
							 numeric_datum(UNIX_TO_PG_EPOCH_MS));
	us = DirectFunctionCall2(numeric_mul, us, numeric_datum(1000));
	us = DirectFunctionCall2(numeric_round, us, Int32GetDatum(0));

	/* In range, the conversion to int8 below cannot fail. */
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, us,
										  numeric_datum(MIN_TIMESTAMP))) < 0 ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, us,
										  numeric_datum(END_TIMESTAMP))) >= 0)
		return CREATED_AT_OUT_OF_RANGE;

	*result = DatumGetInt64(DirectFunctionCall1(numeric_int8, us));
	return CREATED_AT_OK;
}
