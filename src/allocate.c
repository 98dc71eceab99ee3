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
PG_FUNCTION_INFO_V1(allocate_payments_typed);

#define ALLOCATE_PAYMENTS_COLS	5

/* Lengths of an amount's stored form: 2 bytes, then 2 per digit. */
#define ALLOC_LENGTHS		(AMOUNT_NUMERIC_MAX / 2)

/* Where the emitted rows go, and what they share. */
typedef struct AllocOutput
{
	ReturnSetInfo *rsinfo;
	ResultIds	ids;
	const MatchGroup *group;
	Datum		by_month;
	Datum		by_oldest;
	Datum		key;			/* partition_key, or NULL */
	bool		key_isnull;
	const char *key_text;		/* the group's key as text, or NULL */
	int			scale;			/* of the group's amounts */
	/*
	 * The result rows by kind and length of the amount's form, kept from
	 * group to group; stale until rekeyed for the group at hand.
	 */
	ResultTemplate templates[RESULT_KINDS][ALLOC_LENGTHS];
	bool		stale[RESULT_KINDS][ALLOC_LENGTHS];
	/* the amount as a numeric, for rows formed one by one */
	union
	{
		char		data[VARHDRSZ + AMOUNT_NUMERIC_MAX];
		int32		align;
	}			numeric;
} AllocOutput;

/*
 * AllocEmit of allocate_payments(): one result row, 'month' or 'oldest'
 * as match_result_kind() tells.
 *
 * The row is a copy of the group's template for its kind and the length of
 * its amount's stored form, formed on first use, with the ids and the
 * amount written in (see match_result_form()): no numeric is palloc'd nor
 * tuple formed per row, unless the ids are of a type formed per row.
 */
static void
emit_row(void *arg, const MatchRow *pay, const MatchRow *acc, int64 amount)
{
	AllocOutput *out = (AllocOutput *) arg;
	char		body[AMOUNT_NUMERIC_MAX];
	int			len = amount_numeric_body(amount, out->scale, body);
	ResultKind	kind = match_result_kind(pay, acc);
	int			l = out->ids.in_place ? len / 2 - 1 : 0;
	ResultTemplate *t = &out->templates[kind][l];

	if (out->stale[kind][l])
	{
		if (!match_result_rekey(t, out->key_text))
			match_result_free(t);
		out->stale[kind][l] = false;
	}
	if (!t->formed)
	{
		Datum		values[ALLOCATE_PAYMENTS_COLS];
		bool		nulls[ALLOCATE_PAYMENTS_COLS];

		memset(nulls, 0, sizeof(nulls));
		values[2] = amount_to_numeric(amount, out->scale);
		values[3] = kind == RESULT_BY_MONTH ? out->by_month : out->by_oldest;
		nulls[1] = nulls[3] = (kind == RESULT_NO_ACCRUAL);
		values[4] = out->key;
		nulls[4] = out->key_isnull;
		match_result_form(t, &out->ids, out->rsinfo->setDesc, values, nulls,
						  3);
		pfree(DatumGetPointer(values[2]));
	}
	if (out->ids.in_place)
		memcpy(t->numeric, body, len);
	else
	{
		t->num_body = body;
		t->num_len = len;
		SET_VARSIZE(out->numeric.data, VARHDRSZ + len);
		memcpy(VARDATA(out->numeric.data), body, len);
		t->values[2] = PointerGetDatum(out->numeric.data);
	}
	match_result_put(out->rsinfo->setResult, t, &out->ids, out->group, pay,
					 acc);
}

/*
 * The body of allocate_payments() and allocate_payments_typed() (typed),
 * whose arguments (payments, accruals, strategy, partition_by,
 * amount_column) start after id_type.
 *
 * Returns (payment_id, accrual_id, amount, matched_by, partition_key): one
 * row per allocation and one per payment with an unallocated amount (or
 * nothing allocated), accrual_id and matched_by NULL on the latter.
 */
static Datum
allocate_call(FunctionCallInfo fcinfo, bool typed)
{
	const char *fname = typed ? "allocate_payments_typed" : "allocate_payments";
	int			first = typed ? 1 : 0;
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
	int			scale = -1;
	Oid			payments = match_relation_arg(fcinfo, first, "payments", fname);
	Oid			accruals = match_relation_arg(fcinfo, first + 1, "accruals",
											  fname);

	strategy = match_parse_strategy(text_to_cstring(match_required_text_arg(fcinfo, first + 2,
																			"strategy",
																			fname)));
	if (!PG_ARGISNULL(first + 3))
		partition_by = text_to_cstring(PG_GETARG_TEXT_PP(first + 3));
	amount_column = text_to_cstring(match_required_text_arg(fcinfo, first + 4,
															"amount_column",
															fname));

	InitMaterializedSRF(fcinfo, 0);
	memset(&out, 0, sizeof(out));
	match_result_ids(&out.ids, rsinfo->setDesc, ALLOCATE_PAYMENTS_COLS, true,
					 fname);

	match_resolve_table(&pay, "payments", payments, partition_by);
	match_resolve_table(&acc, "accruals", accruals, partition_by);
	match_check_same_types(&pay, &acc, partition_by);
	match_check_id_types(&pay, &acc, out.ids.type, typed,
						 "allocate_payments");
	match_resolve_amount(&pay, amount_column);
	match_resolve_amount(&acc, amount_column);

	cxt = AllocSetContextCreate(CurrentMemoryContext, "accmatch",
								ALLOCSET_DEFAULT_SIZES);
	allocate_core_init(&core, cxt);
	memset(&group, 0, sizeof(group));
	out.rsinfo = rsinfo;
	out.group = &group;
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
		out.key_text = group.key;
		out.key = out.key_isnull ? (Datum) 0 :
			CStringGetTextDatum(group.key);
		if (out.scale != scale)
		{
			/* the stored forms of the amounts differ: form anew */
			for (int k = 0; k < RESULT_KINDS; k++)
				for (int l = 0; l < ALLOC_LENGTHS; l++)
					match_result_free(&out.templates[k][l]);
			scale = out.scale;
		}
		memset(out.stale, true, sizeof(out.stale));
		allocate_group(&core, strategy, &group.pay, &group.acc, nacc,
					   group.nmonths, emit_row, &out);
		if (!out.ids.in_place)
		{
			/* rows formed one by one point at the key */
			for (int k = 0; k < RESULT_KINDS; k++)
				for (int l = 0; l < ALLOC_LENGTHS; l++)
					match_result_free(&out.templates[k][l]);
		}
		if (!out.key_isnull)
			pfree(DatumGetPointer(out.key));
	}
	match_input_close(input);
	for (int k = 0; k < RESULT_KINDS; k++)
		for (int l = 0; l < ALLOC_LENGTHS; l++)
			match_result_free(&out.templates[k][l]);

	MemoryContextDelete(cxt);
	return (Datum) 0;
}

/*
 * allocate_payments(payments regclass, accruals regclass, strategy text,
 *					 partition_by text, amount_column text), ids returned as
 * bigint; the same C function serves allocate_payments_by_name(), whose
 * tables are text names.
 */
Datum
allocate_payments(PG_FUNCTION_ARGS)
{
	return allocate_call(fcinfo, false);
}

/*
 * allocate_payments_typed(id_type anyelement, payments regclass, ...): ids
 * returned as the type of id_type, the tables' own.
 */
Datum
allocate_payments_typed(PG_FUNCTION_ARGS)
{
	return allocate_call(fcinfo, true);
}
