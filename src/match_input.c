/*-------------------------------------------------------------------------
 *
 * match_input.c
 *	  Input side of match_payments(): resolving and checking the payment and
 *	  accrual tables, numbering month values, and streaming rows through
 *	  SPI cursors into compact arrays.
 *
 * Table names arrive as text and are resolved as relations (search_path
 * applies, schema-qualified names work), never pasted into SQL: queries use
 * the quoted schema and relation names of the resolved OID.  The queries
 * name no operator or function, so nothing planted in the caller's
 * search_path can change what they do.  They run with the caller's rights,
 * so GRANTs and row-level security apply.
 *
 *-------------------------------------------------------------------------
 */
#include "accmatch.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "lib/rbtree.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/varlena.h"

/* Rows fetched from a cursor at a time. */
#define MATCH_BATCH_ROWS	10000

/* Column positions in the cursor queries. */
#define COL_ID		1
#define COL_DATE	2
#define COL_MONTH	3
#define COL_KEY		4

/*
 * Month numbering.  Each distinct month value of the accruals gets a dense
 * number, so that the matcher compares months as integers.  Values are
 * hashed and compared with the type's own hash function and equality
 * operator (from its default opclasses), except for integer-like types
 * whose equality is equality of the Datum, which are hashed directly.  A
 * type with a btree but no hash operator class (money, bit, tsvector ...)
 * is kept in a search tree ordered by its btree comparison instead.
 */
typedef struct MonthEntry
{
	Datum		value;
	uint32		hash;
	int32		id;
	char		status;
} MonthEntry;

struct MonthMap
{
	struct monthhash_hash *table;
	bool		bitwise;		/* equal months have equal Datums */
	bool		byval;
	int16		typlen;
	Oid			collation;
	FmgrInfo	hash_fn;
	FmgrInfo	eq_fn;
	RBTree	   *tree;			/* instead of table, for types without hash */
	FmgrInfo	cmp_fn;
	MemoryContext cxt;
	int32		count;
};

/* A month in the search tree. */
typedef struct MonthNode
{
	RBTNode		rbt;
	Datum		value;
	int32		id;
} MonthNode;

static inline uint32
month_hash(MonthMap *map, Datum value)
{
	if (map->bitwise)
	{
		uint64		v = (uint64) value;

		return murmurhash32((uint32) (v ^ (v >> 32)));
	}
	return DatumGetUInt32(FunctionCall1Coll(&map->hash_fn, map->collation,
											value));
}

static inline bool
month_equal(MonthMap *map, Datum a, Datum b)
{
	if (map->bitwise)
		return a == b;
	return DatumGetBool(FunctionCall2Coll(&map->eq_fn, map->collation, a, b));
}

#define SH_PREFIX monthhash
#define SH_ELEMENT_TYPE MonthEntry
#define SH_KEY_TYPE Datum
#define SH_KEY value
#define SH_HASH_KEY(tb, key) month_hash((MonthMap *) (tb)->private_data, key)
#define SH_EQUAL(tb, a, b) month_equal((MonthMap *) (tb)->private_data, a, b)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

struct MatchReader
{
	MatchTable *table;
	Portal		portal;
	SPITupleTable *tuptable;
	uint64		pos;
	uint64		count;
	bool		done;
	bool		keyed;
	FmgrInfo	key_cmp;
	Oid			key_coll;
	Oid			key_out;
	MemoryContext cxt;			/* where row arrays grow */
	MemoryContext batch_cxt;	/* reset after each batch */
	int64		expected_rows;	/* planner's estimate, for the first array */
};

/*
 * Report an input column whose type is not one accmatch can use.
 */
static void
wrong_column_type(MatchTable *t, const char *column, Oid found,
				  const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column \"%s\" of relation \"%s\" has type %s",
					column, t->relname, format_type_be(found)),
			 errdetail("The %s table's \"%s\" column must be %s.",
					   t->is_payment ? "payment" : "accrual", column,
					   expected)));
}

/*
 * Look up a user column of the table; report it missing otherwise.
 * Returns its base type (domains are looked through) and its collation.
 */
static Oid
column_type(MatchTable *t, const char *column, bool is_key, Oid *collation)
{
	AttrNumber	attnum = get_attnum(t->relid, column);
	Oid			typid;
	int32		typmod;
	Oid			collid;

	if (attnum <= 0)
	{
		if (is_key)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" does not exist",
							column, t->relname),
					 errdetail("The partition_by column must exist in both tables.")));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						column, t->relname),
				 errdetail("The %s table must have columns \"id\", \"date\" and \"month\".",
						   t->is_payment ? "payment" : "accrual")));
	}

	get_atttypetypmodcoll(t->relid, attnum, &typid, &typmod, &collid);
	if (collation)
		*collation = OidIsValid(collid) ? collid : DEFAULT_COLLATION_OID;
	return getBaseType(typid);
}

/*
 * Check that a month or partition column's type has what matching needs: a
 * default btree operator class, for equality and order.
 */
static void
check_comparable(MatchTable *t, const char *column, Oid type)
{
	TypeCacheEntry *tc = lookup_type_cache(type,
										   TYPECACHE_EQ_OPR |
										   TYPECACHE_BTREE_OPFAMILY |
										   TYPECACHE_CMP_PROC);

	if (!OidIsValid(tc->btree_opf) || !OidIsValid(tc->eq_opr) ||
		!OidIsValid(tc->cmp_proc))
		wrong_column_type(t, column, type,
						  "a type with a default btree operator class");
}

/*
 * Resolve one input table by name and check its columns.
 */
void
match_resolve_table(MatchTable *t, const char *role, text *name,
					const char *partition_by)
{
	List	   *names = textToQualifiedNameList(name);
	RangeVar   *rv = makeRangeVarFromNameList(names);
	char		relkind;
	Oid			type;

	memset(t, 0, sizeof(MatchTable));
	t->role = role;
	t->is_payment = (strcmp(role, "payments") == 0);
	t->relid = RangeVarGetRelid(rv, AccessShareLock, true);
	if (!OidIsValid(t->relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist",
						NameListToString(names)),
				 errdetail("The %s argument names the %s table.", role,
						   t->is_payment ? "payment" : "accrual")));

	relkind = get_rel_relkind(t->relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_VIEW &&
		relkind != RELKIND_MATVIEW && relkind != RELKIND_FOREIGN_TABLE &&
		relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table or view",
						NameListToString(names))));

	t->relname = get_rel_name(t->relid);
	t->qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(t->relid)),
											 t->relname);

	type = column_type(t, "id", false, NULL);
	if (type != INT2OID && type != INT4OID && type != INT8OID)
		wrong_column_type(t, "id", type, "smallint, integer or bigint");

	t->date_type = column_type(t, "date", false, NULL);
	if (t->date_type != DATEOID && t->date_type != TIMESTAMPOID &&
		t->date_type != TIMESTAMPTZOID)
		wrong_column_type(t, "date", t->date_type,
						  "date, timestamp or timestamp with time zone");

	t->month_type = column_type(t, "month", false, &t->month_coll);
	check_comparable(t, "month", t->month_type);

	if (partition_by)
	{
		t->key_type = column_type(t, partition_by, true, &t->key_coll);
		check_comparable(t, partition_by, t->key_type);
	}
}

/*
 * Report a column whose type differs between the two tables.
 */
static void
check_same_type(MatchTable *pay, MatchTable *acc, const char *column,
				Oid pay_type, Oid acc_type)
{
	if (pay_type != acc_type)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" has type %s in relation \"%s\" but %s in relation \"%s\"",
						column, format_type_be(pay_type), pay->relname,
						format_type_be(acc_type), acc->relname),
				 errdetail("Payments and accruals must use the same type for \"%s\".",
						   column)));
}

/*
 * The two tables must agree on the types of date, month and the partition
 * column, since their values are compared with each other.
 */
void
match_check_same_types(MatchTable *pay, MatchTable *acc,
					   const char *partition_by)
{
	check_same_type(pay, acc, "date", pay->date_type, acc->date_type);
	check_same_type(pay, acc, "month", pay->month_type, acc->month_type);
	if (partition_by)
	{
		check_same_type(pay, acc, partition_by, pay->key_type, acc->key_type);
		acc->key_coll = pay->key_coll;
	}
}

/* Search tree callbacks: order by the type's btree comparison. */
static int
month_node_compare(const RBTNode *a, const RBTNode *b, void *arg)
{
	MonthMap   *map = (MonthMap *) arg;

	return DatumGetInt32(FunctionCall2Coll(&map->cmp_fn, map->collation,
										   ((const MonthNode *) a)->value,
										   ((const MonthNode *) b)->value));
}

static void
month_node_keep(RBTNode *existing, const RBTNode *newdata, void *arg)
{
	/* an equal month is already numbered: keep it */
	(void) existing;
	(void) newdata;
	(void) arg;
}

static RBTNode *
month_node_alloc(void *arg)
{
	return MemoryContextAlloc(((MonthMap *) arg)->cxt, sizeof(MonthNode));
}

/*
 * Create an empty month numbering for values of the given type, compared
 * under the given collation.
 */
MonthMap *
month_map_create(MemoryContext cxt, Oid type, Oid collation)
{
	MonthMap   *map = MemoryContextAllocZero(cxt, sizeof(MonthMap));
	TypeCacheEntry *tc = lookup_type_cache(type,
										   TYPECACHE_EQ_OPR_FINFO |
										   TYPECACHE_HASH_PROC_FINFO |
										   TYPECACHE_CMP_PROC_FINFO);

	map->cxt = cxt;
	map->byval = tc->typbyval;
	map->typlen = tc->typlen;
	map->collation = collation;
	map->bitwise = (type == INT2OID || type == INT4OID || type == INT8OID ||
					type == DATEOID || type == BOOLOID || type == OIDOID);

	if (OidIsValid(tc->hash_proc_finfo.fn_oid))
	{
		fmgr_info_cxt(tc->hash_proc_finfo.fn_oid, &map->hash_fn, cxt);
		fmgr_info_cxt(tc->eq_opr_finfo.fn_oid, &map->eq_fn, cxt);
		map->table = monthhash_create(cxt, 64, map);
	}
	else
	{
		fmgr_info_cxt(tc->cmp_proc_finfo.fn_oid, &map->cmp_fn, cxt);
		map->tree = rbt_create(sizeof(MonthNode), month_node_compare,
							   month_node_keep, month_node_alloc, NULL, map);
	}
	return map;
}

/*
 * How many distinct accrual months have been numbered so far.
 */
int32
month_map_count(MonthMap *map)
{
	return map->count;
}

/*
 * Our own copy of a month value: the tuple holding it goes away.
 */
static Datum
month_copy(MonthMap *map, Datum value)
{
	MemoryContext old;
	Datum		copy;

	if (map->byval)
		return value;
	old = MemoryContextSwitchTo(map->cxt);
	if (map->typlen == -1)
		copy = PointerGetDatum(PG_DETOAST_DATUM_COPY(value));
	else
		copy = datumCopy(value, false, map->typlen);
	MemoryContextSwitchTo(old);
	return copy;
}

/*
 * month_number() for types kept in the search tree.
 */
static int32
month_number_ordered(MonthMap *map, Datum value, bool add)
{
	MonthNode	probe;
	MonthNode  *node;
	bool		isnew;

	probe.value = value;
	probe.id = map->count;
	if (!add)
	{
		node = (MonthNode *) rbt_find(map->tree, &probe.rbt);
		return node ? node->id : -1;
	}

	node = (MonthNode *) rbt_insert(map->tree, &probe.rbt, &isnew);
	if (isnew)
	{
		node->value = month_copy(map, value);
		map->count++;
	}
	return node->id;
}

/*
 * Number of a month value.  With add, a value not seen before gets the next
 * number; without, it gets -1 (a payment month that no accrual has).
 */
static int32
month_number(MonthMap *map, Datum value, bool add)
{
	MonthEntry *entry;
	bool		found;

	if (map->tree)
		return month_number_ordered(map, value, add);

	if (!add)
	{
		entry = monthhash_lookup(map->table, value);
		return entry ? entry->id : -1;
	}

	entry = monthhash_insert(map->table, value, &found);
	if (!found)
	{
		entry->value = month_copy(map, value);
		entry->id = map->count++;
	}
	return entry->id;
}

/*
 * Open a cursor over the id, date and month columns of the table (and the
 * partition column, ordering by it, when partition_by is given).
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
	r->keyed = (partition_by != NULL);

	initStringInfo(&query);
	appendStringInfo(&query, "SELECT id, date, month");
	if (r->keyed)
		appendStringInfo(&query, ", %s", quote_identifier(partition_by));
	appendStringInfo(&query, " FROM %s", t->qualname);

	if (r->keyed)
	{
		TypeCacheEntry *tc = lookup_type_cache(t->key_type,
											   TYPECACHE_CMP_PROC_FINFO);
		bool		isvarlena;

		appendStringInfo(&query, " ORDER BY %s", quote_identifier(partition_by));
		/*
		 * Sort both tables under one collation, the payment column's, and
		 * compare keys under it too, so that the two streams agree.
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
			r->key_coll = t->key_coll;
		}
		appendStringInfo(&query, ", date, id");
		fmgr_info_cxt(tc->cmp_proc_finfo.fn_oid, &r->key_cmp, cxt);
		getTypeOutputInfo(t->key_type, &r->key_out, &isvarlena);
	}

	classtup = SearchSysCache1(RELOID, ObjectIdGetDatum(t->relid));
	if (HeapTupleIsValid(classtup))
	{
		float4		reltuples = ((Form_pg_class) GETSTRUCT(classtup))->reltuples;

		if (reltuples > 0 && reltuples < 1e9)
			r->expected_rows = (int64) (reltuples * 1.05) + 16;
		ReleaseSysCache(classtup);
	}

	r->portal = SPI_cursor_open_with_args(NULL, query.data, 0, NULL, NULL,
										  NULL, true, 0);
	if (r->portal == NULL)
		elog(ERROR, "could not open cursor on \"%s\": %s", t->relname,
			 SPI_result_code_string(SPI_result));
	pfree(query.data);
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
bool
match_reader_peek_key(MatchReader *r, Datum *key, bool *isnull)
{
	if (!reader_fill(r))
		return false;
	*key = SPI_getbinval(r->tuptable->vals[r->pos], r->tuptable->tupdesc,
						 COL_KEY, isnull);
	return true;
}

/*
 * Compare two non-NULL partition keys with the type's btree comparison.
 */
int
match_reader_compare_keys(MatchReader *r, Datum a, Datum b)
{
	return DatumGetInt32(FunctionCall2Coll(&r->key_cmp, r->key_coll, a, b));
}

/*
 * Text form of a partition key, for the result.
 */
char *
match_reader_key_string(MatchReader *r, Datum key)
{
	return OidOutputFunctionCall(r->key_out, key);
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
	out->cap = cap;
}

/*
 * Convert an id value of any of the accepted integer types.
 */
static inline int64
id_value(Datum d, TupleDesc desc)
{
	switch (TupleDescAttr(desc, COL_ID - 1)->atttypid)
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		default:
			return DatumGetInt64(d);
	}
}

/*
 * Append the rows of one group to out: every remaining row when not keyed,
 * otherwise the rows whose partition key equals key (or is NULL, when
 * key_isnull).
 *
 * Payments keep NULL-date rows (marked MATCH_NULL_DATE); accruals drop them,
 * since they can never be paid.  Accrual months get numbers; payment months
 * are only looked up.  A NULL id is an error.
 */
void
match_reader_read_group(MatchReader *r, bool key_isnull, Datum key,
						MonthMap *months, MatchRows *out)
{
	bool		is_payment = r->table->is_payment;
	bool		is_date = (r->table->date_type == DATEOID);

	while (reader_fill(r))
	{
		TupleDesc	desc = r->tuptable->tupdesc;
		MemoryContext old = MemoryContextSwitchTo(r->batch_cxt);

		for (; r->pos < r->count; r->pos++)
		{
			HeapTuple	tuple = r->tuptable->vals[r->pos];
			MatchRow   *row;
			Datum		d;
			bool		isnull;

			if (r->keyed)
			{
				d = SPI_getbinval(tuple, desc, COL_KEY, &isnull);
				if (isnull != key_isnull ||
					(!isnull && match_reader_compare_keys(r, d, key) != 0))
					break;
			}

			d = SPI_getbinval(tuple, desc, COL_ID, &isnull);
			if (isnull)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("null value in column \"id\" of relation \"%s\"",
								r->table->relname),
						 errdetail("Every %s must have an id.",
								   is_payment ? "payment" : "accrual")));

			rows_reserve(out, r);
			row = &out->rows[out->n];
			row->id = id_value(d, desc);
			row->match = is_payment ? MATCH_NONE : ACCRUAL_UNPAID;

			d = SPI_getbinval(tuple, desc, COL_DATE, &isnull);
			if (isnull)
			{
				if (!is_payment)
					continue;	/* an accrual without a date is never paid */
				row->date = 0;
				row->match = MATCH_NULL_DATE;
			}
			else
				row->date = is_date ? (int64) DatumGetDateADT(d) : DatumGetInt64(d);

			d = SPI_getbinval(tuple, desc, COL_MONTH, &isnull);
			row->month = isnull ? -1 : month_number(months, d, !is_payment);
			out->n++;
		}
		MemoryContextSwitchTo(old);

		if (r->pos < r->count)
			break;				/* stopped at the next group's first row */
	}
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
	SPI_cursor_close(r->portal);
}
