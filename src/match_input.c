/*-------------------------------------------------------------------------
 *
 * match_input.c
 *	  Input side of match_payments(): reads the payment and accrual tables
 *	  (each through match_reader.c) and yields their rows one group at a
 *	  time as compact arrays (see MatchGroup in match.h).
 *
 * Without partition_by there is one group: all rows, each table read
 * whole.  With partition_by there is one group per key, in key order, NULL
 * last, read one of two ways:
 *
 *	grouped in memory, when the planner expects both tables' rows to fit in
 *		the memory a hash table may use (work_mem * hash_mem_multiplier):
 *		each table is read whole, in any order, each key numbered through a
 *		hash table as rows arrive; the keys are sorted once and the rows
 *		moved into their key's group by counting (match_group_by_key()).
 *		Memory is that of matching the whole tables at once.
 *	streamed, otherwise, or when the key type has no hash function: both
 *		tables are read through cursors ordered by the key and the two
 *		streams merged key by key, so that only one account's rows are held
 *		at a time; each table's keys are checked to come in order.
 *
 * Either way, ids are checked to be unique in each group, and keys that
 * are equal but spelled differently show the spelling that
 * match_spelling_precedes() puts first.
 *
 *-------------------------------------------------------------------------
 */
#include "match_input_int.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/sortsupport.h"
#include "utils/typcache.h"

/* A key and its number, for sorting the keys. */
typedef struct KeyOrder
{
	Datum		value;
	int32		id;
} KeyOrder;

#define ST_SORT sort_keys
#define ST_ELEMENT_TYPE KeyOrder
#define ST_COMPARE_ARG_TYPE SortSupportData
#define ST_COMPARE(a, b, ssup) \
	ApplySortComparator((a)->value, false, (b)->value, false, ssup)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

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
 * What the keys take when grouping in memory, counted per row: the hash
 * table entry, the sorted key and its group's bounds come to 60 to 70 bytes
 * a key, about 8 a row when accounts hold several rows.
 */
#define MATCH_KEY_BYTES_PER_ROW	8

/*
 * Whether to group partition_by's rows in memory rather than stream them
 * ordered by key (see the top of this file): when the key type can be
 * hashed, accmatch.group_in_memory is on, the planner's estimate of both
 * tables' rows, at the bytes a row and its share of the keys take here,
 * fits in the memory a hash table may use, and, for allocate_payments(),
 * every amount has one scale fixed by the columns' types (then the scale
 * of every account is that one, as when streamed).
 */
static bool
group_in_memory(MatchInput *in, MatchTable *pay, MatchTable *acc)
{
	TypeCacheEntry *tc = lookup_type_cache(pay->key_type, TYPECACHE_HASH_PROC);
	double		rows;
	double		bytes;

	if (!match_group_in_memory || !OidIsValid(tc->hash_proc))
		return false;
	if (pay->amount_column &&
		(pay->amount_scale < 0 || pay->amount_scale != acc->amount_scale))
		return false;

	rows = match_reader_estimate(in->acc) + match_reader_estimate(in->pay);
	bytes = rows * (sizeof(MatchRow) + MATCH_KEY_BYTES_PER_ROW +
					(pay->amount_column ? sizeof(int64) : 0));
	return bytes <= (double) get_hash_memory_limit();
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
	in->acc = match_reader_open(acc, partition_by, cxt);
	in->pay = match_reader_open(pay, partition_by, cxt);

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

		in->grouped = group_in_memory(in, pay, acc);
		elog(DEBUG1, "accmatch: %s by \"%s\"",
			 in->grouped ? "grouping rows in memory" : "reading rows ordered",
			 partition_by);
		if (in->grouped)
		{
			in->keys = month_map_create(cxt, pay->key_type, in->key_coll);
			in->keys_raw = (pay->key_type == INT2OID ||
							pay->key_type == INT4OID ||
							pay->key_type == INT8OID ||
							pay->key_type == DATEOID);
			in->key_value = match_value_fn(pay->key_type);
		}
		else
		{
			match_reader_stream(in->acc);
			match_reader_stream(in->pay);
		}
	}
	in->pay->check_ids = !match_ids_proven_unique(pay, in->key_coll);
	in->acc->check_ids = !match_ids_proven_unique(acc, in->key_coll);

	MemoryContextSwitchTo(old);
	return in;
}

/*
 * Finish a group about to be yielded: check its ids, and note how many
 * months are numbered and how many rows the input holds.  Returns true.
 */
static bool
group_done(MatchInput *in, MatchGroup *group, int64 held_rows)
{
	check_ids(in, in->acc, group, &group->acc);
	check_ids(in, in->pay, group, &group->pay);
	group->nmonths = month_map_count(in->months);
	group->held_rows = held_rows;
	return true;
}

/*
 * Our own copy of a partition key, in key_cxt: the row holding it goes
 * away.
 */
static Datum
copy_key(MatchInput *in, Datum key)
{
	return match_copy_value(key, in->key_typbyval, in->key_typlen,
							in->key_cxt);
}

/*
 * A partition key as text, for partition_key; in key_cxt, so it lasts
 * until the next group.
 */
static char *
key_text(MatchInput *in, Datum key)
{
	MemoryContext old = MemoryContextSwitchTo(in->key_cxt);
	char	   *text = OidOutputFunctionCall(in->key_out, key);

	MemoryContextSwitchTo(old);
	return text;
}

/*
 * A row of the group being read ordered by key has the given key, equal to
 * the group's: keep the spelling of the two that match_spelling_precedes()
 * puts first, so that the one shown does not depend on the order of rows.
 */
void
match_input_spell_key(MatchInput *in, Datum key)
{
	if (match_spelling_precedes(key, in->key, in->key_typbyval,
								in->key_typlen))
		in->key = copy_key(in, key);
}

/*
 * The Datum of an integer key of the type of in's keys (see keys_raw).
 */
static Datum
raw_key_datum(MatchInput *in, int64 value)
{
	switch (in->pay->table->key_type)
	{
		case INT2OID:
			return Int16GetDatum((int16) value);
		case INT4OID:
			return Int32GetDatum((int32) value);
		case DATEOID:
			return DateADTGetDatum((DateADT) value);
		default:
			return Int64GetDatum(value);
	}
}

/*
 * Whether a row read for grouping has a key: a row without one carries
 * GROUPED_NULL_KEY or GROUPED_NULL_KEY_DATE in its month.
 */
static inline bool
row_has_key(const MatchRow *row)
{
	return row->month > GROUPED_NULL_KEY;
}

/*
 * Stop keeping integer keys raw: number the keys of the rows of both
 * tables read so far through the hash table instead, as rows read from now
 * on will be.  Done when a bigint key does not fit in match, or when the
 * keys span too wide a range to be grouped by counting.
 */
static void
number_raw_keys(MatchInput *in, MatchRows *acc, MatchRows *pay)
{
	MatchRows  *tables[2] = {acc, pay};

	for (int t = 0; t < 2; t++)
	{
		for (int64 i = 0; i < tables[t]->n; i++)
		{
			MatchRow   *row = &tables[t]->rows[i];

			if (row_has_key(row))
				row->match = month_map_number_key(in->keys,
												  raw_key_datum(in, row->match));
		}
	}
	in->keys_raw = false;
}

/*
 * A row just read whole for grouping in memory has the given key: note the
 * key in the row's match until the rows are grouped, as the integer itself
 * while keys_raw holds, else as the number the hash table gives it.  A
 * payment without a date and a row without a key are marked by their month
 * instead (see restore_marks()): their month plays no part.
 */
void
match_input_key_row(MatchInput *in, MatchRow *row, Datum key, bool isnull)
{
	bool		no_date = (row->match == MATCH_NULL_DATE);
	int64		value;
	int32		month;

	if (isnull)
	{
		row->month = no_date ? GROUPED_NULL_KEY_DATE : GROUPED_NULL_KEY;
		row->match = 0;
		return;
	}
	if (no_date)
		row->month = GROUPED_NULL_DATE;
	if (!in->keys_raw)
	{
		row->match = month_map_number_key(in->keys, key);
		return;
	}

	value = in->key_value(key);
	if (value >= PG_INT32_MIN && value <= PG_INT32_MAX)
	{
		row->match = (int32) value;
		return;
	}

	/* a bigint too wide: number every key so far through the hash table */
	month = row->month;
	row->month = GROUPED_NULL_KEY;	/* this row's key is not raw: skip it */
	number_raw_keys(in, &in->reading->acc, &in->reading->pay);
	row->month = month;
	row->match = month_map_number_key(in->keys, key);
}

/*
 * Give the rows of a group the marks the input yields (see MatchGroup),
 * where grouping kept group numbers: payments without a date are marked
 * MATCH_NULL_DATE; rows without a key, which match nothing, get month -1.
 */
static void
restore_marks(MatchRow *rows, int32 n, bool is_payment)
{
	for (int32 i = 0; i < n; i++)
	{
		int32		month = rows[i].month;

		if (month <= GROUPED_NULL_DATE)
			rows[i].month = -1;
		if (!is_payment)
			rows[i].match = ACCRUAL_UNPAID;
		else if (month == GROUPED_NULL_DATE || month == GROUPED_NULL_KEY_DATE)
			rows[i].match = MATCH_NULL_DATE;
		else
			rows[i].match = MATCH_NONE;
	}
}

/*
 * Put in every row's match the number of its group: group[key] for a row
 * with a key (its raw key less base, or its key's number; see
 * match_input_key_row()), the last group, nkeys, for a row without.
 */
static void
set_groups(MatchRows *rows, const int32 *group, int64 base, int32 nkeys)
{
	for (int64 i = 0; i < rows->n; i++)
	{
		MatchRow   *row = &rows->rows[i];

		row->match = row_has_key(row) ?
			group[(int64) row->match - base] : nkeys;
	}
}

/*
 * The integer keys of both tables, kept raw in match, when they span no
 * more values than there are rows: each value's group is found by counting
 * the values present, in order, over an array the size of the range (at
 * most 4 bytes a row), without a hash table or a sort.  Sets in->key_values
 * and the rows' groups; false, doing nothing, when the range is wider.
 */
static bool
group_raw_keys(MatchInput *in, MatchRows *acc, MatchRows *pay)
{
	MatchRows  *tables[2] = {acc, pay};
	int64		min = PG_INT64_MAX;
	int64		max = PG_INT64_MIN;
	int64		range;
	int32	   *group;
	int32		nkeys = 0;

	for (int t = 0; t < 2; t++)
	{
		for (int64 i = 0; i < tables[t]->n; i++)
		{
			if (row_has_key(&tables[t]->rows[i]))
			{
				min = Min(min, tables[t]->rows[i].match);
				max = Max(max, tables[t]->rows[i].match);
			}
		}
	}
	if (min > max)
		min = max = 0;			/* no key at all */
	range = max - min + 1;
	if (range > acc->n + pay->n + 1024)
		return false;

	group = palloc_extended(range * sizeof(int32),
							MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (int t = 0; t < 2; t++)
	{
		for (int64 i = 0; i < tables[t]->n; i++)
		{
			if (row_has_key(&tables[t]->rows[i]))
				group[(int64) tables[t]->rows[i].match - min] = 1;
		}
	}
	for (int64 v = 0; v < range; v++)
		if (group[v])
			nkeys++;
	in->key_values = palloc_extended(Max(nkeys, 1) * sizeof(Datum),
									 MCXT_ALLOC_HUGE);
	nkeys = 0;
	for (int64 v = 0; v < range; v++)
	{
		if (group[v])
		{
			in->key_values[nkeys] = raw_key_datum(in, min + v);
			group[v] = nkeys++;
		}
	}
	set_groups(acc, group, min, nkeys);
	set_groups(pay, group, min, nkeys);
	in->ngroups = nkeys + 1;
	pfree(group);
	return true;
}

/*
 * Keys numbered through the hash table: sort them once with the type's
 * btree order (under the key collation) and give each row its key's
 * group.  Sets in->key_values.
 */
static void
group_hashed_keys(MatchInput *in, MatchRows *acc, MatchRows *pay)
{
	TypeCacheEntry *tc = lookup_type_cache(in->pay->table->key_type,
										   TYPECACHE_LT_OPR);
	SortSupportData ssup;
	int32		nkeys = month_map_count(in->keys);
	Datum	   *values;
	KeyOrder   *order;
	int32	   *group;

	values = palloc_extended(Max(nkeys, 1) * sizeof(Datum), MCXT_ALLOC_HUGE);
	order = palloc_extended(Max(nkeys, 1) * sizeof(KeyOrder), MCXT_ALLOC_HUGE);
	month_map_values(in->keys, values);
	for (int32 i = 0; i < nkeys; i++)
	{
		order[i].value = values[i];
		order[i].id = i;
	}
	memset(&ssup, 0, sizeof(ssup));
	ssup.ssup_cxt = CurrentMemoryContext;
	ssup.ssup_collation = in->key_coll;
	ssup.ssup_nulls_first = false;
	PrepareSortSupportFromOrderingOp(tc->lt_opr, &ssup);
	sort_keys(order, nkeys, &ssup);

	group = palloc_extended(Max(nkeys, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	for (int32 i = 0; i < nkeys; i++)
	{
		group[order[i].id] = i;
		values[i] = order[i].value;
	}
	pfree(order);
	set_groups(acc, group, 0, nkeys);
	set_groups(pay, group, 0, nkeys);
	pfree(group);
	in->key_values = values;
	in->ngroups = nkeys + 1;
}

/*
 * Read both tables whole, noting each row's key, find the keys' order and
 * group the rows by key: the first step of grouping in memory.  Groups are
 * the keys in order, then NULL.
 */
static void
read_and_group(MatchInput *in, MatchGroup *group)
{
	MemoryContext old = MemoryContextSwitchTo(in->cxt);

	in->reading = group;
	match_reader_read_all(in, in->acc, group, &group->acc);
	match_reader_read_all(in, in->pay, group, &group->pay);
	in->reading = NULL;
	in->acc_all = group->acc;
	in->pay_all = group->pay;
	in->amount_scale = group->amount_scale;

	if (in->keys_raw && !group_raw_keys(in, &in->acc_all, &in->pay_all))
		number_raw_keys(in, &in->acc_all, &in->pay_all);
	if (!in->keys_raw)
		group_hashed_keys(in, &in->acc_all, &in->pay_all);

	in->pay_start = palloc_extended((in->ngroups + 1) * sizeof(int32),
									MCXT_ALLOC_HUGE);
	in->acc_start = palloc_extended((in->ngroups + 1) * sizeof(int32),
									MCXT_ALLOC_HUGE);
	match_group_by_key(&in->acc_all, in->ngroups, in->acc_start);
	match_group_by_key(&in->pay_all, in->ngroups, in->pay_start);
	MemoryContextSwitchTo(old);
}

/*
 * One table's rows of group g, as a MatchRows over the grouped array.
 */
static void
group_rows(MatchRows *all, const int32 *start, int32 g, MatchRows *out,
		   bool is_payment)
{
	out->rows = all->rows + start[g];
	out->amount = all->amount ? all->amount + start[g] : NULL;
	out->n = start[g + 1] - start[g];
	out->cap = out->n;
	restore_marks(out->rows, (int32) out->n, is_payment);
}

/*
 * match_input_next() when grouping in memory: the next key's rows, as
 * views into the arrays of all rows.
 */
static bool
next_grouped(MatchInput *in, MatchGroup *group)
{
	int32		g;

	if (in->pay_start == NULL)
	{
		/* the first call: read both tables and group them */
		group->pay.n = 0;
		group->acc.n = 0;
		group->amount_scale = 0;
		read_and_group(in, group);
	}

	do
	{
		if (in->next_group >= in->ngroups)
			return false;
		g = in->next_group++;
	} while (in->pay_start[g + 1] == in->pay_start[g] &&
			 in->acc_start[g + 1] == in->acc_start[g]);

	CHECK_FOR_INTERRUPTS();
	group_rows(&in->pay_all, in->pay_start, g, &group->pay, true);
	group_rows(&in->acc_all, in->acc_start, g, &group->acc, false);
	group->amount_scale = in->amount_scale;
	group->key_isnull = (g == in->ngroups - 1);
	MemoryContextReset(in->key_cxt);
	group->key = group->key_isnull ? NULL :
		key_text(in, in->key_values[g]);
	return group_done(in, group, in->pay_all.n + in->acc_all.n);
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

	if (in->grouped)
		return next_grouped(in, group);

	if (!in->keyed)
	{
		if (in->done)
			return false;
		in->done = true;
		old = MemoryContextSwitchTo(in->cxt);
		match_reader_read_all(in, in->acc, group, &group->acc);
		match_reader_read_all(in, in->pay, group, &group->pay);
		MemoryContextSwitchTo(old);
		return group_done(in, group, group->pay.n + group->acc.n);
	}

	have_pay = match_reader_peek_key(in->pay, &pkey, &pnull);
	have_acc = match_reader_peek_key(in->acc, &akey, &anull);
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
	if (!group->key_isnull)
		key = copy_key(in, key);

	in->have_key = true;
	in->key_isnull = group->key_isnull;
	in->key = key;

	old = MemoryContextSwitchTo(in->cxt);
	month_map_reset(in->months);
	match_reader_read_group(in, in->acc, group->key_isnull, key, group,
							&group->acc);
	match_reader_read_group(in, in->pay, group->key_isnull, key, group,
							&group->pay);
	/* in->key is now the spelling shown (see match_input_spell_key()) */
	if (!group->key_isnull)
		group->key = key_text(in, in->key);
	MemoryContextSwitchTo(old);
	return group_done(in, group, group->pay.n + group->acc.n);
}

/*
 * Close both cursors and disconnect from SPI.
 */
void
match_input_close(MatchInput *in)
{
	match_reader_close(in->pay);
	match_reader_close(in->acc);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
}
