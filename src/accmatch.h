/*-------------------------------------------------------------------------
 *
 * accmatch.h
 *	  Declarations shared by the accmatch source files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ACCMATCH_H
#define ACCMATCH_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/timestamp.h"

/* ---- action summaries (summary.c, documents.c) ---- */

/* The four types every summary lists, in output order. */
#define ACTION_CREATE	0
#define ACTION_READ		1
#define ACTION_UPDATE	2
#define ACTION_DELETE	3
#define ACTION_NFIXED	4

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

/* A type other than the four; the name is not NUL-terminated. */
typedef struct ActionExtra
{
	ActionCounter counter;
	char	   *name;
	int32		len;
} ActionExtra;

/* What a summary rarely needs, allocated on first use. */
typedef struct ActionSummaryMore
{
	int64		high[ACTION_NFIXED];	/* count of the fixed type >> 32 */
	int32		nextras;
	int32		maxextras;
	ActionExtra *extras;		/* sorted by name in byte order */
} ActionSummaryMore;

/*
 * The running summary of one account: the state of the action_summary
 * aggregate, and what account_actions() fills from a document.  It is one
 * 64-byte allocation, because an aggregate keeps one per group and reaches
 * it once per row: the four common types have fixed slots holding the low
 * 32 bits of their count (the rest goes to more->high on the rare carry).
 * Other types, and the memory of "more", are allocated only when needed, in
 * the memory context of the summary itself.
 */
typedef struct ActionSummary
{
	TimestampTz last[ACTION_NFIXED];	/* valid where has_last has bit i */
	uint32		count[ACTION_NFIXED];	/* low 32 bits of each count */
	uint8		has_last;
	ActionSummaryMore *more;	/* NULL until a carry or another type */
} ActionSummary;

extern ActionSummary *action_summary_create(MemoryContext cxt);
extern void action_summary_add(ActionSummary *summary,
							   const char *type, int len,
							   bool has_time, TimestampTz created_at);
extern struct JsonbValue *action_summary_to_jsonb_value(const ActionSummary *summary);

#endif							/* ACCMATCH_H */
