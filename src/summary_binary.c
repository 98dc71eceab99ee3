/*-------------------------------------------------------------------------
 *
 * summary_binary.c
 *	  The binary form of an action summary: how a summary is written in it,
 *	  and how it is read back with every byte checked.
 *
 * One form serves three purposes: the serialized state of the 1.1
 * aggregate action_summary_v11 (bytea, between parallel workers and the
 * leader), and the stored value and the binary send/receive form of the
 * type action_summary_state.  Every integer is in network byte order:
 *
 *		uint8	format version (1)
 *		int32	number of other types
 *		4 x		counter of create, read, update, delete
 *		n x		counter, int32 name length, name bytes
 *
 * where a counter is int64 count, int64 last (a timestamptz in
 * microseconds since 2000-01-01 00:00 UTC), uint8 has_last.  A valid form
 * is canonical, so that equal summaries have equal bytes: a count is never
 * negative, and at least 1 for another type; last is 0 when has_last is 0,
 * a valid timestamptz when it is 1, and only set with a count; the other
 * types are in strictly ascending byte order (so each is there once), none
 * of them is one of the four, and each name is valid in the database
 * encoding (so it has no NUL byte either).
 *
 * The reader checks all of it, every length against the bytes that remain
 * before anything is allocated for it, since the bytes may come from a
 * client.  summary_text.c checks its own form with the same rules
 * (action_counter_problem and action_other_name_problem).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "summary_int.h"

/* Sizes in the binary form; see the file header. */
#define COUNTER_BINARY_SIZE		(8 + 8 + 1)
#define HEADER_BINARY_SIZE		(1 + 4)
#define EXTRA_MIN_BINARY_SIZE	(COUNTER_BINARY_SIZE + 4)

/*
 * What is wrong with a counter of a type, or NULL: a count below min_count
 * (0 for the four types, 1 for the others; *count_range is then set), or a
 * last time that is not a timestamptz or comes without any action.
 */
const char *
action_counter_problem(const ActionCounter *counter, int64 min_count,
					   bool *count_range)
{
	*count_range = false;
	if (counter->count < min_count)
	{
		*count_range = true;
		return min_count > 0 ?
			"A type other than the four has no action." :
			"A count is negative.";
	}
	if (counter->has_last)
	{
		if (counter->count == 0)
			return "A type has a last time but no action.";
		if (!TIMESTAMP_NOT_FINITE(counter->last) &&
			!IS_VALID_TIMESTAMP(counter->last))
			return "A last time is out of range.";
	}
	return NULL;
}

/*
 * What is wrong with the name of another type that follows prev (NULL for
 * the first one), or NULL: one of the four fixed names, or not after prev
 * in byte order (which is also how a type listed twice shows).
 */
const char *
action_other_name_problem(const char *name, int len,
						  const char *prev, int prevlen)
{
	if (action_type_is_fixed(name, len))
		return "A fixed type is stored as another type.";
	if (prev != NULL && action_type_compare(prev, prevlen, name, len) >= 0)
		return "The other types are not in ascending order.";
	return NULL;
}

/*
 * Size of the binary form of a summary, without a varlena header.  It fails
 * cleanly when the form would not fit in a value (over 1 GB).
 */
Size
action_summary_binary_size(const ActionSummary *summary)
{
	ActionSummaryIter iter;
	const char *name;
	int			len;
	ActionCounter c;
	Size		size = HEADER_BINARY_SIZE;

	/* The order does not matter here: walk the entries unsorted. */
	action_summary_iter_init_unsorted(&iter, summary);
	while (action_summary_iter_next(&iter, &name, &len, &c))
	{
		size += COUNTER_BINARY_SIZE;
		if (iter.next > ACTION_NFIXED)
			size += 4 + len;
	}

	if (size > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("action summary state too large"),
				 errdetail("The state would take %zu bytes, more than a value can hold.",
						   size)));
	return size;
}

/* Write an int32 in network byte order at p; return what follows it. */
static inline char *
put_int32(char *p, int32 value)
{
	uint32		n = pg_hton32((uint32) value);

	memcpy(p, &n, sizeof(n));
	return p + sizeof(n);
}

/* Write an int64 in network byte order at p; return what follows it. */
static inline char *
put_int64(char *p, int64 value)
{
	uint64		n = pg_hton64((uint64) value);

	memcpy(p, &n, sizeof(n));
	return p + sizeof(n);
}

/*
 * Write the binary form of a summary at dst, which has room for exactly
 * size bytes, the value of action_summary_binary_size().
 *
 * The array that sorts the other types goes to the summary's own memory
 * context and is freed at the end, not to CurrentMemoryContext: an
 * expanded state is flattened wherever a tuple is formed, and that may be
 * a context without pfree (the bump context PostgreSQL 17 sorts tuples
 * in) or one that lives as long as the query.
 */
void
action_summary_binary_write(const ActionSummary *summary, char *dst,
							Size size)
{
	ActionSummaryIter iter;
	const char *name;
	int			len;
	ActionCounter c;
	char	   *p = dst;
	MemoryContext scratch;
	MemoryContext oldcxt;

	scratch = GetMemoryChunkContext(unconstify(ActionSummary *, summary));
	oldcxt = MemoryContextSwitchTo(scratch);
	action_summary_iter_init(&iter, summary);
	MemoryContextSwitchTo(oldcxt);
	*p++ = ACTION_SUMMARY_BINARY_VERSION;
	p = put_int32(p, iter.nentries - ACTION_NFIXED);
	while (action_summary_iter_next(&iter, &name, &len, &c))
	{
		p = put_int64(p, c.count);
		p = put_int64(p, c.has_last ? c.last : 0);
		*p++ = c.has_last ? 1 : 0;
		if (iter.next > ACTION_NFIXED)
		{
			p = put_int32(p, len);
			memcpy(p, name, len);
			p += len;
		}
	}
	action_summary_iter_end(&iter);

	if ((Size) (p - dst) != size)
		elog(ERROR, "action summary state of %zu bytes written in %zu",
			 (Size) (p - dst), size);
}

/*
 * Raise the error for bytes that are not a binary form we wrote.
 */
pg_noreturn static void
corrupt_binary(const ActionSummaryReader *reader, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid %s", reader->what),
			 errdetail_internal("%s", detail)));
}

/*
 * Fail unless n more bytes are left, before reading (or allocating for)
 * them: pqformat's own check would report a protocol violation instead.
 */
static inline void
need_bytes(ActionSummaryReader *reader, int64 n)
{
	if (n > reader->buf.len - reader->buf.cursor)
		corrupt_binary(reader, "The state ends too early.");
}

/*
 * Read a counter and check it could have been counted (see
 * action_counter_problem), with a flag that is 0 or 1 and a last time of 0
 * when the flag is 0.
 */
static void
read_counter(ActionSummaryReader *reader, ActionCounter *counter,
			 int64 min_count)
{
	int			flag;
	bool		count_range;
	const char *problem;

	need_bytes(reader, COUNTER_BINARY_SIZE);
	counter->count = pq_getmsgint64(&reader->buf);
	counter->last = pq_getmsgint64(&reader->buf);
	flag = pq_getmsgbyte(&reader->buf);

	if (flag != 0 && flag != 1)
		corrupt_binary(reader, "A flag is neither 0 nor 1.");
	counter->has_last = (flag == 1);

	problem = action_counter_problem(counter, min_count, &count_range);
	if (problem != NULL)
		corrupt_binary(reader,
					   count_range ? "A count is out of range." : problem);
	if (!counter->has_last && counter->last != 0)
		corrupt_binary(reader, "A last time is set without its flag.");
}

/*
 * Start reading the binary form in data (len bytes, which must stay valid
 * while it is read): check the version and the number of other types.
 * what names the bytes in errors ("serialized action_summary state", ...).
 */
void
action_summary_reader_init(ActionSummaryReader *reader, const char *data,
						   int len, const char *what)
{
	initReadOnlyStringInfo(&reader->buf, unconstify(char *, data), len);
	reader->what = what;
	reader->next = 0;
	reader->prev = NULL;
	reader->prevlen = 0;

	need_bytes(reader, 1);
	if (pq_getmsgbyte(&reader->buf) != ACTION_SUMMARY_BINARY_VERSION)
		corrupt_binary(reader, "The format version is unknown.");
	need_bytes(reader, 4);
	reader->nextras = (int32) pq_getmsgint(&reader->buf, 4);
}

/*
 * The next entry of the binary form, in output order, checked: false when
 * all were read (and nothing is left over).  The name points into the
 * bytes and is not NUL-terminated.
 */
bool
action_summary_reader_next(ActionSummaryReader *reader, const char **name,
						   int *len, ActionCounter *counter)
{
	int32		i = reader->next;
	const char *problem;

	if (i < ACTION_NFIXED)
	{
		read_counter(reader, counter, 0);
		*name = action_fixed_names[i];
		*len = strlen(*name);

		/* After the four counters, the number of others can be checked. */
		if (i == ACTION_NFIXED - 1 &&
			(reader->nextras < 0 ||
			 reader->nextras > (reader->buf.len - reader->buf.cursor) /
			 EXTRA_MIN_BINARY_SIZE))
			corrupt_binary(reader, "The number of other types is out of range.");
		reader->next++;
		return true;
	}

	if (i - ACTION_NFIXED >= reader->nextras)
	{
		if (reader->buf.cursor != reader->buf.len)
			corrupt_binary(reader, "The state has trailing bytes.");
		return false;
	}

	CHECK_FOR_INTERRUPTS();
	read_counter(reader, counter, 1);
	need_bytes(reader, 4);
	*len = (int32) pq_getmsgint(&reader->buf, 4);
	if (*len < 0)
		corrupt_binary(reader, "A type name length is negative.");
	need_bytes(reader, *len);
	*name = pq_getmsgbytes(&reader->buf, *len);

	problem = action_other_name_problem(*name, *len, reader->prev,
										reader->prevlen);
	if (problem != NULL)
		corrupt_binary(reader, problem);
	if (!pg_verifymbstr(*name, *len, true))
		corrupt_binary(reader, "A type name is not valid in the database encoding.");

	reader->prev = *name;
	reader->prevlen = *len;
	reader->next++;
	return true;
}

/*
 * Add every entry of a binary form to a summary, as the combine function
 * adds a state: what is read is checked first, so bytes that are not a
 * valid form are an error, never a wrong count.
 */
void
action_summary_add_binary(ActionSummary *summary, const char *data, int len,
						  const char *what)
{
	ActionSummaryReader reader;
	const char *name;
	int			namelen;
	ActionCounter c;

	action_summary_reader_init(&reader, data, len, what);
	while (action_summary_reader_next(&reader, &name, &namelen, &c))
		action_summary_add_counter(summary, name, namelen, &c);
}
