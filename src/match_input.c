/*-------------------------------------------------------------------------
 *
 * match_input.c
 *	  Input side of match_payments(): reads the payment and accrual tables
 *	  through SPI and yields their rows one group at a time as compact
 *	  arrays (see MatchGroup in match.h).
 *
 * Without partition_by there is one group: all rows.  Each table's query
 * then runs once with its rows going straight from the executor's slots
 * into the arrays (a DestReceiver), so that no tuple is formed or copied.
 * With partition_by, both tables are read through cursors ordered by the
 * partition key, a batch at a time, and the two streams are merged key by
 * key, so that only one account's rows are held at a time.
 *
 * The queries use the quoted schema and relation names of the resolved
 * OID (see match_catalog.c) and name no operator or function, so nothing
 * planted in the caller's search_path can change what they do.  They run
 * with the caller's rights, so GRANTs and row-level security apply.
 *
 *-------------------------------------------------------------------------
 */
#include "match.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

/* Rows fetched from a cursor at a time. */
#define MATCH_BATCH_ROWS	10000

/* Column positions in the cursor queries. */
#define COL_ID		1
#define COL_DATE	2
#define COL_MONTH	3
#define COL_KEY		4

/* Turns a column's Datum into the int64 a MatchRow keeps. */
typedef int64 (*MatchValueFn) (Datum value);

/* Streams one table's rows through an SPI cursor, a batch at a time. */
typedef struct MatchReader
{
	MatchTable *table;
	char	   *query;			/* SELECT of the columns read */
	Portal		portal;			/* with partition_by: the open cursor */
	SPITupleTable *tuptable;
	uint64		pos;
	uint64		count;
	bool		done;
	bool		keyed;
	bool		check_ids;		/* no unique index proves ids distinct */
	MatchValueFn id_value;		/* chosen once from the column types */
	MatchValueFn date_value;
	int			amount_col;		/* position of the amount, 0 when not read */
	MemoryContext cxt;			/* where row arrays grow */
	MemoryContext batch_cxt;	/* reset after each batch */
	int64		expected_rows;	/* planner's estimate, for the first array */
} MatchReader;

/* Both tables being read, and the partition key being merged. */
struct MatchInput
{
	MatchReader *pay;
	MatchReader *acc;
	MonthMap   *months;
	bool		keyed;
	bool		done;			/* the single group was returned */
	const char *partition_by;	/* the column, for messages */
	MemoryContext cxt;
	MemoryContext key_cxt;		/* the current key, reset per group */
	bool		have_key;		/* a group was read: key is its key */
	bool		key_isnull;
	Datum		key;
	FmgrInfo	key_cmp;		/* btree comparison of the key type */
	Oid			key_coll;
	Oid			key_out;
	int16		key_typlen;
	bool		key_typbyval;
};

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
static MatchValueFn
value_fn(Oid type)
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
 * amount column, when there is one).  With partition_by, the partition
 * column too, ordering by it, through a cursor opened here; without, the
 * query runs when the rows are read (see reader_read_all()).
 */
static MatchReader *
reader_open(MatchTable *t, const char *partition_by, MemoryContext cxt)
{
	MatchReader *r = MemoryContextAllocZero(cxt, sizeof(MatchReader));
	StringInfoData query;
	HeapTuple	classtup;

	r->table = t;
	r->cxt = cxt;
	r->batch_cxt = AllocSetContextCreate(cxt, "accmatch batch",
										 ALLOCSET_DEFAULT_SIZES);
	r->keyed = (partition_by != NULL);
	r->id_value = value_fn(t->id_type);
	r->date_value = value_fn(t->date_type);

	initStringInfo(&query);
	appendStringInfo(&query, "SELECT id, date, month");
	if (r->keyed)
		appendStringInfo(&query, ", %s", quote_identifier(partition_by));
	if (t->amount_column)
	{
		appendStringInfo(&query, ", %s", quote_identifier(t->amount_column));
		r->amount_col = r->keyed ? COL_KEY + 1 : COL_KEY;
	}
	appendStringInfo(&query, " FROM %s", t->qualname);

	if (r->keyed)
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

	r->query = query.data;
	if (r->keyed)
	{
		r->portal = SPI_cursor_open_with_args(NULL, query.data, 0, NULL, NULL,
											  NULL, true, 0);
		if (r->portal == NULL)
			elog(ERROR, "could not open cursor on \"%s\": %s", t->relname,
				 SPI_result_code_string(SPI_result));
	}
	return r;
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
static bool
reader_peek_key(MatchReader *r, Datum *key, bool *isnull)
{
	if (!reader_fill(r))
		return false;
	*key = SPI_getbinval(r->tuptable->vals[r->pos], r->tuptable->tupdesc,
						 COL_KEY, isnull);
	return true;
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
}

/*
 * Compare two non-NULL partition keys with the type's btree comparison.
 */
static inline int
compare_keys(MatchInput *in, Datum a, Datum b)
{
	return DatumGetInt32(FunctionCall2Coll(&in->key_cmp, in->key_coll, a, b));
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
static void
reader_read_group(MatchInput *in, MatchReader *r, bool key_isnull, Datum key,
				  MatchGroup *group, MatchRows *out)
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
 * reader_open()) with the rows going straight to reader_add_row().
 */
static void
reader_read_all(MatchInput *in, MatchReader *r, MatchGroup *group,
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

	memset(&options, 0, sizeof(options));
	options.read_only = true;
	options.dest = &rr.pub;
	/* SPI reports a SELECT whose rows go to a DestNone receiver as utility */
	rc = SPI_execute_extended(r->query, &options);
	if (rc < 0)
		elog(ERROR, "could not read relation \"%s\": %s", r->table->relname,
			 SPI_result_code_string(rc));
	MemoryContextReset(r->batch_cxt);
}

/*
 * Check that the next row of a table comes after the group just read.
 * Merging two streams by key needs both in the order keys compare in here;
 * a table does not always give that order for ORDER BY: a foreign table's
 * remote server may sort under its own collation.  Rather than silently
 * missing matches, stop.
 */
static void
check_key_order(MatchInput *in, MatchReader *r, Datum next, bool next_isnull)
{
	if (!in->have_key)
		return;
	if (in->key_isnull ||
		(!next_isnull && compare_keys(in, next, in->key) <= 0))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("rows of relation \"%s\" are not ordered by \"%s\"",
						r->table->relname, in->partition_by),
				 errdetail("Key %s came after key %s; keys must come in ascending order, NULL last, as compared here.",
						   next_isnull ? "NULL" :
						   OidOutputFunctionCall(in->key_out, next),
						   in->key_isnull ? "NULL" :
						   OidOutputFunctionCall(in->key_out, in->key)),
				 errhint("A foreign table's server can sort under another collation; match a local copy of its rows instead.")));
}

/*
 * Raise an error when two rows of a group share an id: the id breaks ties
 * between rows of the same date, so the answer would depend on the order
 * rows are stored in.  A unique index that proves ids distinct spares the
 * check (see match_ids_proven_unique()).  Rows with a NULL partition key
 * take no part in matching and are not checked.
 */
static void
check_ids(MatchInput *in, MatchReader *r, const MatchGroup *group,
		  const MatchRows *rows)
{
	int64		dup;

	if (!r->check_ids || group->key_isnull ||
		!match_find_duplicate_id(rows->rows, (int32) rows->n, &dup))
		return;

	if (in->keyed)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("duplicate id %lld in relation \"%s\"",
						(long long) dup, r->table->relname),
				 errdetail("Ids must be unique within each value of \"%s\"; this one is repeated where it is %s.",
						   in->partition_by, group->key)));
	ereport(ERROR,
			(errcode(ERRCODE_UNIQUE_VIOLATION),
			 errmsg("duplicate id %lld in relation \"%s\"",
					(long long) dup, r->table->relname),
			 errdetail("Ids must be unique: they tell apart rows of the same date.")));
}

/*
 * Close the cursor and free the last batch.
 */
static void
reader_close(MatchReader *r)
{
	if (r->tuptable)
		SPI_freetuptable(r->tuptable);
	r->tuptable = NULL;
	if (r->portal)
		SPI_cursor_close(r->portal);
}

/*
 * Connect to SPI and open cursors on both tables, resolved and checked by
 * match_resolve_table() and match_check_same_types().  Everything lives in
 * cxt, which the caller deletes after match_input_close().
 */
MatchInput *
match_input_open(MatchTable *pay, MatchTable *acc, const char *partition_by,
				 MemoryContext cxt)
{
	MatchInput *in = MemoryContextAllocZero(cxt, sizeof(MatchInput));
	MemoryContext old = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(cxt);

	in->cxt = cxt;
	in->keyed = (partition_by != NULL);
	in->partition_by = partition_by;
	in->months = month_map_create(cxt, pay->month_type, pay->month_coll);
	in->acc = reader_open(acc, partition_by, cxt);
	in->pay = reader_open(pay, partition_by, cxt);

	if (in->keyed)
	{
		TypeCacheEntry *tc = lookup_type_cache(pay->key_type,
											   TYPECACHE_CMP_PROC_FINFO);
		bool		isvarlena;

		in->key_cxt = AllocSetContextCreate(cxt, "accmatch key",
											ALLOCSET_SMALL_SIZES);
		fmgr_info_cxt(tc->cmp_proc_finfo.fn_oid, &in->key_cmp, cxt);
		in->key_coll = type_is_collatable(pay->key_type) ?
			pay->key_coll : InvalidOid;
		getTypeOutputInfo(pay->key_type, &in->key_out, &isvarlena);
		get_typlenbyval(pay->key_type, &in->key_typlen, &in->key_typbyval);
	}
	in->pay->check_ids = !match_ids_proven_unique(pay, in->key_coll);
	in->acc->check_ids = !match_ids_proven_unique(acc, in->key_coll);

	MemoryContextSwitchTo(old);
	return in;
}

/*
 * Yield the next group of rows into group (whose arrays are reused from
 * call to call); false when both tables are exhausted.
 *
 * With partition_by, the group is the smallest key either table has left,
 * NULL keys last: its accruals are read first, so that their months are
 * numbered when the payments look theirs up.  Months are numbered afresh
 * for each key, so that memory holds one account's months at a time.
 *
 * Ids are checked to be unique within the group, and with partition_by
 * each table's keys to come in order.
 */
bool
match_input_next(MatchInput *in, MatchGroup *group)
{
	MemoryContext old;
	Datum		pkey = (Datum) 0,
				akey = (Datum) 0,
				key;
	bool		pnull = false,
				anull = false;
	bool		have_pay,
				have_acc;

	group->pay.n = 0;
	group->acc.n = 0;
	group->amount_scale = 0;
	group->key = NULL;
	group->key_isnull = false;

	if (!in->keyed)
	{
		if (in->done)
			return false;
		in->done = true;
		old = MemoryContextSwitchTo(in->cxt);
		reader_read_all(in, in->acc, group, &group->acc);
		reader_read_all(in, in->pay, group, &group->pay);
		check_ids(in, in->acc, group, &group->acc);
		check_ids(in, in->pay, group, &group->pay);
		MemoryContextSwitchTo(old);
		group->nmonths = month_map_count(in->months);
		return true;
	}

	have_pay = reader_peek_key(in->pay, &pkey, &pnull);
	have_acc = reader_peek_key(in->acc, &akey, &anull);
	if (!have_pay && !have_acc)
		return false;
	if (have_pay)
		check_key_order(in, in->pay, pkey, pnull);
	if (have_acc)
		check_key_order(in, in->acc, akey, anull);

	/* the smallest key of the two, NULL sorting last */
	if (!have_acc ||
		(have_pay && !pnull &&
		 (anull || compare_keys(in, pkey, akey) <= 0)))
	{
		key = pkey;
		group->key_isnull = pnull;
	}
	else
	{
		key = akey;
		group->key_isnull = anull;
	}

	MemoryContextReset(in->key_cxt);
	old = MemoryContextSwitchTo(in->key_cxt);
	if (!group->key_isnull)
	{
		key = datumCopy(key, in->key_typbyval, in->key_typlen);
		group->key = OidOutputFunctionCall(in->key_out, key);
	}

	in->have_key = true;
	in->key_isnull = group->key_isnull;
	in->key = key;

	MemoryContextSwitchTo(in->cxt);
	month_map_reset(in->months);
	reader_read_group(in, in->acc, group->key_isnull, key, group, &group->acc);
	reader_read_group(in, in->pay, group->key_isnull, key, group, &group->pay);
	check_ids(in, in->acc, group, &group->acc);
	check_ids(in, in->pay, group, &group->pay);
	MemoryContextSwitchTo(old);

	group->nmonths = month_map_count(in->months);
	return true;
}

/*
 * Close both cursors and disconnect from SPI.
 */
void
match_input_close(MatchInput *in)
{
	reader_close(in->pay);
	reader_close(in->acc);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
}
