/*-------------------------------------------------------------------------
 *
 * match.c
 *	  match_payments(): the SQL entry.  Parses the arguments, has the two
 *	  tables resolved (match_catalog.c), reads them group by group
 *	  (match_input.c), matches each group (match_core.c) and writes one
 *	  result row per payment.
 *
 *-------------------------------------------------------------------------
 */
#include "match.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(match_payments);

/* accmatch.group_in_memory: see match_input.c */
bool		match_group_in_memory = true;

void		_PG_init(void);

/*
 * Module load: define the settings.
 */
void
_PG_init(void)
{
	DefineCustomBoolVariable("accmatch.group_in_memory",
							 "Lets partition_by group rows in memory when they are expected to fit in work_mem * hash_mem_multiplier.",
							 "When off, partition_by always reads both tables ordered by the key, one account at a time.",
							 &match_group_in_memory,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("accmatch");
}

#define MATCH_PAYMENTS_COLS	4

/*
 * Parse a strategy argument; shared with the other matchers' SQL entries.
 */
MatchStrategy
match_parse_strategy(const char *name)
{
	if (strcmp(name, "sequential") == 0)
		return STRATEGY_SEQUENTIAL;
	if (strcmp(name, "month_first") == 0)
		return STRATEGY_MONTH_FIRST;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown matching strategy \"%s\"", name),
			 errhint("Use \"sequential\" or \"month_first\".")));
	return STRATEGY_SEQUENTIAL;	/* keep compiler quiet */
}

/*
 * Fetch a text argument of the SQL function fname that must not be NULL.
 */
text *
match_required_text_arg(FunctionCallInfo fcinfo, int argno, const char *name,
						const char *fname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" of %s must not be null",
						name, fname)));
	return PG_GETARG_TEXT_PP(argno);
}

/*
 * Append one result row per payment of a matched group, in the order the
 * payments were processed.
 */
static void
put_group_rows(ReturnSetInfo *rsinfo, const MatchGroup *group,
			   Datum by_month, Datum by_oldest)
{
	const MatchRow *pay = group->pay.rows;
	const MatchRow *acc = group->acc.rows;
	Datum		values[MATCH_PAYMENTS_COLS];
	bool		nulls[MATCH_PAYMENTS_COLS];

	memset(nulls, 0, sizeof(nulls));
	if (group->key == NULL)
		nulls[3] = true;
	else
		values[3] = CStringGetTextDatum(group->key);

	for (int64 p = 0; p < group->pay.n; p++)
	{
		int32		a = pay[p].match;

		CHECK_FOR_INTERRUPTS();

		values[0] = Int64GetDatum(pay[p].id);
		if (a < 0)
		{
			nulls[1] = nulls[2] = true;
		}
		else
		{
			/*
			 * A payment that took the oldest accrual had no unpaid
			 * same-month accrual at hand, so the oldest is never of its
			 * month: the months tell how it was matched.
			 */
			nulls[1] = nulls[2] = false;
			values[1] = Int64GetDatum(acc[a].id);
			values[2] = (pay[p].month >= 0 && acc[a].month == pay[p].month) ?
				by_month : by_oldest;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	if (!nulls[3])
		pfree(DatumGetPointer(values[3]));
}

/*
 * match_payments(payments text, accruals text, strategy text,
 *				  partition_by text)
 *
 * Returns one row per payment: (payment_id, accrual_id, matched_by,
 * partition_key), accrual_id and matched_by NULL when the payment found no
 * accrual.  With partition_by, a payment pays only accruals with an equal
 * value in that column, and the partitions are read one at a time.
 */
Datum
match_payments(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *partition_by = NULL;
	MatchStrategy strategy;
	MatchTable	pay;
	MatchTable	acc;
	MatchInput *input;
	MatchGroup	group;
	MatchCore	core;
	MemoryContext cxt;
	Datum		by_month;
	Datum		by_oldest;
	text	   *payments = match_required_text_arg(fcinfo, 0, "payments",
												   "match_payments");
	text	   *accruals = match_required_text_arg(fcinfo, 1, "accruals",
												   "match_payments");

	strategy = match_parse_strategy(text_to_cstring(match_required_text_arg(fcinfo, 2,
																			"strategy",
																			"match_payments")));
	if (!PG_ARGISNULL(3))
		partition_by = text_to_cstring(PG_GETARG_TEXT_PP(3));

	InitMaterializedSRF(fcinfo, 0);

	match_resolve_table(&pay, "payments", payments, partition_by);
	match_resolve_table(&acc, "accruals", accruals, partition_by);
	match_check_same_types(&pay, &acc, partition_by);

	by_month = CStringGetTextDatum("month");
	by_oldest = CStringGetTextDatum("oldest");
	cxt = AllocSetContextCreate(CurrentMemoryContext, "accmatch",
								ALLOCSET_DEFAULT_SIZES);
	match_core_init(&core, cxt);
	memset(&group, 0, sizeof(group));

	input = match_input_open(&pay, &acc, partition_by, cxt);
	while (match_input_next(input, &group))
	{
		/* accruals without a key are never paid: no payment has their key */
		int32		nacc = group.key_isnull ? 0 : (int32) group.acc.n;

		if (group.pay.n == 0)
			continue;
		match_group(&core, strategy, group.pay.rows, (int32) group.pay.n,
					group.acc.rows, nacc, group.nmonths);
		put_group_rows(rsinfo, &group, by_month, by_oldest);
	}
	match_input_close(input);

	MemoryContextDelete(cxt);
	return (Datum) 0;
}
