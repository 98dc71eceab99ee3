/*-------------------------------------------------------------------------
 *
 * match.c
 *	  match_payments(): the SQL entry, with the library's settings.  Parses
 *	  the arguments, has the two tables resolved (match_catalog.c), reads
 *	  them group by group (match_input.c), matches each group
 *	  (match_core.c) and writes one result row per payment
 *	  (match_result.c).
 *
 *-------------------------------------------------------------------------
 */
#include "match.h"
#include "compat.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(match_payments);
PG_FUNCTION_INFO_V1(match_payments_typed);

/* accmatch.group_in_memory: kept from 1.1, without effect */
static bool match_group_in_memory = true;

void		_PG_init(void);

/*
 * accmatch.partition_work_mem is -1 or at least 64kB, as work_mem is.
 */
static bool
check_partition_work_mem(int *newval, void **extra pg_attribute_unused(),
						 GucSource source pg_attribute_unused())
{
	if (*newval == -1 || *newval >= 64)
		return true;
	GUC_check_errdetail("accmatch.partition_work_mem must be -1 (no limit) or at least 64kB.");
	return false;
}

/*
 * Module load: define the settings.
 */
void
_PG_init(void)
{
	DefineCustomIntVariable("accmatch.partition_work_mem",
							"Bounds the memory that partition_by matching holds rows in.",
							"Beyond it, the rows go to temporary files in batches of partition keys, matched one batch at a time. -1 (the default) holds every row, as matching without partition_by does.",
							&match_partition_work_mem,
							-1, -1, MAX_KILOBYTES,
							PGC_USERSET,
							GUC_UNIT_KB,
							check_partition_work_mem, NULL, NULL);
	DefineCustomBoolVariable("accmatch.group_in_memory",
							 "Has no effect; kept so that settings of version 1.1 stay valid.",
							 "Version 1.1 read partition_by's rows ordered by key when it was off; rows are now never read ordered by key.",
							 &match_group_in_memory,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("accmatch");
}

#define MATCH_PAYMENTS_COLS	4

/* Result rows ahead whose ids' values are asked into the cache. */
#define MATCH_PREFETCH_ROWS	8

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
 * Form the template of a result row of match_payments() with the given
 * matched_by (NULL for a payment that found no accrual, whose accrual_id
 * is NULL too) and partition key.
 */
static void
form_template(ResultTemplate *t, const ResultIds *ids, TupleDesc desc,
			  Datum matched_by, Datum key, bool key_isnull)
{
	Datum		values[MATCH_PAYMENTS_COLS];
	bool		nulls[MATCH_PAYMENTS_COLS];

	values[2] = matched_by;
	values[3] = key;
	nulls[0] = false;
	nulls[1] = nulls[2] = (matched_by == (Datum) 0);
	nulls[3] = key_isnull;
	match_result_form(t, ids, desc, values, nulls, 0);
}

/*
 * Ask for the value of an id (see IdsWhere) to be brought into the cache:
 * a value of fixed length at once; a varlena in two steps, some rows
 * apart: first its Datum (value false), then what it points at (value
 * true).
 */
static inline void
prefetch_id(IdsWhere where, int64 id, bool value)
{
	id &= 0xffffffff;
	if (where.fixed && !value)
		compat_prefetch(where.fixed + id * where.typlen);
	else if (where.values && !value)
		compat_prefetch(&where.values[id]);
	else if (where.values && !where.byval)
		compat_prefetch(DatumGetPointer(where.values[id]));
}

/*
 * Append one result row per payment of a matched group, in the order the
 * payments were processed.  The templates are kept from group to group,
 * their key rewritten in place when its length allows.
 */
static void
put_group_rows(ReturnSetInfo *rsinfo, const ResultIds *ids,
			   const MatchGroup *group, ResultTemplate *templates,
			   Datum by_month, Datum by_oldest)
{
	const MatchRow *pay = group->pay.rows;
	const MatchRow *acc = group->acc.rows;
	TupleDesc	desc = rsinfo->setDesc;
	bool		key_isnull = (group->key == NULL);
	Datum		key = (Datum) 0;
	Datum		matched_by[RESULT_KINDS] = {by_month, by_oldest, (Datum) 0};
	bool		rekeyed[RESULT_KINDS] = {false, false, false};
	IdsWhere	pay_where;
	IdsWhere	acc_where;

	match_ids_where(group->pay_ids, &pay_where);
	match_ids_where(group->acc_ids, &acc_where);
	for (int64 p = 0; p < group->pay.n; p++)
	{
		int32		a = pay[p].match;
		ResultKind	kind = match_result_kind(&pay[p], a < 0 ? NULL : &acc[a]);

		CHECK_FOR_INTERRUPTS();
		if (ids->type != INT8OID)
		{
			/* the values of ids of other types lie in read order */
			for (int step = 0; step < 2; step++)
			{
				int64		q = p + MATCH_PREFETCH_ROWS * (2 - step);

				if (q >= group->pay.n)
					continue;
				prefetch_id(pay_where, pay[q].id, step == 1);
				if (pay[q].match >= 0)
					prefetch_id(acc_where, acc[pay[q].match].id, step == 1);
			}
		}
		if (!rekeyed[kind])
		{
			if (!match_result_rekey(&templates[kind], group->key))
			{
				match_result_free(&templates[kind]);
				if (!key_isnull && key == (Datum) 0)
					key = CStringGetTextDatum(group->key);
				form_template(&templates[kind], ids, desc, matched_by[kind],
							  key, key_isnull);
			}
			rekeyed[kind] = true;
		}
		match_result_put(rsinfo->setResult, &templates[kind], ids, group,
						 &pay[p], a < 0 ? NULL : &acc[a]);
	}
	if (key != (Datum) 0 && !ids->in_place)
	{
		/* rows formed one by one point at the key: keep it for them */
		for (int kind = 0; kind < RESULT_KINDS; kind++)
			match_result_free(&templates[kind]);
	}
	if (key != (Datum) 0)
		pfree(DatumGetPointer(key));
}

/*
 * The body of match_payments() and match_payments_typed() (typed), whose
 * arguments (payments, accruals, strategy, partition_by) start after
 * id_type.
 *
 * Returns one row per payment: (payment_id, accrual_id, matched_by,
 * partition_key), accrual_id and matched_by NULL when the payment found no
 * accrual.  With partition_by, a payment pays only accruals with an equal
 * value in that column, and the partitions are matched one at a time.
 */
static Datum
match_call(FunctionCallInfo fcinfo, bool typed)
{
	const char *fname = typed ? "match_payments_typed" : "match_payments";
	int			first = typed ? 1 : 0;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *partition_by = NULL;
	MatchStrategy strategy;
	MatchTable	pay;
	MatchTable	acc;
	MatchInput *input;
	MatchGroup	group;
	MatchCore	core;
	ResultIds	ids;
	ResultTemplate templates[RESULT_KINDS];
	MemoryContext cxt;
	Datum		by_month;
	Datum		by_oldest;
	bool		have_store = false;
	Oid			payments = match_relation_arg(fcinfo, first, "payments", fname);
	Oid			accruals = match_relation_arg(fcinfo, first + 1, "accruals",
											  fname);

	strategy = match_parse_strategy(text_to_cstring(match_required_text_arg(fcinfo, first + 2,
																			"strategy",
																			fname)));
	if (!PG_ARGISNULL(first + 3))
		partition_by = text_to_cstring(PG_GETARG_TEXT_PP(first + 3));

	InitMaterializedSRF(fcinfo, 0);
	match_result_ids(&ids, rsinfo->setDesc, MATCH_PAYMENTS_COLS, false, fname);

	match_resolve_table(&pay, "payments", payments, partition_by);
	match_resolve_table(&acc, "accruals", accruals, partition_by);
	match_check_same_types(&pay, &acc, partition_by);
	match_check_id_types(&pay, &acc, ids.type, typed, "match_payments");

	by_month = CStringGetTextDatum("month");
	by_oldest = CStringGetTextDatum("oldest");
	cxt = AllocSetContextCreate(CurrentMemoryContext, "accmatch",
								ALLOCSET_DEFAULT_SIZES);
	match_core_init(&core, cxt);
	memset(&group, 0, sizeof(group));
	memset(templates, 0, sizeof(templates));

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
		put_group_rows(rsinfo, &ids, &group, templates, by_month, by_oldest);
	}
	match_input_close(input);
	for (int kind = 0; kind < RESULT_KINDS; kind++)
		match_result_free(&templates[kind]);

	MemoryContextDelete(cxt);
	return (Datum) 0;
}

/*
 * match_payments(payments regclass, accruals regclass, strategy text,
 *				  partition_by text), ids returned as bigint; the same C
 * function serves match_payments_by_name(), whose tables are text names.
 */
Datum
match_payments(PG_FUNCTION_ARGS)
{
	return match_call(fcinfo, false);
}

/*
 * match_payments_typed(id_type anyelement, payments regclass, ...): ids
 * returned as the type of id_type, the tables' own.
 */
Datum
match_payments_typed(PG_FUNCTION_ARGS)
{
	return match_call(fcinfo, true);
}
