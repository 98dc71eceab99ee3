/*-------------------------------------------------------------------------
 *
 * match_reader.c
 *	  Reads one input table of match_payments() or allocate_payments()
 *	  through SPI into the compact row arrays of a group (see MatchRows in
 *	  match.h): the column values, their amounts, and month numbers.
 *
 * Without partition_by, the table's query runs once with its rows going
 * straight from the executor's slots into the arrays (a DestReceiver), so
 * that no tuple is formed or copied.  With partition_by, the table is read
 * through a cursor ordered by the partition key, a batch at a time, one
 * key's rows per call; match_input.c merges the two tables' streams.
 *
 * The queries use the quoted schema and relation names of the resolved
 * OID (see match_catalog.c) and name no operator or function, so nothing
 * planted in the caller's search_path can change what they do.  They run
 * with the caller's rights, so GRANTs and row-level security apply.
 *
 *-------------------------------------------------------------------------
 */
#include "match_input_int.h"

#ifndef WIN32
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/syscache.h"

/* Rows fetched from a cursor at a time. */
#define MATCH_BATCH_ROWS	10000

/* Column positions in the cursor queries. */
#define COL_ID		1
#define COL_DATE	2
#define COL_MONTH	3
#define COL_KEY		4

/*
 * Value converters, one per width of the accepted id and date types: a
 * date is an int32 day number, a timestamp or timestamptz an int64.
 */
#define MATCH_VALUE_FN(name, getter) \
	static int64 name(Datum value) { return (int64) getter(value); }

MATCH_VALUE_FN(int2_value, DatumGetInt16)
MATCH_VALUE_FN(int4_value, DatumGetInt32)
MATCH_VALUE_FN(int8_value, DatumGetInt64)

/*
 * The converter of an id or date column of the given (base) type:
 * timestamps and timestamptz are int64 already.
 */
MatchValueFn
match_value_fn(Oid type)
{
	switch (type)
	{
		case INT2OID:
			return int2_value;
		case INT4OID:
		case DATEOID:
			return int4_value;
		default:
			return int8_value;
	}
}

/*
 * Prepare to read the id, date and month columns of the table (and the
 * amount column, when there is one; with partition_by, the partition column
 * too).  The query runs when the rows are read whole (see
 * match_reader_read_all()), or through a cursor ordered by the partition
 * column (see match_reader_stream()).
 */
MatchReader *
match_reader_open(MatchTable *t, const char *partition_by, MemoryContext cxt)
{
	MatchReader *r = MemoryContextAllocZero(cxt, sizeof(MatchReader));
	StringInfoData query;
	HeapTuple	classtup;

	r->table = t;
	r->cxt = cxt;
	r->batch_cxt = AllocSetContextCreate(cxt, "accmatch batch",
										 ALLOCSET_DEFAULT_SIZES);
	r->id_value = match_value_fn(t->id_type);
	r->date_value = match_value_fn(t->date_type);

	initStringInfo(&query);
	appendStringInfo(&query, "SELECT id, date, month");
	if (partition_by)
	{
		appendStringInfo(&query, ", %s", quote_identifier(partition_by));
		r->key_col = COL_KEY;
	}
	if (t->amount_column)
	{
		appendStringInfo(&query, ", %s", quote_identifier(t->amount_column));
		r->amount_col = partition_by ? COL_KEY + 1 : COL_KEY;
	}
	appendStringInfo(&query, " FROM %s", t->qualname);
	r->query = pstrdup(query.data);

	if (partition_by)
	{
		appendStringInfo(&query, " ORDER BY %s", quote_identifier(partition_by));

		/*
		 * Sort both tables under one collation, the payment column's, the
		 * one keys are compared under too, so that the two streams agree.
		 */
		if (type_is_collatable(t->key_type))
		{
			HeapTuple	colltup = SearchSysCache1(COLLOID,
												  ObjectIdGetDatum(t->key_coll));
			Form_pg_collation coll;

			if (!HeapTupleIsValid(colltup))
				elog(ERROR, "cache lookup failed for collation %u", t->key_coll);
			coll = (Form_pg_collation) GETSTRUCT(colltup);
			appendStringInfo(&query, " COLLATE %s",
							 quote_qualified_identifier(get_namespace_name(coll->collnamespace),
														NameStr(coll->collname)));
			ReleaseSysCache(colltup);
		}
		/* no more sort keys: each group is sorted by (date, id) here */
	}

	classtup = SearchSysCache1(RELOID, ObjectIdGetDatum(t->relid));
	if (HeapTupleIsValid(classtup))
	{
		float4		reltuples = ((Form_pg_class) GETSTRUCT(classtup))->reltuples;

		if (reltuples > 0 && reltuples < 1e9)
			r->expected_rows = (int64) (reltuples * 1.05) + 16;
		ReleaseSysCache(classtup);
	}

	r->ordered_query = query.data;
	return r;
}

/*
 * The planner's estimate of the number of rows the table gives.  The query
 * is planned once: match_reader_read_all() runs this plan.
 */
double
match_reader_estimate(MatchReader *r)
{
	CachedPlan *cplan;
	double		rows = 0;

	r->plan = SPI_prepare(r->query, 0, NULL);
	if (r->plan == NULL)
		elog(ERROR, "could not plan the query of \"%s\": %s",
			 r->table->relname, SPI_result_code_string(SPI_result));
	cplan = SPI_plan_get_cached_plan(r->plan);
	if (cplan != NULL)
	{
		PlannedStmt *stmt = linitial_node(PlannedStmt, cplan->stmt_list);

		rows = stmt->planTree->plan_rows;
		/* an unsaved plan's cached plan belongs to no resource owner */
		ReleaseCachedPlan(cplan, NULL);
	}
	return rows;
}

/*
 * Read the table through a cursor ordered by the partition column, a
 * batch at a time (see match_reader_read_group()).
 */
void
match_reader_stream(MatchReader *r)
{
	r->keyed = true;
	r->portal = SPI_cursor_open_with_args(NULL, r->ordered_query, 0, NULL,
										  NULL, NULL, true, 0);
	if (r->portal == NULL)
		elog(ERROR, "could not open cursor on \"%s\": %s", r->table->relname,
			 SPI_result_code_string(SPI_result));
}

/*
 * Make sure a fetched row is at hand; false at the end of the table.
 */
static bool
reader_fill(MatchReader *r)
{
	if (r->pos < r->count)
		return true;
	if (r->done)
		return false;

	if (r->tuptable)
	{
		SPI_freetuptable(r->tuptable);
		r->tuptable = NULL;
	}
	MemoryContextReset(r->batch_cxt);
	CHECK_FOR_INTERRUPTS();

	SPI_cursor_fetch(r->portal, true, MATCH_BATCH_ROWS);
	if (SPI_tuptable == NULL)
		elog(ERROR, "could not fetch from cursor on \"%s\": %s",
			 r->table->relname, SPI_result_code_string(SPI_result));
	r->tuptable = SPI_tuptable;
	r->count = SPI_processed;
	r->pos = 0;
	if (r->count == 0)
	{
		r->done = true;
		return false;
	}
	return true;
}

/*
 * Partition key of the next row, if there is a next row.  The Datum points
 * into the current batch: copy it before reading on.
 */
bool
match_reader_peek_key(MatchReader *r, Datum *key, bool *isnull)
{
	if (!reader_fill(r))
		return false;
	*key = SPI_getbinval(r->tuptable->vals[r->pos], r->tuptable->tupdesc,
						 COL_KEY, isnull);
	return true;
}

/* Arrays at least this large are offered huge pages (see advise_huge()). */
#define MATCH_HUGE_ARRAY	(4 * 1024 * 1024)

/*
 * Ask the kernel to back a large array with huge pages where it offers
 * them on request (Linux's transparent huge pages in "madvise" mode, its
 * usual default).  A row array is written once, from end to end, right
 * after it is allocated: faulting it in page by page of 4 kB took a tenth
 * of the time of reading the tables.  Only the whole pages inside the
 * array are advised; the advice changes no content, and a kernel that
 * declines it changes nothing.
 */
static void
advise_huge(void *array, Size size)
{
#if defined(MADV_HUGEPAGE) && defined(_SC_PAGESIZE)
	static uintptr_t page = 0;
	uintptr_t	start;
	uintptr_t	end;

	if (size < MATCH_HUGE_ARRAY)
		return;
	if (page == 0)
	{
		long		p = sysconf(_SC_PAGESIZE);

		page = p > 0 ? (uintptr_t) p : 4096;
	}
	start = ((uintptr_t) array + page - 1) & ~(page - 1);
	end = ((uintptr_t) array + size) & ~(page - 1);
	if (end > start)
		(void) madvise((void *) start, end - start, MADV_HUGEPAGE);
#endif
}

/*
 * Make room for one more row, growing by half (the first size comes from
 * the planner's row estimate, to avoid copying large arrays).
 */
static inline void
rows_reserve(MatchRows *out, MatchReader *r)
{
	int64		cap;

	if (out->n < out->cap)
		return;

	if (out->rows == NULL)
		cap = Max(r->keyed ? 64 : r->expected_rows, 1024);
	else
		cap = out->cap + out->cap / 2;
	if (out->n >= PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("relation \"%s\" has too many rows to match",
						r->table->relname)));
	cap = Min(cap, PG_INT32_MAX);
	if (out->rows == NULL)
		out->rows = MemoryContextAllocHuge(r->cxt, cap * sizeof(MatchRow));
	else
		out->rows = repalloc_huge(out->rows, cap * sizeof(MatchRow));
	if (r->amount_col != 0)
		out->amount = out->amount == NULL ?
			MemoryContextAllocHuge(r->cxt, cap * sizeof(int64)) :
			repalloc_huge(out->amount, cap * sizeof(int64));
	out->cap = cap;
	advise_huge(out->rows, cap * sizeof(MatchRow));
	if (out->amount)
		advise_huge(out->amount, cap * sizeof(int64));
}

/*
 * Report an amount that allocate_payments() cannot take.
 */
static void
bad_amount(const char *relname, int64 id, AmountStatus status)
{
	switch (status)
	{
		case AMOUNT_NEGATIVE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("negative amount in the row with id %lld of relation \"%s\"",
							(long long) id, relname),
					 errdetail("Amounts must be zero or positive.")));
			break;
		case AMOUNT_NAN:
		case AMOUNT_INFINITE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s amount in the row with id %lld of relation \"%s\"",
							status == AMOUNT_NAN ? "NaN" : "infinite",
							(long long) id, relname),
					 errdetail("Amounts must be finite numbers.")));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("amount in the row with id %lld of relation \"%s\" is out of range",
							(long long) id, relname),
					 errdetail("Amounts are computed exactly as 64-bit integers at the largest scale among them, at most %d: about 18 significant digits.",
							   AMOUNT_MAX_SCALE)));
			break;
	}
}

/*
 * Bring the amounts of rows read so far to a larger scale.
 */
static void
rescale_amounts(MatchRows *rows, const char *relname, int from, int to)
{
	for (int64 i = 0; i < rows->n; i++)
	{
		if (!amount_rescale(&rows->amount[i], from, to))
			bad_amount(relname, rows->rows[i].id, AMOUNT_OUT_OF_RANGE);
	}
}

/*
 * The amount of a row with the given id, in units of 10^-(the group's
 * scale).  All amounts of a group share one scale, the largest seen so
 * far: when a value of a larger scale turns up, the amounts read before it,
 * of both tables, are brought to it.  A NULL, negative or non-finite amount
 * is an error.
 */
static int64
read_amount(MatchInput *in, MatchReader *r, MatchGroup *group,
			Datum value, bool isnull, int64 id)
{
	MatchTable *t = r->table;
	int64		amount;
	int			scale;
	AmountStatus status;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("null value in column \"%s\" of relation \"%s\"",
						t->amount_column, t->relname),
				 errdetail("Every %s must have an amount.",
						   t->is_payment ? "payment" : "accrual")));
	status = amount_from_datum(value, t->amount_type, &amount, &scale);
	if (status != AMOUNT_OK)
		bad_amount(t->relname, id, status);
	if (scale > group->amount_scale)
	{
		rescale_amounts(&group->pay, in->pay->table->relname,
						group->amount_scale, scale);
		rescale_amounts(&group->acc, in->acc->table->relname,
						group->amount_scale, scale);
		group->amount_scale = scale;
	}
	else if (!amount_rescale(&amount, scale, group->amount_scale))
		bad_amount(t->relname, id, AMOUNT_OUT_OF_RANGE);
	return amount;
}

/*
 * Append one row, given its columns (values and isnull indexed by query
 * column number - 1), to out.
 *
 * Payments keep NULL-date rows (marked MATCH_NULL_DATE); accruals drop them,
 * since they can never be paid.  Accrual months get numbers; payment months
 * are only looked up.  A NULL id is an error.  When the table's amounts are
 * read, the row's goes to out->amount (see read_amount()), also checked
 * for the accruals that are dropped.
 */
static inline void
reader_add_row(MatchInput *in, MatchReader *r, MatchGroup *group,
			   MatchRows *out, const Datum *values, const bool *isnull)
{
	bool		is_payment = r->table->is_payment;
	MatchRow   *row;

	if (isnull[COL_ID - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("null value in column \"id\" of relation \"%s\"",
						r->table->relname),
				 errdetail("Every %s must have an id.",
						   is_payment ? "payment" : "accrual")));

	rows_reserve(out, r);
	row = &out->rows[out->n];
	row->id = r->id_value(values[COL_ID - 1]);
	row->match = is_payment ? MATCH_NONE : ACCRUAL_UNPAID;

	if (r->amount_col)
		out->amount[out->n] = read_amount(in, r, group,
										  values[r->amount_col - 1],
										  isnull[r->amount_col - 1],
										  row->id);

	if (isnull[COL_DATE - 1])
	{
		if (!is_payment)
			return;				/* an accrual without a date is never paid */
		row->date = 0;
		row->match = MATCH_NULL_DATE;
	}
	else
		row->date = r->date_value(values[COL_DATE - 1]);

	row->month = isnull[COL_MONTH - 1] ? -1 :
		month_map_number(in->months, values[COL_MONTH - 1], !is_payment);
	out->n++;
}

/*
 * Append the rows of one partition key (or NULL key, when key_isnull) to
 * out, from the cursor, stopping at the first row of another key.
 */
void
match_reader_read_group(MatchInput *in, MatchReader *r, bool key_isnull,
						Datum key, MatchGroup *group, MatchRows *out)
{
	Datum		values[COL_KEY + 1];
	bool		isnull[COL_KEY + 1];

	while (reader_fill(r))
	{
		TupleDesc	desc = r->tuptable->tupdesc;
		MemoryContext old = MemoryContextSwitchTo(r->batch_cxt);

		Assert(desc->natts <= lengthof(values));
		for (; r->pos < r->count; r->pos++)
		{
			heap_deform_tuple(r->tuptable->vals[r->pos], desc, values, isnull);
			if (isnull[COL_KEY - 1] != key_isnull ||
				(!key_isnull && compare_keys(in, values[COL_KEY - 1], key) != 0))
				break;
			if (!key_isnull)
				match_input_spell_key(in, values[COL_KEY - 1]);
			reader_add_row(in, r, group, out, values, isnull);
		}
		MemoryContextSwitchTo(old);

		if (r->pos < r->count)
			break;				/* stopped at the next group's first row */
	}
}

/*
 * Receives the rows of a table read whole (no partition_by) straight from
 * the executor's slots, so that no tuple is formed or copied for them.
 */
typedef struct RowReceiver
{
	DestReceiver pub;
	MatchInput *in;
	MatchReader *r;
	MatchGroup *group;
	MatchRows  *out;
	uint64		nrows;
	uint64		nrows_kept;		/* rows in out already given their key */
} RowReceiver;

/* Rows between resets of the memory that month lookups may use. */
#define MATCH_RESET_ROWS	MATCH_BATCH_ROWS

/*
 * Take one row from the executor (see reader_add_row()).
 */
static bool
receiver_receive(TupleTableSlot *slot, DestReceiver *self)
{
	RowReceiver *rr = (RowReceiver *) self;
	MemoryContext old;

	slot_getallattrs(slot);
	old = MemoryContextSwitchTo(rr->r->batch_cxt);
	reader_add_row(rr->in, rr->r, rr->group, rr->out,
				   slot->tts_values, slot->tts_isnull);
	if (rr->r->key_col && rr->out->n > 0 &&
		rr->nrows_kept < (uint64) rr->out->n)
	{
		rr->nrows_kept = rr->out->n;
		match_input_key_row(rr->in, &rr->out->rows[rr->out->n - 1],
							slot->tts_values[rr->r->key_col - 1],
							slot->tts_isnull[rr->r->key_col - 1]);
	}
	MemoryContextSwitchTo(old);
	if (++rr->nrows % MATCH_RESET_ROWS == 0)
		MemoryContextReset(rr->r->batch_cxt);
	return true;
}

/*
 * The receiver needs no setup and holds nothing to release: its startup,
 * shutdown and destroy callbacks do nothing.
 */
static void
receiver_nothing(DestReceiver *self pg_attribute_unused())
{
}

static void
receiver_startup(DestReceiver *self pg_attribute_unused(),
				 int operation pg_attribute_unused(),
				 TupleDesc typeinfo pg_attribute_unused())
{
}

/*
 * Append every row of the table to out, running its query (built by
 * match_reader_open()) with the rows going straight to reader_add_row().
 */
void
match_reader_read_all(MatchInput *in, MatchReader *r, MatchGroup *group,
					  MatchRows *out)
{
	RowReceiver rr;
	SPIExecuteOptions options;
	int			rc;

	memset(&rr, 0, sizeof(rr));
	rr.pub.receiveSlot = receiver_receive;
	rr.pub.rStartup = receiver_startup;
	rr.pub.rShutdown = receiver_nothing;
	rr.pub.rDestroy = receiver_nothing;
	rr.pub.mydest = DestNone;
	rr.in = in;
	rr.r = r;
	rr.group = group;
	rr.out = out;

	rr.nrows_kept = out->n;

	memset(&options, 0, sizeof(options));
	options.read_only = true;
	options.dest = &rr.pub;
	/* SPI reports a SELECT whose rows go to a DestNone receiver as utility */
	if (r->plan)
		rc = SPI_execute_plan_extended(r->plan, &options);
	else
		rc = SPI_execute_extended(r->query, &options);
	if (rc < 0)
		elog(ERROR, "could not read relation \"%s\": %s", r->table->relname,
			 SPI_result_code_string(rc));
	MemoryContextReset(r->batch_cxt);
}

/*
 * Close the cursor and free the last batch.
 */
void
match_reader_close(MatchReader *r)
{
	if (r->tuptable)
		SPI_freetuptable(r->tuptable);
	r->tuptable = NULL;
	if (r->portal)
		SPI_cursor_close(r->portal);
	if (r->plan)
		SPI_freeplan(r->plan);
	r->plan = NULL;
}
