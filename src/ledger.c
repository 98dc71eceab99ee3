/*-------------------------------------------------------------------------
 *
 * ledger.c
 *	  Reading the ledger of allocation_corrections(): a table with the
 *	  columns of allocate_payments()'s result (payment_id, accrual_id,
 *	  amount, matched_by, partition_key), read whole through SPI and
 *	  indexed by partition key and payment, so that each payment of the
 *	  run finds its ledger rows by binary search.
 *
 * Ids of the integer types are kept as values, others as copies (see
 * match_ids.c) compared with the run's in the id type's order.  Amounts,
 * of either sign (reversals are negative), are exact integers at the
 * largest scale among them.  Partition keys and other matched_by texts are
 * numbered; keys in their byte order, so that the rows the run does not
 * meet come out in an order that does not depend on the ledger's.
 *
 * In REPEATABLE READ and SERIALIZABLE the ledger is read with the latest
 * snapshot, not the transaction's, so that a row another transaction
 * appended and committed after this transaction's snapshot is seen: its
 * xmin, not visible to the transaction's snapshot, raises a serialization
 * failure (40001) rather than corrections computed twice.
 *
 *-------------------------------------------------------------------------
 */
#include "ledger.h"
#include "compat.h"

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"

/* Columns of the ledger, in the order they are read. */
#define LEDGER_COLS		5
static const char *const ledger_columns[LEDGER_COLS] = {
	"payment_id", "accrual_id", "amount", "matched_by", "partition_key"
};

/* A partition key's text and its number, for numbering keys as read. */
typedef struct KeyEntry
{
	const char *text;
	uint32		hash;
	int32		number;
	char		status;
} KeyEntry;

#define SH_PREFIX keytexts
#define SH_ELEMENT_TYPE KeyEntry
#define SH_KEY_TYPE const char *
#define SH_KEY text
#define SH_HASH_KEY(tb, key) hash_bytes((const unsigned char *) (key), strlen(key))
#define SH_EQUAL(tb, a, b) (strcmp(a, b) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* Items are numbered by int32; capacities double from 1024 up to this */
#define LEDGER_MAX_ROWS		(1 << 30)

/* The state of reading the ledger's rows. */
typedef struct LedgerReader
{
	DestReceiver pub;
	Ledger	   *ledger;
	Oid			amount_type;
	keytexts_hash *keys;
	int32		last_key;		/* the number of the last key read */
	MemoryContext cxt;			/* the ledger's */
	Snapshot	check;			/* rows' xmin must be visible to it, or NULL */
	MemoryContext row_cxt;		/* reset every so many rows */
	uint64		nrows;
} LedgerReader;

/*
 * Report a ledger column that is missing or of a type that cannot be.
 */
pg_noreturn static void
bad_column(const char *relname, const char *column, Oid type,
		   const char *expected)
{
	if (!OidIsValid(type))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						column, relname),
				 errdetail("A ledger has the columns of allocate_payments()'s result: payment_id, accrual_id, amount, matched_by and partition_key.")));
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column \"%s\" of relation \"%s\" has type %s",
					column, relname, format_type_be(type)),
			 errdetail("The ledger's \"%s\" column must be %s.", column,
					   expected)));
}

/*
 * Check the ledger's columns: ids of the tables' id types (any integer
 * type for bigint results), amounts of an amount type, texts.  Sets their
 * base types, in the order of ledger_columns.
 */
static void
check_columns(Ledger *ledger, Oid relid, MatchTable *pay, MatchTable *acc,
			  Oid result_type, Oid *types)
{
	for (int c = 0; c < LEDGER_COLS; c++)
	{
		AttrNumber	attnum = get_attnum(relid, ledger_columns[c]);
		Oid			type = InvalidOid;
		int32		typmod = -1;

		if (attnum > 0)
		{
			Oid			collation;

			get_atttypetypmodcoll(relid, attnum, &type, &typmod, &collation);
			type = getBaseTypeAndTypmod(type, &typmod);
		}
		types[c] = type;
		switch (c)
		{
			case 0:
			case 1:
				{
					Oid			id_type = (c == 0 ? pay : acc)->id_type;

					if (result_type == INT8OID ? !match_is_integer_type(type) :
						type != id_type)
						bad_column(ledger->relname, ledger_columns[c], type,
								   result_type == INT8OID ?
								   "smallint, integer or bigint" :
								   format_type_be(id_type));
				}
				break;
			case 2:
				if (type != INT2OID && type != INT4OID && type != INT8OID &&
					type != NUMERICOID)
					bad_column(ledger->relname, ledger_columns[c], type,
							   "smallint, integer, bigint or numeric");
				/* numeric(p, s) keeps s decimal places: typmod - 4, low 16 bits */
				ledger->column_scale = type != NUMERICOID ? 0 :
					typmod < (int32) VARHDRSZ ? -1 :
					(int) ((typmod - VARHDRSZ) & 0xffff);
				break;
			default:
				if (type != TEXTOID && type != VARCHAROID)
					bad_column(ledger->relname, ledger_columns[c], type,
							   "text or varchar");
				break;
		}
	}
}

/*
 * Raise the error for a ledger value that cannot be taken.
 */
pg_noreturn static void
bad_value(const char *relname, const char *column, bool isnull)
{
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("null value in column \"%s\" of relation \"%s\"",
						column, relname),
				 errdetail("Every ledger row has a payment and an amount.")));
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("amount in relation \"%s\" is out of range", relname),
			 errdetail("Amounts are computed exactly as 64-bit integers at the largest scale among them, at most %d: about 18 significant digits.",
					   AMOUNT_MAX_SCALE)));
}

/*
 * The number of a partition key text read (1 upwards in order of first
 * appearance, until renumbered).  Rows of one key usually follow one
 * another: the last key is tried first.
 */
static int32
read_key(LedgerReader *r, Datum value)
{
	Ledger	   *ledger = r->ledger;
	text	   *t = DatumGetTextPP(value);
	int			len = VARSIZE_ANY_EXHDR(t);
	char	   *str;
	KeyEntry   *entry;
	bool		found;

	if (r->last_key > 0)
	{
		const char *last = ledger->keys[r->last_key - 1];

		if ((int) strlen(last) == len && memcmp(last, VARDATA_ANY(t), len) == 0)
			return r->last_key;
	}
	str = text_to_cstring(t);
	entry = keytexts_insert(r->keys, str, &found);
	if (!found)
	{
		if (ledger->nkeys % 64 == 0)
			ledger->keys = ledger->keys == NULL ?
				MemoryContextAlloc(r->cxt, 64 * sizeof(char *)) :
				repalloc_huge(ledger->keys, (ledger->nkeys + 64) * sizeof(char *));
		entry->text = MemoryContextStrdup(r->cxt, str);
		entry->number = ++ledger->nkeys;
		ledger->keys[entry->number - 1] = (char *) entry->text;
	}
	r->last_key = entry->number;
	return entry->number;
}

/*
 * Whether a text value is the given string.
 */
static inline bool
text_is(text *t, const char *s)
{
	int			len = strlen(s);

	return (int) VARSIZE_ANY_EXHDR(t) == len &&
		memcmp(VARDATA_ANY(t), s, len) == 0;
}

/*
 * The kind of a matched_by text.
 */
static int32
read_kind(LedgerReader *r, Datum value, bool isnull)
{
	Ledger	   *ledger = r->ledger;
	text	   *t;
	char	   *str;

	if (isnull)
		return RESULT_NO_ACCRUAL;
	t = DatumGetTextPP(value);
	if (text_is(t, "month"))
		return RESULT_BY_MONTH;
	if (text_is(t, "oldest"))
		return RESULT_BY_OLDEST;
	str = text_to_cstring(t);
	for (int32 i = 0; i < ledger->nkinds; i++)
		if (strcmp(ledger->kinds[i], str) == 0)
			return LEDGER_OTHER + i;
	ledger->kinds = ledger->kinds == NULL ?
		MemoryContextAlloc(r->cxt, sizeof(char *)) :
		repalloc(ledger->kinds, (ledger->nkinds + 1) * sizeof(char *));
	ledger->kinds[ledger->nkinds] = MemoryContextStrdup(r->cxt, str);
	return LEDGER_OTHER + ledger->nkinds++;
}

/*
 * An amount at the ledger's scale, the largest so far: the amounts read
 * before are brought to a larger one when it turns up.
 */
static int64
read_amount(LedgerReader *r, Datum value, bool isnull)
{
	Ledger	   *ledger = r->ledger;
	int64		amount;
	int			scale;
	AmountStatus status;

	if (isnull)
		bad_value(ledger->relname, "amount", true);
	status = amount_from_datum(value, r->amount_type, true, &amount, &scale);
	if (status == AMOUNT_NAN || status == AMOUNT_INFINITE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s amount in relation \"%s\"",
						status == AMOUNT_NAN ? "NaN" : "infinite",
						ledger->relname),
				 errdetail("Amounts must be finite numbers.")));
	if (status != AMOUNT_OK)
		bad_value(ledger->relname, "amount", false);
	if (scale > ledger->scale)
	{
		for (int64 i = 0; i < ledger->n; i++)
			if (!amount_rescale(&ledger->entries[i].amount, ledger->scale,
								scale))
				bad_value(ledger->relname, "amount", false);
		ledger->scale = scale;
	}
	else if (!amount_rescale(&amount, scale, ledger->scale))
		bad_value(ledger->relname, "amount", false);
	return amount;
}

/*
 * Take one ledger row from the executor.
 */
static bool
ledger_receive(TupleTableSlot *slot, DestReceiver *self)
{
	LedgerReader *r = (LedgerReader *) self;
	Ledger	   *ledger = r->ledger;
	Datum	   *v;
	bool	   *isnull;
	MemoryContext old;
	LedgerEntry *e;
	MatchRow   *item;

	slot_getallattrs(slot);
	v = slot->tts_values;
	isnull = slot->tts_isnull;
	old = MemoryContextSwitchTo(r->row_cxt);
	if (r->check && !isnull[LEDGER_COLS])
	{
		TransactionId xmin = DatumGetTransactionId(v[LEDGER_COLS]);

		if (TransactionIdIsNormal(xmin) &&
			!TransactionIdIsCurrentTransactionId(xmin) &&
			XidInMVCCSnapshot(xmin, r->check))
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not serialize access: relation \"%s\" has rows this transaction's snapshot does not see",
							ledger->relname),
					 errdetail("Another transaction appended to the ledger after this transaction's snapshot was taken."),
					 errhint("Retry the transaction; or take LOCK TABLE ... IN SHARE UPDATE EXCLUSIVE MODE on the ledger as its first statement.")));
	}
	if (isnull[0])
		bad_value(ledger->relname, "payment_id", true);

	if (ledger->n == ledger->cap && ledger->n >= LEDGER_MAX_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("relation \"%s\" has too many rows for allocation_corrections()",
						ledger->relname),
				 errdetail("A ledger is read whole, up to %d rows.",
						   LEDGER_MAX_ROWS)));
	if (ledger->n == ledger->cap)
	{
		int64		cap = Max(1024, ledger->cap * 2);

		ledger->items = ledger->items == NULL ?
			MemoryContextAllocHuge(r->cxt, cap * sizeof(MatchRow)) :
			repalloc_huge(ledger->items, cap * sizeof(MatchRow));
		ledger->entries = ledger->entries == NULL ?
			MemoryContextAllocHuge(r->cxt, cap * sizeof(LedgerEntry)) :
			repalloc_huge(ledger->entries, cap * sizeof(LedgerEntry));
		ledger->cap = cap;
	}
	e = &ledger->entries[ledger->n];
	item = &ledger->items[ledger->n];
	e->amount = read_amount(r, v[2], isnull[2]);
	e->acc_null = isnull[1];
	e->acc = isnull[1] ? 0 : match_ids_add(ledger->acc_ids, v[1]);
	e->used = false;
	item->id = match_ids_add(ledger->pay_ids, v[0]);
	e->kind = read_kind(r, v[3], isnull[3]);
	item->date = isnull[4] ? PG_INT32_MAX : read_key(r, v[4]);
	item->month = 0;
	item->match = (int32) ledger->n;
	ledger->n++;
	MemoryContextSwitchTo(old);
	if ((++r->nrows & 0x3fff) == 0)
	{
		MemoryContextReset(r->row_cxt);
		CHECK_FOR_INTERRUPTS();
	}
	return true;
}

static void
ledger_nothing(DestReceiver *self pg_attribute_unused())
{
}

static void
ledger_startup(DestReceiver *self pg_attribute_unused(),
			   int operation pg_attribute_unused(),
			   TupleDesc typeinfo pg_attribute_unused())
{
}

/* A key's text and the number it was read with, to number keys in order. */
typedef struct KeyOrder
{
	char	   *text;
	int32		number;
} KeyOrder;

/* Comparator of key texts, for qsort: byte order, shorter first. */
static int
compare_key_texts(const void *a, const void *b)
{
	return strcmp(((const KeyOrder *) a)->text, ((const KeyOrder *) b)->text);
}

/*
 * Compare two items: by key, then by payment id in the payments' id order.
 */
static inline int
compare_items(const MatchRow *a, const MatchRow *b, Ledger *ledger)
{
	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	return ApplySortComparator(match_ids_datum(ledger->pay_ids, a->id), false,
							   match_ids_datum(ledger->pay_ids, b->id), false,
							   &ledger->pay_order);
}

#define ST_SORT sort_items
#define ST_ELEMENT_TYPE MatchRow
#define ST_COMPARE_ARG_TYPE Ledger
#define ST_COMPARE(a, b, ledger) compare_items(a, b, ledger)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Prepare the comparison of ids of type (of collation coll).
 */
static void
prepare_order(SortSupport ssup, Oid type, Oid coll, MemoryContext cxt)
{
	TypeCacheEntry *tc = lookup_type_cache(type, TYPECACHE_LT_OPR);

	memset(ssup, 0, sizeof(SortSupportData));
	ssup->ssup_cxt = cxt;
	ssup->ssup_collation = coll;
	PrepareSortSupportFromOrderingOp(tc->lt_opr, ssup);
}

/*
 * Read the ledger relid (locked by the caller), whose ids are those of
 * the tables pay and acc returned as result_type, into memory in cxt,
 * indexed (see Ledger).  SPI is connected.
 */
Ledger *
ledger_read(Oid relid, MatchTable *pay, MatchTable *acc, Oid result_type,
			MemoryContext cxt)
{
	Ledger	   *ledger = MemoryContextAllocZero(cxt, sizeof(Ledger));
	LedgerReader r;
	SPIExecuteOptions options;
	char	   *query;
	char	   *qualname;
	int32	   *renumber;
	KeyOrder   *order;
	Oid			types[LEDGER_COLS];
	int			rc;
	int			nest_level;
	bool		latest = IsolationUsesXactSnapshot();

	ledger->relname = get_rel_name(relid);
	memset(&r, 0, sizeof(r));
	check_columns(ledger, relid, pay, acc, result_type, types);
	r.amount_type = types[2];
	ledger->integer_ids = (result_type == INT8OID);
	ledger->pay_ids = match_ids_create(types[0], pay->id_coll, cxt);
	ledger->acc_ids = match_ids_create(types[1], acc->id_coll, cxt);
	if (!ledger->integer_ids)
	{
		prepare_order(&ledger->pay_order, pay->id_type, pay->id_coll, cxt);
		prepare_order(&ledger->acc_order, acc->id_type, acc->id_coll, cxt);
	}

	r.pub.receiveSlot = ledger_receive;
	r.pub.rStartup = ledger_startup;
	r.pub.rShutdown = ledger_nothing;
	r.pub.rDestroy = ledger_nothing;
	r.pub.mydest = DestNone;
	r.ledger = ledger;
	r.cxt = cxt;
	r.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "accmatch ledger row",
									  ALLOCSET_DEFAULT_SIZES);
	r.keys = keytexts_create(CurrentMemoryContext, 64, NULL);

	qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
										  ledger->relname);
	query = psprintf("SELECT payment_id, accrual_id, %s, matched_by, partition_key, xmin FROM %s",
					 quote_identifier("amount"), qualname);
	memset(&options, 0, sizeof(options));
	options.read_only = true;
	options.dest = &r.pub;
	if (latest)
	{
		r.check = GetTransactionSnapshot();
		PushActiveSnapshot(GetLatestSnapshot());
	}
	nest_level = match_reads_begin();
	rc = SPI_execute_extended(query, &options);
	match_reads_end(nest_level);
	if (latest)
		PopActiveSnapshot();
	if (rc < 0)
		elog(ERROR, "could not read relation \"%s\": %s", ledger->relname,
			 SPI_result_code_string(rc));
	keytexts_destroy(r.keys);
	MemoryContextDelete(r.row_cxt);

	/* number the keys in byte order, then put the rows in order */
	order = palloc(Max(ledger->nkeys, 1) * sizeof(KeyOrder));
	renumber = palloc((ledger->nkeys + 1) * sizeof(int32));
	for (int32 k = 0; k < ledger->nkeys; k++)
	{
		order[k].text = ledger->keys[k];
		order[k].number = k + 1;
	}
	qsort(order, ledger->nkeys, sizeof(KeyOrder), compare_key_texts);
	for (int32 k = 0; k < ledger->nkeys; k++)
	{
		renumber[order[k].number] = k + 1;
		ledger->keys[k] = order[k].text;
	}
	for (int64 i = 0; i < ledger->n; i++)
		if (ledger->items[i].date != PG_INT32_MAX)
			ledger->items[i].date = renumber[ledger->items[i].date];
	pfree(order);
	pfree(renumber);

	if (ledger->integer_ids)
		match_sort_rows(ledger->items, (int32) ledger->n);
	else
		sort_items(ledger->items, ledger->n, ledger);
	return ledger;
}
