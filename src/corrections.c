/*-------------------------------------------------------------------------
 *
 * corrections.c
 *	  allocation_corrections(): the rows to append to a ledger of
 *	  allocations so that it sums, group by group, to one full run of
 *	  allocate_payments() on today's tables.
 *
 * A group is (partition_key, payment_id, accrual_id, matched_by); a
 * payment's unallocated row has accrual_id and matched_by NULL.  The run
 * is allocated as allocate_payments() allocates (match_input.c,
 * allocate_core.c) and compared, payment by payment, with the ledger's
 * rows of that payment (ledger.c), summed by group:
 *
 *	- a group of the ledger the payment no longer has gets a reversing row,
 *	  the opposite of its sum (first, by accrual, NULL last, then kind);
 *	- a group of the run whose amount differs from the ledger's sum gets a
 *	  row of the difference (in the run's order).
 *
 * Then the ledger's groups of payments the run does not have (deleted,
 * moved to another key) are reversed, by partition key, payment and
 * accrual.  Nothing is emitted for a group that already sums right, so a
 * second call right after appending the rows returns none.
 *
 * Amounts are exact: a row's amount has the larger of its group's scale
 * in the run and the ledger's scale.
 *
 * Locking: the ledger is locked in SHARE UPDATE EXCLUSIVE mode, which two
 * calls cannot hold at once but which does not conflict with the ROW
 * EXCLUSIVE lock an INSERT into the ledger takes, so that
 * INSERT INTO ledger SELECT * FROM allocation_corrections('ledger') in two
 * sessions runs one after the other without a deadlock.  In READ
 * COMMITTED every table is then read with a snapshot taken after the lock
 * was granted, so the second call sees the first one's rows; in
 * REPEATABLE READ and SERIALIZABLE a ledger row the transaction's
 * snapshot does not see raises 40001 (see ledger.c).
 *
 *-------------------------------------------------------------------------
 */
#include "ledger.h"
#include "compat.h"

#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(allocation_corrections);
PG_FUNCTION_INFO_V1(allocation_corrections_typed);

#define CORRECTIONS_COLS	5

/* A row the run allocated to the payment at hand. */
typedef struct RunRow
{
	const MatchRow *acc;		/* NULL for the unallocated row */
	int64		amount;
	int32		kind;
	int32		sum;			/* the ledger's sum of its group, or -1 */
} RunRow;

/* The sum of one group of the ledger's rows of the payment at hand. */
typedef struct LedgerSum
{
	const LedgerEntry *first;	/* its accrual and kind */
	int64		amount;
	bool		in_run;			/* the run has the group */
} LedgerSum;

/* The state of a call. */
typedef struct Corrections
{
	ReturnSetInfo *rsinfo;
	Ledger	   *ledger;
	const MatchGroup *group;
	int32		key;			/* the group's key among the ledger's */
	Datum		key_value;		/* partition_key, or 0 for NULL */
	int			scale;			/* of the output amounts of the group */
	Datum		by_month;
	Datum		by_oldest;
	const MatchRow *pay;		/* the payment whose run rows are kept */
	int32	   *first;			/* the first ledger item of each of the
								 * group's payments (ledger_find_group()),
								 * or NULL until needed */
	RunRow	   *rows;
	int			nrows;
	int			rows_cap;
	LedgerSum  *sums;
	int			nsums;
	int			sums_cap;
} Corrections;

/*
 * An amount at one scale brought to a larger one, or an error.
 */
static int64
at_scale(int64 value, int from, int to)
{
	if (!amount_rescale(&value, from, to))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("allocation correction out of range")));
	return value;
}

/*
 * The matched_by of a kind, or 0 for NULL.
 */
static Datum
kind_datum(Corrections *c, int32 kind)
{
	switch (kind)
	{
		case RESULT_BY_MONTH:
			return c->by_month;
		case RESULT_BY_OLDEST:
			return c->by_oldest;
		case RESULT_NO_ACCRUAL:
			return (Datum) 0;
		default:
			return CStringGetTextDatum(c->ledger->kinds[kind - LEDGER_OTHER]);
	}
}

/*
 * Append one correction to the result: amount (not 0) at scale.
 */
static void
put_row(Corrections *c, Datum pay, Datum acc, bool acc_null, int64 amount,
		int scale, int32 kind, Datum key)
{
	Datum		values[CORRECTIONS_COLS];
	bool		nulls[CORRECTIONS_COLS];

	if (amount == PG_INT64_MIN)
		at_scale(amount, 0, 1);	/* reports it out of range */
	if (c->ledger->column_scale >= 0)
	{
		int64		rest = amount;

		for (int s = c->ledger->column_scale; s < scale; s++, rest /= 10)
			if (rest % 10 != 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("allocation correction %s does not fit column \"amount\" of relation \"%s\"",
								numeric_normalize(DatumGetNumeric(amount_to_numeric(amount, scale))),
								c->ledger->relname),
						 errdetail("The column keeps %d decimal places; the amounts allocated have more.",
								   c->ledger->column_scale),
						 errhint("Declare the ledger's amount column numeric, or numeric(p, s) with the scale of the tables' amounts.")));
	}
	values[0] = pay;
	values[1] = acc;
	values[2] = amount_to_numeric(amount, scale);
	values[3] = kind_datum(c, kind);
	values[4] = key;
	nulls[0] = false;
	nulls[1] = acc_null;
	nulls[2] = false;
	nulls[3] = (values[3] == (Datum) 0);
	nulls[4] = (key == (Datum) 0);
	tuplestore_putvalues(c->rsinfo->setResult, c->rsinfo->setDesc, values,
						 nulls);
	pfree(DatumGetPointer(values[2]));
}

/*
 * The id of a run row as the result returns it.
 */
static Datum
run_id(Corrections *c, const MatchIds *ids, int64 id)
{
	if (c->ledger->integer_ids)
		return Int64GetDatum(id);
	return match_ids_datum(ids, id);
}

/*
 * Compare two kinds by their matched_by text, NULL last.
 */
static int
compare_kinds(Corrections *c, int32 a, int32 b)
{
	const char *ta;
	const char *tb;

	if (a == b)
		return 0;
	if (a == RESULT_NO_ACCRUAL || b == RESULT_NO_ACCRUAL)
		return a == RESULT_NO_ACCRUAL ? 1 : -1;
	ta = a == RESULT_BY_MONTH ? "month" : a == RESULT_BY_OLDEST ? "oldest" :
		c->ledger->kinds[a - LEDGER_OTHER];
	tb = b == RESULT_BY_MONTH ? "month" : b == RESULT_BY_OLDEST ? "oldest" :
		c->ledger->kinds[b - LEDGER_OTHER];
	return strcmp(ta, tb);
}

/*
 * Compare two ledger entries' accruals (NULL last), then kinds (their
 * text, NULL last): the order of a payment's reversing rows.
 */
static int
compare_entries(Corrections *c, const LedgerEntry *a, const LedgerEntry *b)
{
	Ledger	   *ledger = c->ledger;
	int			r = 0;

	if (a->acc_null != b->acc_null)
		return a->acc_null ? 1 : -1;
	if (!a->acc_null)
	{
		if (ledger->integer_ids)
			r = a->acc < b->acc ? -1 : a->acc > b->acc ? 1 : 0;
		else
			r = ApplySortComparator(ledger_acc_datum(ledger, a), false,
									ledger_acc_datum(ledger, b), false,
									&ledger->acc_order);
	}
	if (r != 0)
		return r;
	return compare_kinds(c, a->kind, b->kind);
}

/*
 * Sum the ledger entries of items [lo, hi) (of one payment) by group into
 * c->sums, in the order of compare_entries(), and mark them used.
 */
static void
sum_entries(Corrections *c, int64 lo, int64 hi)
{
	Ledger	   *ledger = c->ledger;

	c->nsums = 0;
	for (int64 i = lo; i < hi; i++)
	{
		LedgerEntry *e = &ledger->entries[ledger->items[i].match];
		int			j = c->nsums;

		e->used = true;
		while (j > 0 && compare_entries(c, c->sums[j - 1].first, e) > 0)
			j--;
		if (j > 0 && compare_entries(c, c->sums[j - 1].first, e) == 0)
		{
			if (pg_add_s64_overflow(c->sums[j - 1].amount, e->amount,
									&c->sums[j - 1].amount))
				at_scale(PG_INT64_MIN, 0, 1);
			continue;
		}
		if (c->nsums == c->sums_cap)
		{
			c->sums_cap = Max(16, 2 * c->sums_cap);
			c->sums = c->sums == NULL ?
				palloc(c->sums_cap * sizeof(LedgerSum)) :
				repalloc(c->sums, c->sums_cap * sizeof(LedgerSum));
		}
		memmove(&c->sums[j + 1], &c->sums[j],
				(c->nsums - j) * sizeof(LedgerSum));
		c->sums[j].first = e;
		c->sums[j].amount = e->amount;
		c->sums[j].in_run = false;
		c->nsums++;
	}
}

/*
 * The corrections of the payment whose run rows are kept: reversals of
 * the ledger's groups it no longer has, then the differences of its run
 * rows, in the run's order.
 */
static void
flush_payment(Corrections *c)
{
	const MatchGroup *g = c->group;
	Ledger	   *ledger = c->ledger;
	Datum		pay;
	int64		lo = 0,
				hi = 0;
	int			scale = Max(c->scale, ledger->scale);

	if (c->pay == NULL)
		return;
	pay = run_id(c, g->pay_ids, c->pay->id);
	if (c->key >= 0)
	{
		int64		idx = c->pay - g->pay.rows;

		/* the rows are in place, sorted, once the group's first is met */
		if (c->first == NULL)
		{
			c->first = palloc_extended(Max(g->pay.n, 1) * sizeof(int32),
									   MCXT_ALLOC_HUGE);
			ledger_find_group(ledger, c->key, g->pay.rows, (int32) g->pay.n,
							  g->pay_ids, c->first);
		}
		/*
		 * The run meets the payments in date order, the ledger has them by
		 * id: fetch the items of payments a few ahead, then their entries.
		 */
		if (idx + 8 < g->pay.n && c->first[idx + 8] >= 0)
			compat_prefetch(&ledger->items[c->first[idx + 8]]);
		if (idx + 4 < g->pay.n && c->first[idx + 4] >= 0)
			compat_prefetch(&ledger->entries[ledger->items[c->first[idx + 4]].match]);
		lo = c->first[idx];
		if (lo >= 0)
			hi = ledger_payment_end(ledger, lo, c->key, c->pay->id,
									g->pay_ids);
		else
			lo = 0;
	}
	sum_entries(c, lo, hi);

	for (int r = 0; r < c->nrows; r++)
	{
		RunRow	   *row = &c->rows[r];

		row->sum = -1;
		for (int s = 0; s < c->nsums && row->sum < 0; s++)
		{
			const LedgerEntry *e = c->sums[s].first;

			if (!c->sums[s].in_run && e->kind == row->kind &&
				e->acc_null == (row->acc == NULL) &&
				(row->acc == NULL ||
				 ledger_compare_acc(ledger, e, row->acc->id, g->acc_ids) == 0))
			{
				row->sum = s;
				c->sums[s].in_run = true;
			}
		}
	}
	for (int s = 0; s < c->nsums; s++)
	{
		const LedgerEntry *e = c->sums[s].first;

		if (c->sums[s].in_run || c->sums[s].amount == 0)
			continue;
		put_row(c, pay, e->acc_null ? (Datum) 0 : ledger_acc_datum(ledger, e),
				e->acc_null,
				-at_scale(c->sums[s].amount, ledger->scale, scale), scale,
				e->kind, c->key_value);
	}
	for (int r = 0; r < c->nrows; r++)
	{
		RunRow	   *row = &c->rows[r];
		int64		diff = at_scale(row->amount, c->scale, scale);

		if (row->sum >= 0 &&
			pg_sub_s64_overflow(diff, at_scale(c->sums[row->sum].amount,
											   ledger->scale, scale), &diff))
			at_scale(PG_INT64_MIN, 0, 1);
		/* a group the ledger lacks is booked, even at 0 (credit of 0) */
		if (diff == 0 && row->sum >= 0)
			continue;
		put_row(c, pay,
				row->acc ? run_id(c, g->acc_ids, row->acc->id) : (Datum) 0,
				row->acc == NULL, diff, scale, row->kind, c->key_value);
	}
	c->pay = NULL;
	c->nrows = 0;
}

/*
 * AllocEmit of allocation_corrections(): keep the run's rows of a
 * payment, which come one after another, until the next payment's.
 */
static void
keep_row(void *arg, const MatchRow *pay, const MatchRow *acc, int64 amount)
{
	Corrections *c = (Corrections *) arg;

	if (pay != c->pay)
	{
		flush_payment(c);
		c->pay = pay;
	}
	if (c->nrows == c->rows_cap)
	{
		c->rows_cap = Max(16, 2 * c->rows_cap);
		c->rows = c->rows == NULL ? palloc(c->rows_cap * sizeof(RunRow)) :
			repalloc(c->rows, c->rows_cap * sizeof(RunRow));
	}
	c->rows[c->nrows].acc = acc;
	c->rows[c->nrows].amount = amount;
	c->rows[c->nrows].kind = match_result_kind(pay, acc);
	c->nrows++;
}

/*
 * Reverse the ledger's groups of payments the run did not meet, in the
 * ledger's order (partition key, payment), each payment's by accrual.
 */
static void
reverse_unmet(Corrections *c)
{
	Ledger	   *ledger = c->ledger;

	for (int64 i = 0; i < ledger->n;)
	{
		const MatchRow *item = &ledger->items[i];
		int64		j = i + 1;
		Datum		key;

		if (ledger->entries[item->match].used)
		{
			i++;
			continue;
		}
		/* the unmet items of one payment follow one another */
		while (j < ledger->n && ledger->items[j].date == item->date &&
			   !ledger->entries[ledger->items[j].match].used &&
			   (ledger->integer_ids ? ledger->items[j].id == item->id :
				ApplySortComparator(match_ids_datum(ledger->pay_ids, ledger->items[j].id), false,
									match_ids_datum(ledger->pay_ids, item->id), false,
									&ledger->pay_order) == 0))
			j++;
		CHECK_FOR_INTERRUPTS();
		sum_entries(c, i, j);
		key = item->date == LEDGER_NULL_KEY ? (Datum) 0 :
			CStringGetTextDatum(ledger->keys[item->date - 1]);
		for (int s = 0; s < c->nsums; s++)
		{
			const LedgerEntry *e = c->sums[s].first;

			if (c->sums[s].amount == 0)
				continue;
			put_row(c, ledger_pay_datum(ledger, item->id),
					e->acc_null ? (Datum) 0 : ledger_acc_datum(ledger, e),
					e->acc_null, -c->sums[s].amount, ledger->scale, e->kind,
					key);
		}
		i = j;
	}
}

/*
 * Resolve the ledger argument: a table (or partitioned table) the caller
 * may insert into, locked in SHARE UPDATE EXCLUSIVE mode.
 */
static Oid
lock_ledger(FunctionCallInfo fcinfo, int argno, const char *fname)
{
	Oid			relid = match_relation_arg(fcinfo, argno, "ledger", fname);
	char		relkind = get_rel_relkind(relid);
	AclResult	acl;

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", get_rel_name(relid)),
				 errdetail("The ledger is the table the corrections are appended to.")));
	acl = pg_class_aclcheck(relid, GetUserId(), ACL_INSERT);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_TABLE, get_rel_name(relid));
	LockRelationOid(relid, ShareUpdateExclusiveLock);
	return relid;
}

/*
 * The body of allocation_corrections() and allocation_corrections_typed()
 * (typed), whose arguments (ledger, payments, accruals, strategy,
 * partition_by, amount_column) start after id_type.
 */
static Datum
corrections_call(FunctionCallInfo fcinfo, bool typed)
{
	const char *fname = typed ? "allocation_corrections_typed" :
		"allocation_corrections";
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
	ResultIds	ids;
	Corrections c;
	MemoryContext cxt;
	bool		pushed = false;
	Oid			ledger = lock_ledger(fcinfo, first, fname);
	Oid			payments = match_relation_arg(fcinfo, first + 1, "payments",
											  fname);
	Oid			accruals = match_relation_arg(fcinfo, first + 2, "accruals",
											  fname);

	strategy = match_parse_strategy(text_to_cstring(match_required_text_arg(fcinfo, first + 3,
																			"strategy",
																			fname)));
	if (!PG_ARGISNULL(first + 4))
		partition_by = text_to_cstring(PG_GETARG_TEXT_PP(first + 4));
	amount_column = text_to_cstring(match_required_text_arg(fcinfo, first + 5,
															"amount_column",
															fname));

	InitMaterializedSRF(fcinfo, 0);
	match_result_ids(&ids, rsinfo->setDesc, CORRECTIONS_COLS, true, fname);

	match_resolve_table(&pay, "payments", payments, partition_by);
	match_resolve_table(&acc, "accruals", accruals, partition_by);
	match_check_same_types(&pay, &acc, partition_by);
	match_check_id_types(&pay, &acc, ids.type, typed, "allocation_corrections");
	match_resolve_amount(&pay, amount_column);
	match_resolve_amount(&acc, amount_column);

	/* READ COMMITTED: everything as committed once the lock was granted */
	if (!IsolationUsesXactSnapshot())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}

	cxt = AllocSetContextCreate(CurrentMemoryContext, "accmatch",
								ALLOCSET_DEFAULT_SIZES);
	allocate_core_init(&core, cxt);
	memset(&group, 0, sizeof(group));
	memset(&c, 0, sizeof(c));
	c.rsinfo = rsinfo;
	c.group = &group;
	c.by_month = CStringGetTextDatum("month");
	c.by_oldest = CStringGetTextDatum("oldest");

	input = match_input_open(&pay, &acc, partition_by, cxt);
	c.ledger = ledger_read(ledger, &pay, &acc, ids.type, cxt);
	while (match_input_next(input, &group))
	{
		/* accruals without a key are never paid: no payment has their key */
		int32		nacc = group.key_isnull ? 0 : (int32) group.acc.n;

		if (group.pay.n == 0)
			continue;
		c.scale = group.amount_scale;
		c.key = ledger_key(c.ledger, group.key);
		c.key_value = group.key == NULL ? (Datum) 0 :
			CStringGetTextDatum(group.key);
		allocate_group(&core, strategy, &group.pay, &group.acc, nacc,
					   group.nmonths, keep_row, &c);
		flush_payment(&c);
		if (c.first != NULL)
			pfree(c.first);
		c.first = NULL;
		if (c.key_value != (Datum) 0)
			pfree(DatumGetPointer(c.key_value));
	}
	reverse_unmet(&c);
	match_input_close(input);
	if (pushed)
		PopActiveSnapshot();

	MemoryContextDelete(cxt);
	return (Datum) 0;
}

/*
 * allocation_corrections(ledger regclass, payments regclass, accruals
 *						  regclass, strategy text, partition_by text,
 *						  amount_column text), ids as bigint.
 */
Datum
allocation_corrections(PG_FUNCTION_ARGS)
{
	return corrections_call(fcinfo, false);
}

/*
 * allocation_corrections_typed(id_type anyelement, ledger regclass, ...):
 * ids as the type of id_type, the tables' own.
 */
Datum
allocation_corrections_typed(PG_FUNCTION_ARGS)
{
	return corrections_call(fcinfo, true);
}
