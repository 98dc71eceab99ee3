/*-------------------------------------------------------------------------
 *
 * allocate.c
 *	  allocate_payments(): the SQL entry.  match_payments() with amounts: a
 *	  payment pays as many accruals as its amount covers, an accrual is paid
 *	  by as many payments as it takes, and what is paid beyond every debt
 *	  is credit.
 *
 * It has the two tables resolved (match_catalog.c), reads them group by
 * group with their amounts (match_input.c), allocates each group
 * (allocate_core.c) and writes the rows the allocation emits.
 *
 *-------------------------------------------------------------------------
 */
#include "match.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(allocate_payments);

#define ALLOCATE_PAYMENTS_COLS	5

/* Lengths of an amount's stored form: 2 bytes, then 2 per digit. */
#define ALLOC_LENGTHS		(AMOUNT_NUMERIC_MAX / 2)

/* Where the emitted rows go, and what they share. */
typedef struct AllocOutput
{
	ReturnSetInfo *rsinfo;
	Datum		by_month;
	Datum		by_oldest;
	Datum		key;			/* partition_key, or NULL */
	bool		key_isnull;
	int			scale;			/* of the group's amounts */
	/* the group's result rows by kind and length of the amount's form */
	ResultTemplate templates[RESULT_KINDS][ALLOC_LENGTHS];
} AllocOutput;

/*
 * AllocEmit of allocate_payments(): one result row, 'month' or 'oldest'
 * as match_result_kind() tells.
 *
 * The row is a copy of the group's template for its kind and the length of
 * its amount's stored form, formed on first use, with the ids and the
 * amount written in (see match_result_form()): no numeric is palloc'd nor
 * tuple formed per row.
 */
static void
emit_row(void *arg, const MatchRow *pay, const MatchRow *acc, int64 amount)
{
	AllocOutput *out = (AllocOutput *) arg;
	char		body[AMOUNT_NUMERIC_MAX];
	int			len = amount_numeric_body(amount, out->scale, body);
	ResultKind	kind = match_result_kind(pay, acc);
	ResultTemplate *t = &out->templates[kind][len / 2 - 1];

	if (t->tuple == NULL)
	{
		Datum		values[ALLOCATE_PAYMENTS_COLS];
		bool		nulls[ALLOCATE_PAYMENTS_COLS];

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int64GetDatum(0);
		values[1] = Int64GetDatum(0);
		values[2] = amount_to_numeric(amount, out->scale);
		values[3] = kind == RESULT_BY_MONTH ? out->by_month : out->by_oldest;
		nulls[1] = nulls[3] = (kind == RESULT_NO_ACCRUAL);
		values[4] = out->key;
		nulls[4] = out->key_isnull;
		match_result_form(t, out->rsinfo->setDesc, values, nulls, 3);
		pfree(DatumGetPointer(values[2]));
	}
	memcpy(t->numeric, body, len);
	match_result_put(out->rsinfo->setResult, t, pay->id,
					 acc ? &acc->id : NULL);
}

/*
 * allocate_payments(payments text, accruals text, strategy text,
 *					 partition_by text, amount_column text)
 *
 * Returns (payment_id, accrual_id, amount, matched_by, partition_key): one
 * row per allocation and one per payment with an unallocated amount (or
 * nothing allocated), accrual_id and matched_by NULL on the latter.
 */
Datum
allocate_payments(PG_FUNCTION_ARGS)
{
	const char *fname = "allocate_payments";
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *partition_by = NULL;
	char	   *amount_column;
	MatchStrategy strategy;
	MatchTable	pay;
	MatchTable	acc;
	MatchInput *input;
	MatchGroup	group;
	AllocCore	core;
	AllocOutput out;
	MemoryContext cxt;
	bool		have_store = false;
	text	   *payments = match_required_text_arg(fcinfo, 0, "payments", fname);
	text	   *accruals = match_required_text_arg(fcinfo, 1, "accruals", fname);

	strategy = match_parse_strategy(text_to_cstring(match_required_text_arg(fcinfo, 2,
																			"strategy",
																			fname)));
	if (!PG_ARGISNULL(3))
		partition_by = text_to_cstring(PG_GETARG_TEXT_PP(3));
	amount_column = text_to_cstring(match_required_text_arg(fcinfo, 4,
															"amount_column",
															fname));

	InitMaterializedSRF(fcinfo, 0);
	match_result_check(rsinfo->setDesc, ALLOCATE_PAYMENTS_COLS, true, fname);

	match_resolve_table(&pay, "payments", payments, partition_by);
	match_resolve_table(&acc, "accruals", accruals, partition_by);
	match_check_same_types(&pay, &acc, partition_by);
	match_resolve_amount(&pay, amount_column);
	match_resolve_amount(&acc, amount_column);

	cxt = AllocSetContextCreate(CurrentMemoryContext, "accmatch",
								ALLOCSET_DEFAULT_SIZES);
	allocate_core_init(&core, cxt);
	memset(&group, 0, sizeof(group));
	memset(&out, 0, sizeof(out));
	out.rsinfo = rsinfo;
	out.by_month = CStringGetTextDatum("month");
	out.by_oldest = CStringGetTextDatum("oldest");

	input = match_input_open(&pay, &acc, partition_by, cxt);
	while (match_input_next(input, &group))
	{
		/* accruals without a key are never paid: no payment has their key */
		int32		nacc = group.key_isnull ? 0 : (int32) group.acc.n;

		if (!have_store)
		{
			match_result_store(rsinfo, group.held_rows *
							   (sizeof(MatchRow) + sizeof(int64)));
			have_store = true;
		}
		if (group.pay.n == 0)
			continue;
		out.scale = group.amount_scale;
		out.key_isnull = (group.key == NULL);
		out.key = out.key_isnull ? (Datum) 0 :
			CStringGetTextDatum(group.key);
		allocate_group(&core, strategy, &group.pay, &group.acc, nacc,
					   group.nmonths, emit_row, &out);
		for (int k = 0; k < RESULT_KINDS; k++)
			for (int l = 0; l < ALLOC_LENGTHS; l++)
				match_result_free(&out.templates[k][l]);
		if (!out.key_isnull)
			pfree(DatumGetPointer(out.key));
	}
	match_input_close(input);

	MemoryContextDelete(cxt);
	return (Datum) 0;
}
