/*-------------------------------------------------------------------------
 *
 * summary_text.c
 *	  The text form of an action summary state: what the type
 *	  action_summary_state's output function writes and its input function
 *	  reads, and how states travel between nodes that exchange text (Citus
 *	  sends a partial aggregate's state from a worker to the coordinator
 *	  through them).
 *
 * The form depends on no setting (TimeZone, DateStyle, locale, encoding
 * apart), so that two servers configured differently read each other's
 * states exactly:
 *
 *		state	= counter SP counter SP counter SP counter *(SP other)
 *		other	= '"' name '"' ':' counter
 *		counter	= count [ '@' last ]
 *		last	= [-]YYYY-MM-DD 'T' HH:MM:SS [ '.' 1*6DIGIT ] 'Z'
 *				| 'infinity' | '-infinity'
 *
 * The four counters are those of create, read, update and delete, in that
 * order; the others follow in byte order of their names.  A count is a
 * decimal bigint, and last the latest created_at in UTC, to the
 * microsecond, with at least four digits of year, astronomical years
 * before year 1 (0000 is 1 BC, -0001 is 2 BC) and no trailing zeros in the
 * fraction.  In a name, '"' and '\' are written '\"' and '\\'; every other
 * byte is itself.  For example
 *
 *		3@2016-03-01T10:00:00Z 1@2016-03-02T06:00:00Z 0 0 "share":2 "x y":1@2016-01-01T00:00:00.5Z
 *
 * The input accepts any run of spaces, tabs and newlines where the output
 * writes one space, and leading zeros; it checks the rules of the binary
 * form (summary_binary.c): malformed text is 22P02, a count out of range
 * 22003, a date field or a time out of range 22008.  It writes the binary
 * form directly, which is canonical, so text read and written back is the
 * same text.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "summary_int.h"

/* The type's name, for messages. */
#define TYPE_NAME			"action_summary_state"

/* At most this many bytes of the input are quoted in a message. */
#define QUOTE_MAX			64

/* The years that hold a valid timestamptz, with a margin either side. */
#define YEAR_MIN			(-4714)
#define YEAR_MAX			294277

/* What is being parsed: the whole input and where the parser is. */
typedef struct TextParse
{
	const char *str;			/* the whole input */
	const char *p;				/* the next byte to read */
} TextParse;

/*
 * The start of the input, for a message: at most QUOTE_MAX bytes (whole
 * characters), with "..." when there is more.
 */
static char *
quoted_input(const char *str)
{
	int			len = strlen(str);
	int			cut;

	if (len <= QUOTE_MAX)
		return pstrdup(str);
	cut = pg_mbcliplen(str, len, QUOTE_MAX);
	return psprintf("%.*s...", cut, str);
}

/*
 * Raise 22P02 for malformed input, saying what was expected where.
 */
pg_noreturn static void
malformed(const TextParse *parse, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"",
					TYPE_NAME, quoted_input(parse->str)),
			 errdetail("Expected %s at byte %d.", expected,
					   (int) (parse->p - parse->str) + 1)));
}

/*
 * Raise 22P02 for input that is well formed but breaks a rule of the
 * state (a last time without an action, other types out of order...).
 */
pg_noreturn static void
invalid_state(const TextParse *parse, const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"",
					TYPE_NAME, quoted_input(parse->str)),
			 errdetail("%s", problem)));
}

/*
 * Raise 22003 for a count that is negative, too large for a bigint, or 0
 * for a type other than the four.
 */
pg_noreturn static void
count_out_of_range(const TextParse *parse, const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("action count out of range in %s value: \"%s\"",
					TYPE_NAME, quoted_input(parse->str)),
			 errdetail("%s", problem)));
}

/*
 * Raise 22008 for a date or time field out of its range, or a time beyond
 * those of timestamptz, with the same messages as timestamptz's input.
 */
pg_noreturn static void
time_out_of_range(const char *start, const char *end, bool field)
{
	char	   *text = pnstrdup(start, end - start);

	if (field)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_FIELD_OVERFLOW),
				 errmsg("date/time field value out of range: \"%s\"", text)));
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("timestamp out of range: \"%s\"", text)));
}

/* Is c a decimal digit? */
static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Is c a separator between items? */
static inline bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skip separators. */
static inline void
skip_spaces(TextParse *parse)
{
	while (is_space(*parse->p))
		parse->p++;
}

/*
 * Read exactly n digits as a number, or fail saying what they are.
 */
static int
read_fixed_digits(TextParse *parse, int n, const char *what)
{
	int			value = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (!is_digit(parse->p[i]))
		{
			parse->p += i;
			malformed(parse, what);
		}
		value = value * 10 + (parse->p[i] - '0');
	}
	parse->p += n;
	return value;
}

/* Expect the byte c next, or fail saying what was expected. */
static inline void
expect_char(TextParse *parse, char c, const char *what)
{
	if (*parse->p != c)
		malformed(parse, what);
	parse->p++;
}

/* Does the input continue with the word w? If so, step over it. */
static inline bool
take_word(TextParse *parse, const char *w)
{
	size_t		n = strlen(w);

	if (strncmp(parse->p, w, n) != 0)
		return false;
	parse->p += n;
	return true;
}

/*
 * Read a last time: [-]YYYY-MM-DDTHH:MM:SS[.f]Z, infinity or -infinity,
 * always in UTC.
 */
static TimestampTz
read_last(TextParse *parse)
{
	const char *start = parse->p;
	bool		negative = false;
	int64		year = 0;
	int			ndigits = 0;
	int			month,
				day,
				hour,
				minute,
				second;
	int64		fsec = 0;
	int			scale;
	int64		days;
	int64		time;
	TimestampTz result;

	if (take_word(parse, "infinity"))
		return DT_NOEND;
	if (take_word(parse, "-infinity"))
		return DT_NOBEGIN;

	if (*parse->p == '-')
	{
		negative = true;
		parse->p++;
	}
	while (is_digit(*parse->p))
	{
		/* saturate: any year this long is out of range anyway */
		if (year < PG_INT32_MAX)
			year = year * 10 + (*parse->p - '0');
		ndigits++;
		parse->p++;
	}
	if (ndigits < 4)
		malformed(parse, "a year of at least four digits");
	if (negative)
		year = -year;

	expect_char(parse, '-', "\"-\" after the year");
	month = read_fixed_digits(parse, 2, "a two-digit month");
	expect_char(parse, '-', "\"-\" after the month");
	day = read_fixed_digits(parse, 2, "a two-digit day");
	expect_char(parse, 'T', "\"T\" after the date");
	hour = read_fixed_digits(parse, 2, "a two-digit hour");
	expect_char(parse, ':', "\":\" after the hour");
	minute = read_fixed_digits(parse, 2, "two-digit minutes");
	expect_char(parse, ':', "\":\" after the minutes");
	second = read_fixed_digits(parse, 2, "two-digit seconds");
	if (*parse->p == '.')
	{
		parse->p++;
		for (scale = 0; scale < 6 && is_digit(*parse->p); scale++)
			fsec = fsec * 10 + (*parse->p++ - '0');
		if (scale == 0)
			malformed(parse, "a digit after the decimal point");
		if (is_digit(*parse->p))
			malformed(parse, "at most six digits of fraction");
		for (; scale < 6; scale++)
			fsec *= 10;
	}
	expect_char(parse, 'Z', "\"Z\" after the time");

	/* The fields, then the time, as timestamptz's input checks them. */
	if (year < YEAR_MIN || year > YEAR_MAX)
		time_out_of_range(start, parse->p, false);
	if (month < 1 || month > MONTHS_PER_YEAR ||
		day < 1 || day > day_tab[isleap(year)][month - 1] ||
		hour >= HOURS_PER_DAY || minute >= MINS_PER_HOUR ||
		second >= SECS_PER_MINUTE)
		time_out_of_range(start, parse->p, true);

	days = date2j((int) year, month, day) - POSTGRES_EPOCH_JDATE;
	time = ((hour * MINS_PER_HOUR + minute) * SECS_PER_MINUTE + second) *
		USECS_PER_SEC + fsec;
	if (pg_mul_s64_overflow(days, USECS_PER_DAY, &result) ||
		pg_add_s64_overflow(result, time, &result) ||
		!IS_VALID_TIMESTAMP(result))
		time_out_of_range(start, parse->p, false);
	return result;
}

/*
 * Read a counter: count[@last].  min_count is 0 for the four types, 1 for
 * the others.
 */
static void
read_counter(TextParse *parse, ActionCounter *counter, int64 min_count)
{
	bool		negative = false;
	uint64		value = 0;
	const char *digits;
	const char *problem;
	bool		count_range;

	if (*parse->p == '-')
	{
		negative = true;
		parse->p++;
	}
	digits = parse->p;
	while (is_digit(*parse->p))
	{
		if (value > (PG_UINT64_MAX - 9) / 10)
			count_out_of_range(parse,
							   "A count is beyond the range of bigint.");
		value = value * 10 + (*parse->p++ - '0');
	}
	if (parse->p == digits)
		malformed(parse, "a count");
	if (value > (uint64) PG_INT64_MAX)
		count_out_of_range(parse, "A count is beyond the range of bigint.");
	if (negative && value != 0)
		count_out_of_range(parse, "A count is negative.");
	counter->count = (int64) value;

	counter->has_last = (*parse->p == '@');
	counter->last = 0;
	if (counter->has_last)
	{
		parse->p++;
		counter->last = read_last(parse);
	}

	problem = action_counter_problem(counter, min_count, &count_range);
	if (problem != NULL)
	{
		if (count_range)
			count_out_of_range(parse, problem);
		invalid_state(parse, problem);
	}

	if (*parse->p != '\0' && !is_space(*parse->p))
		malformed(parse, "a space or the end after a counter");
}

/*
 * Read a quoted name into name (reset first): '"', bytes with '"' and '\'
 * escaped by '\', '"'.
 */
static void
read_name(TextParse *parse, StringInfo name)
{
	const char *run;

	resetStringInfo(name);
	expect_char(parse, '"', "a quoted type name or the end");
	for (;;)
	{
		/* copy a run of plain bytes at once */
		run = parse->p;
		while (*parse->p != '\0' && *parse->p != '"' && *parse->p != '\\')
			parse->p++;
		appendBinaryStringInfo(name, run, parse->p - run);

		if (*parse->p == '"')
			break;
		if (*parse->p == '\0')
			malformed(parse, "a double quote to end the type name");
		parse->p++;				/* the backslash */
		if (*parse->p != '"' && *parse->p != '\\')
			malformed(parse, "a backslash or a double quote after a backslash");
		appendStringInfoChar(name, *parse->p++);
	}
	parse->p++;
}

/* Append a counter to the binary form. */
static void
send_counter(StringInfo binary, const ActionCounter *counter)
{
	pq_sendint64(binary, counter->count);
	pq_sendint64(binary, counter->has_last ? counter->last : 0);
	pq_sendbyte(binary, counter->has_last ? 1 : 0);
}

/*
 * Parse the text form in str into its binary form, appended to binary
 * (empty, with room for a varlena header before it if the caller wants one:
 * the form starts at binary->len on entry).
 */
void
action_summary_text_parse(const char *str, StringInfo binary)
{
	TextParse	parse = {str, str};
	int			start = binary->len;
	int			prev = -1;		/* offset in binary of the last name */
	int32		prevlen = 0;
	int32		nextras = 0;
	uint32		nextras_net;
	StringInfoData name;
	ActionCounter c;
	int			i;

	pq_sendbyte(binary, ACTION_SUMMARY_BINARY_VERSION);
	pq_sendint32(binary, 0);	/* the number of others, set at the end */

	skip_spaces(&parse);
	for (i = 0; i < ACTION_NFIXED; i++)
	{
		if (i > 0)
		{
			if (!is_space(*parse.p))
				malformed(&parse, "four counters");
			skip_spaces(&parse);
		}
		read_counter(&parse, &c, 0);
		send_counter(binary, &c);
	}

	initStringInfo(&name);
	for (;;)
	{
		const char *problem;

		skip_spaces(&parse);
		if (*parse.p == '\0')
			break;

		CHECK_FOR_INTERRUPTS();
		read_name(&parse, &name);
		expect_char(&parse, ':', "\":\" after the type name");
		read_counter(&parse, &c, 1);

		problem = action_other_name_problem(name.data, name.len,
											prev >= 0 ?
											binary->data + prev : NULL,
											prevlen);
		if (problem != NULL)
			invalid_state(&parse, problem);

		send_counter(binary, &c);
		pq_sendint32(binary, name.len);
		prev = binary->len;
		prevlen = name.len;
		pq_sendbytes(binary, name.data, name.len);
		if (nextras == PG_INT32_MAX)
			invalid_state(&parse, "There are too many other types.");
		nextras++;
	}
	pfree(name.data);

	nextras_net = pg_hton32((uint32) nextras);
	memcpy(binary->data + start + 1, &nextras_net, sizeof(nextras_net));
}

/* Append n digits of value, with leading zeros. */
static void
append_digits(StringInfo out, int64 value, int n)
{
	char		buf[24];
	int			i;

	Assert(value >= 0 && n <= (int) sizeof(buf));
	for (i = n - 1; i >= 0; i--)
	{
		buf[i] = '0' + value % 10;
		value /= 10;
	}
	appendBinaryStringInfo(out, buf, n);
}

/* Append a last time in the text form. */
static void
append_last(StringInfo out, TimestampTz last)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			year;
	int			ndigits;

	if (TIMESTAMP_IS_NOBEGIN(last))
	{
		appendStringInfoString(out, "-infinity");
		return;
	}
	if (TIMESTAMP_IS_NOEND(last))
	{
		appendStringInfoString(out, "infinity");
		return;
	}
	/* in UTC: no time zone is given */
	if (timestamp2tm(last, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));

	year = tm.tm_year;
	if (year < 0)
	{
		appendStringInfoChar(out, '-');
		year = -year;
	}
	ndigits = year >= 100000 ? 6 : year >= 10000 ? 5 : 4;
	append_digits(out, year, ndigits);
	appendStringInfoChar(out, '-');
	append_digits(out, tm.tm_mon, 2);
	appendStringInfoChar(out, '-');
	append_digits(out, tm.tm_mday, 2);
	appendStringInfoChar(out, 'T');
	append_digits(out, tm.tm_hour, 2);
	appendStringInfoChar(out, ':');
	append_digits(out, tm.tm_min, 2);
	appendStringInfoChar(out, ':');
	append_digits(out, tm.tm_sec, 2);
	if (fsec != 0)
	{
		int			scale = 6;

		while (fsec % 10 == 0)
		{
			fsec /= 10;
			scale--;
		}
		appendStringInfoChar(out, '.');
		append_digits(out, fsec, scale);
	}
	appendStringInfoChar(out, 'Z');
}

/* Append a counter in the text form. */
static void
append_counter(StringInfo out, const ActionCounter *counter)
{
	char		buf[MAXINT8LEN + 1];

	appendBinaryStringInfo(out, buf, pg_lltoa(counter->count, buf));
	if (counter->has_last)
	{
		appendStringInfoChar(out, '@');
		append_last(out, counter->last);
	}
}

/* Append a type name, quoted. */
static void
append_name(StringInfo out, const char *name, int len)
{
	int			i;
	int			run = 0;

	appendStringInfoChar(out, '"');
	for (i = 0; i < len; i++)
	{
		if (name[i] == '"' || name[i] == '\\')
		{
			appendBinaryStringInfo(out, name + run, i - run);
			appendStringInfoChar(out, '\\');
			run = i;
		}
	}
	appendBinaryStringInfo(out, name + run, len - run);
	appendStringInfoChar(out, '"');
}

/*
 * The text form of a summary, palloc'd.
 */
char *
action_summary_text_format(const ActionSummary *summary)
{
	ActionSummaryIter iter;
	StringInfoData out;
	const char *name;
	int			len;
	ActionCounter c;

	initStringInfo(&out);
	action_summary_iter_init(&iter, summary);
	while (action_summary_iter_next(&iter, &name, &len, &c))
	{
		if (iter.next > 1)
			appendStringInfoChar(&out, ' ');
		if (iter.next > ACTION_NFIXED)
		{
			CHECK_FOR_INTERRUPTS();
			append_name(&out, name, len);
			appendStringInfoChar(&out, ':');
		}
		append_counter(&out, &c);
	}
	action_summary_iter_end(&iter);
	return out.data;
}
