/*-------------------------------------------------------------------------
 *
 * summary_int.h
 *	  What the summary's own files need of it beyond summary.h: its entries
 *	  one by one (for the jsonb, summary_json.c, and the serialized state,
 *	  summary_agg.c), and adding whole counters, to merge and deserialize
 *	  states.  Only summary.c, summary_agg.c and summary_json.c include it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ACCMATCH_SUMMARY_INT_H
#define ACCMATCH_SUMMARY_INT_H

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
extern void action_summary_add_counter(ActionSummary *summary,
									   const char *name, int len,
									   const ActionCounter *counter);
extern void action_summary_merge(ActionSummary *dst,
								 const ActionSummary *src);
extern bool action_type_is_fixed(const char *name, int len);
extern int	action_type_compare(const char *a, int alen,
								const char *b, int blen);

#endif							/* ACCMATCH_SUMMARY_INT_H */
