/*-------------------------------------------------------------------------
 *
 * summary.h
 *	  The action summary: per type of action, how many and the latest
 *	  created_at.  The aggregate action_summary() (summary_agg.c) and
 *	  account_actions() (account_actions.c) both fill one (summary.c) and
 *	  give it out as the same jsonb array (summary_json.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ACCMATCH_SUMMARY_H
#define ACCMATCH_SUMMARY_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

/* The running summary of one account; its layout is private to summary.c. */
typedef struct ActionSummary ActionSummary;

extern ActionSummary *action_summary_create(MemoryContext cxt);
extern void action_summary_add(ActionSummary *summary,
							   const char *type, int len,
							   bool has_time, TimestampTz created_at);
extern JsonbValue *action_summary_to_jsonb_value(const ActionSummary *summary);

/*
 * Are the keys of a hand-built jsonb object in the order jsonb keeps them,
 * shorter first, then bytewise, without duplicates?  JsonbValueToJsonb
 * takes them as they are, so every object built without pushJsonbValue
 * asserts this.
 */
static inline bool
jsonb_keys_in_order(const JsonbValue *object)
{
	int			i;

	for (i = 1; i < object->val.object.nPairs; i++)
	{
		const JsonbValue *a = &object->val.object.pairs[i - 1].key;
		const JsonbValue *b = &object->val.object.pairs[i].key;

		if (a->val.string.len > b->val.string.len ||
			(a->val.string.len == b->val.string.len &&
			 memcmp(a->val.string.val, b->val.string.val,
					a->val.string.len) >= 0))
			return false;
	}
	return true;
}

#endif							/* ACCMATCH_SUMMARY_H */
