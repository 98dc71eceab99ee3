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

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(match_payments);

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
 * A result row of match_payments() kept formed, to be copied into the
 * result with its ids written in: forming a tuple column by column for
 * each of millions of rows costs more than copying one.  The ids are the
 * leading int8 columns, at fixed places in the tuple's data.
 */
typedef struct ResultTemplate
{
	HeapTuple	tuple;
	char	   *data;			/* payment_id, then accrual_id unless NULL */
} ResultTemplate;

/*
 * Form the template of a result row with the given matched_by (NULL for a
 * payment that found no accrual, whose accrual_id is NULL too) and
 * partition key.
 */
static void
form_template(ResultTemplate *t, TupleDesc desc, Datum matched_by,
			  Datum key, bool key_isnull)
{
	Datum		values[MATCH_PAYMENTS_COLS];
	bool		nulls[MATCH_PAYMENTS_COLS];

	values[0] = Int64GetDatum(0);
	values[1] = Int64GetDatum(0);
	values[2] = matched_by;
	values[3] = key;
	nulls[0] = false;
	nulls[1] = nulls[2] = (matched_by == (Datum) 0);
	nulls[3] = key_isnull;
	t->tuple = heap_form_tuple(desc, values, nulls);
	t->data = (char *) t->tuple->t_data + t->tuple->t_data->t_hoff;
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
	TupleDesc	desc = rsinfo->setDesc;
	bool		key_isnull = (group->key == NULL);
	Datum		key = key_isnull ? (Datum) 0 : CStringGetTextDatum(group->key);
	ResultTemplate month;
	ResultTemplate oldest;
	ResultTemplate none;

	/* the ids are written in place: check they are where they are sought */
	if (desc->natts != MATCH_PAYMENTS_COLS ||
		TupleDescAttr(desc, 0)->atttypid != INT8OID ||
		TupleDescAttr(desc, 1)->atttypid != INT8OID)
		elog(ERROR, "unexpected result row type of match_payments()");

	form_template(&month, desc, by_month, key, key_isnull);
	form_template(&oldest, desc, by_oldest, key, key_isnull);
	form_template(&none, desc, (Datum) 0, key, key_isnull);

	for (int64 p = 0; p < group->pay.n; p++)
	{
		int32		a = pay[p].match;
		ResultTemplate *t;

		CHECK_FOR_INTERRUPTS();

		if (a < 0)
			t = &none;
		else
		{
			/*
			 * A payment that took the oldest accrual had no unpaid
			 * same-month accrual at hand, so the oldest is never of its
			 * month: the months tell how it was matched.
			 */
			t = (pay[p].month >= 0 && acc[a].month == pay[p].month) ?
				&month : &oldest;
			memcpy(t->data + sizeof(int64), &acc[a].id, sizeof(int64));
		}
		memcpy(t->data, &pay[p].id, sizeof(int64));
		tuplestore_puttuple(rsinfo->setResult, t->tuple);
	}

	heap_freetuple(month.tuple);
	heap_freetuple(oldest.tuple);
	heap_freetuple(none.tuple);
	if (!key_isnull)
		pfree(DatumGetPointer(key));
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
