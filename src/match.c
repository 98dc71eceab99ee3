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

/* The least memory a result store may use before it goes to disk. */
#define MATCH_RESULT_MIN_KB	64

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
 * Check that a result row type has the columns that match_result_form()
 * and match_result_put() write in place: payment_id and accrual_id bigint
 * first, then, with an amount, a numeric.
 */
void
match_result_check(TupleDesc desc, int natts, bool with_amount,
				   const char *fname)
{
	if (desc->natts != natts ||
		TupleDescAttr(desc, 0)->atttypid != INT8OID ||
		TupleDescAttr(desc, 1)->atttypid != INT8OID ||
		(with_amount && TupleDescAttr(desc, 2)->atttypid != NUMERICOID))
		elog(ERROR, "unexpected result row type of %s()", fname);
}

/*
 * Form a template of result rows from values and nulls (of a row type
 * checked by match_result_check()), for rows that differ from it only in
 * their ids and, when numeric_col (a column number) is not 0, in the digits
 * of that numeric column, whose stored form then keeps the length it has
 * in values.
 *
 * Forming a tuple column by column (sizes, alignment, varlena headers) for
 * each of millions of result rows cost more than everything else done to
 * write them; a template is formed once per kind of row and copied.  The
 * ids are int8 columns at the start of the tuple's data, so at offsets 0
 * and 8; the columns after a numeric lie where they lie for any numeric of
 * the same length.
 */
void
match_result_form(ResultTemplate *t, TupleDesc desc, const Datum *values,
				  const bool *nulls, int numeric_col)
{
	t->tuple = heap_form_tuple(desc, (Datum *) values, (bool *) nulls);
	t->ids = (char *) t->tuple->t_data + t->tuple->t_data->t_hoff;
	t->numeric = NULL;
	if (numeric_col != 0)
	{
		bool		isnull;
		Pointer		stored = DatumGetPointer(heap_getattr(t->tuple, numeric_col,
														  desc, &isnull));

		Assert(!isnull);
		if (VARSIZE_ANY_EXHDR(stored) !=
			VARSIZE_ANY_EXHDR(DatumGetPointer(values[numeric_col - 1])))
			elog(ERROR, "unexpected stored form of a numeric result column");
		t->numeric = VARDATA_ANY(stored);
	}
}

/*
 * Append a copy of a template to the result, with the given ids (acc_id
 * NULL when the template's accrual_id is NULL).  The caller has written
 * the numeric's stored form, if any, to t->numeric.
 */
void
match_result_put(Tuplestorestate *store, ResultTemplate *t, int64 pay_id,
				 const int64 *acc_id)
{
	memcpy(t->ids, &pay_id, sizeof(int64));
	if (acc_id)
		memcpy(t->ids + sizeof(int64), acc_id, sizeof(int64));
	tuplestore_puttuple(store, t->tuple);
}

/*
 * Free a template, if formed, and mark it not formed.
 */
void
match_result_free(ResultTemplate *t)
{
	if (t->tuple)
		heap_freetuple(t->tuple);
	t->tuple = NULL;
}

/*
 * Replace the result store that InitMaterializedSRF() made with one of
 * our own, before any row is put: its tuples live in a generation
 * context, whose chunks carry a smaller header than those of the default
 * allocator and are not rounded up to a power of two (a result row of
 * match_payments() takes 64 bytes instead of 80), and it may hold in
 * memory what work_mem leaves beside held, the bytes of the row arrays,
 * which cannot go to disk: what does not fit goes to a temporary file.
 */
void
match_result_store(ReturnSetInfo *rsinfo, Size held)
{
	MemoryContext per_query = rsinfo->econtext->ecxt_per_query_memory;
	MemoryContext store_cxt;
	MemoryContext old;
	int64		max_kb = (int64) work_mem - (int64) (held / 1024);

	store_cxt = GenerationContextCreate(per_query, "accmatch result",
										ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(store_cxt);
	tuplestore_end(rsinfo->setResult);
	rsinfo->setResult =
		tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
							  false, (int) Max(max_kb, MATCH_RESULT_MIN_KB));
	MemoryContextSwitchTo(old);
}

/*
 * Form the template of a result row of match_payments() with the given
 * matched_by (NULL for a payment that found no accrual, whose accrual_id
 * is NULL too) and partition key.
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
	match_result_form(t, desc, values, nulls, 0);
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
	Datum		matched_by[RESULT_KINDS] = {by_month, by_oldest, (Datum) 0};
	ResultTemplate templates[RESULT_KINDS];	/* formed when used */

	memset(templates, 0, sizeof(templates));
	for (int64 p = 0; p < group->pay.n; p++)
	{
		int32		a = pay[p].match;
		ResultKind	kind = match_result_kind(&pay[p], a < 0 ? NULL : &acc[a]);

		CHECK_FOR_INTERRUPTS();
		if (templates[kind].tuple == NULL)
			form_template(&templates[kind], desc, matched_by[kind], key,
						  key_isnull);
		match_result_put(rsinfo->setResult, &templates[kind], pay[p].id,
						 a < 0 ? NULL : &acc[a].id);
	}

	for (int kind = 0; kind < RESULT_KINDS; kind++)
		match_result_free(&templates[kind]);
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
	bool		have_store = false;
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
	match_result_check(rsinfo->setDesc, MATCH_PAYMENTS_COLS, false,
					   "match_payments");

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

		if (!have_store)
		{
			match_result_store(rsinfo, group.held_rows * sizeof(MatchRow));
			have_store = true;
		}
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
