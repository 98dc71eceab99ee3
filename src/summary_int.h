/*-------------------------------------------------------------------------
 *
 * summary_int.h
 *	  What the summary's own files need of it beyond summary.h: its entries
 *	  one by one (for the jsonb, summary_json.c, and the binary and text
 *	  forms, summary_binary.c and summary_text.c), adding whole counters, to
 *	  merge states, and the state type and aggregates (summary_state.c,
 *	  summary_agg.c, summary_v11.c).  Only the summary*.c files include it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ACCMATCH_SUMMARY_INT_H
#define ACCMATCH_SUMMARY_INT_H

#include "fmgr.h"
#include "lib/stringinfo.h"

#include "summary.h"

/* The four types every summary lists first, in this order. */
#define ACTION_NFIXED	4

extern const char *const action_fixed_names[ACTION_NFIXED];

/*
 * Tally of one type: how many actions, and the latest created_at among
 * those that have one.  An action with a NULL created_at is counted but
 * leaves last alone, so has_last can be false while count is not zero.
 */
typedef struct ActionCounter
{
	int64		count;
	TimestampTz last;			/* valid only when has_last */
	bool		has_last;
} ActionCounter;

/*
 * Walk over the entries of a summary in output order: the four fixed
 * types, then the others in byte order of their names.
 */
typedef struct ActionSummaryIter
{
	const ActionSummary *summary;
	int			next;			/* index of the next entry */
	int			nentries;		/* ACTION_NFIXED + number of others */
	const struct ActionExtra **sorted;	/* the others in order, or NULL when
										 * they are stored in order */
} ActionSummaryIter;

extern void action_summary_iter_init(ActionSummaryIter *iter,
									 const ActionSummary *summary);
extern bool action_summary_iter_next(ActionSummaryIter *iter,
									 const char **name, int *len,
									 ActionCounter *counter);
extern void action_summary_iter_init_unsorted(ActionSummaryIter *iter,
											  const ActionSummary *summary);
extern void action_summary_iter_end(ActionSummaryIter *iter);
extern ActionSummary *action_summary_create_with_trailer(MemoryContext cxt,
														 Size trailer_size,
														 void **trailer);
extern void action_summary_add_counter(ActionSummary *summary,
									   const char *name, int len,
									   const ActionCounter *counter);
extern void action_summary_merge(ActionSummary *dst,
								 const ActionSummary *src);
extern bool action_type_is_fixed(const char *name, int len);
extern int	action_type_compare(const char *a, int alen,
								const char *b, int blen);

/*
 * The binary form of a summary (summary_binary.c): the serialized state of
 * action_summary_v11, and the stored, sent and received form of the type
 * action_summary_state.  A reader walks its entries in output order and
 * checks every byte, raising 22P03 with errmsg "invalid <what>" on anything
 * the writer would not have written.
 */
typedef struct ActionSummaryReader
{
	StringInfoData buf;			/* the bytes, read in place */
	const char *what;			/* what the bytes are, for the message */
	int32		nextras;		/* number of other types */
	int32		next;			/* index of the next entry */
	const char *prev;			/* name of the last other type read */
	int32		prevlen;
} ActionSummaryReader;

#define ACTION_SUMMARY_BINARY_VERSION	1

extern const char *action_counter_problem(const ActionCounter *counter,
										  int64 min_count, bool *count_range);
extern const char *action_other_name_problem(const char *name, int len,
											 const char *prev, int prevlen);
extern Size action_summary_binary_size(const ActionSummary *summary);
extern void action_summary_binary_write(const ActionSummary *summary,
										char *dst, Size size);
extern void action_summary_reader_init(ActionSummaryReader *reader,
									   const char *data, int len,
									   const char *what);
extern bool action_summary_reader_next(ActionSummaryReader *reader,
									   const char **name, int *len,
									   ActionCounter *counter);
extern void action_summary_add_binary(ActionSummary *summary,
									  const char *data, int len,
									  const char *what);

/*
 * The text form of a summary (summary_text.c): parsed straight into the
 * binary form, and written from a summary.
 */
extern void action_summary_text_parse(const char *str, StringInfo binary);
extern char *action_summary_text_format(const ActionSummary *summary);

/*
 * The type action_summary_state (summary_state.c): a state while an
 * aggregate runs, and in any other form.
 */
extern Datum action_summary_state_create(MemoryContext aggcxt,
										 ActionSummary **summary);
extern ActionSummary *action_summary_state_writable(Datum state);
extern const ActionSummary *action_summary_state_read(Datum state);
extern void action_summary_state_add_to(ActionSummary *summary, Datum state);
extern Datum action_summary_state_read_only(Datum state);
extern Datum action_summary_state_flat(const ActionSummary *summary);

/* The memory context of an aggregate's support function (summary_agg.c). */
extern MemoryContext action_summary_agg_context(FunctionCallInfo fcinfo,
												const char *fname,
												const char *aggregate);

#endif							/* ACCMATCH_SUMMARY_INT_H */
