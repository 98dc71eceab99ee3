/*-------------------------------------------------------------------------
 *
 * match_keys.c
 *	  Partition keys of partition_by, for rows read in any order: each row
 *	  notes its key as it is read (keys_note_row()), then the rows of both
 *	  tables are grouped by key, keys in ascending order and the NULL key
 *	  last (keys_group()).
 *
 * A row notes its key in its match field until it is grouped: integer
 * keys (smallint, integer, date, bigint within 32 bits) as they are, other
 * keys as the number a MonthMap gives them (hashed, or in a search tree
 * for types without a hash function).  Grouping then finds the keys'
 * order: integer keys by counting the values present over their range,
 * when it is no wider than the rows are many; numbered keys by sorting
 * them once with the type's btree comparison.  The rows are moved into
 * their key's group by counting (match_group_by_key()).
 *
 * Keys that are equal but spelled differently (numeric 1.0 and 1.00)
 * show the spelling of the payments' keys that match_spelling_precedes()
 * puts first (see month_map_number_key()), whatever the order rows come
 * in.
 *
 *-------------------------------------------------------------------------
 */
#include "match_input_int.h"
#include "compat.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/sortsupport.h"
#include "utils/typcache.h"

struct KeyMap
{
	MatchKeyType *kt;
	MemoryContext cxt;			/* the map itself */
	MemoryContext values_cxt;	/* the groups' keys; reset with the map */
	bool		raw_able;		/* an integer type: can be kept raw */
	bool		raw;			/* keys noted so far are raw */
	int64		raw_min;		/* the smallest and largest raw key */
	int64		raw_max;
	MonthMap   *map;			/* numbers keys once not raw */
	Datum	   *values;			/* group g's key, after keys_group(); NULL
								 * when grouped raw: then raw_min + g */
	int32		ngroups;		/* groups, the NULL group included */
};

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
 * Create the key map of the key type kt, in cxt.
 */
KeyMap *
keys_create(MatchKeyType *kt, MemoryContext cxt)
{
	KeyMap	   *keys = MemoryContextAllocZero(cxt, sizeof(KeyMap));

	keys->kt = kt;
	keys->cxt = cxt;
	keys->values_cxt = AllocSetContextCreate(cxt, "accmatch keys",
											 ALLOCSET_SMALL_SIZES);
	keys->raw_able = (kt->type == INT2OID || kt->type == INT4OID ||
					  kt->type == INT8OID || kt->type == DATEOID);
	keys->raw = keys->raw_able;
	keys->raw_min = PG_INT64_MAX;
	keys->raw_max = PG_INT64_MIN;
	keys->map = month_map_create(cxt, kt->type, kt->collation);
	return keys;
}

/*
 * Forget every key, to read another batch of rows.
 */
void
keys_reset(KeyMap *keys)
{
	month_map_reset(keys->map);
	MemoryContextReset(keys->values_cxt);
	keys->raw = keys->raw_able;
	keys->raw_min = PG_INT64_MAX;
	keys->raw_max = PG_INT64_MIN;
	keys->values = NULL;
	keys->ngroups = 0;
}

/*
 * The Datum of an integer key kept raw.
 */
static Datum
raw_datum(KeyMap *keys, int64 value)
{
	switch (keys->kt->type)
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
 * The value of an integer key, to be kept raw.
 */
static int64
raw_value(KeyMap *keys, Datum key)
{
	switch (keys->kt->type)
	{
		case INT2OID:
			return DatumGetInt16(key);
		case INT4OID:
			return DatumGetInt32(key);
		case DATEOID:
			return DatumGetDateADT(key);
		default:
			return DatumGetInt64(key);
	}
}

/*
 * Whether a row read for grouping has a key: a row without one carries
 * GROUPED_NULL_KEY or GROUPED_NULL_KEY_DATE in its month.
 */
static inline bool
row_has_key(const MatchRow *row)
{
	return row->month != GROUPED_NULL_KEY &&
		row->month != GROUPED_NULL_KEY_DATE;
}

/*
 * Stop keeping integer keys raw: number the keys of the rows of both
 * tables read so far through the map instead, as rows read from now on
 * will be.  Done when a bigint key does not fit in match, or when the
 * keys span too wide a range to be grouped by counting.
 */
static void
number_raw_keys(KeyMap *keys, MatchRows *acc, MatchRows *pay)
{
	MatchRows  *tables[2] = {acc, pay};

	for (int t = 0; t < 2; t++)
	{
		for (int64 i = 0; i < tables[t]->n; i++)
		{
			MatchRow   *row = &tables[t]->rows[i];

			if (row_has_key(row))
				row->match = month_map_number_key(keys->map,
												  raw_datum(keys, row->match),
												  t == SIDE_PAY);
		}
	}
	keys->raw = false;
}

/*
 * A row just read for grouping has the given key: note it in the row's
 * match until the rows are grouped, as the integer itself while keys are
 * raw, else as the number the map gives it.  The row's own marks (match
 * MATCH_NULL_DATE for a payment without a date, month
 * GROUPED_ACC_NULL_DATE for an accrual without one) move to its month: a
 * row without a key carries GROUPED_NULL_KEY (GROUPED_NULL_KEY_DATE for a
 * payment without a date either), a payment without a date
 * GROUPED_NULL_DATE.  acc and pay are the rows read so far, row among
 * them.
 */
void
keys_note_row(KeyMap *keys, MatchRow *row, Datum key, bool isnull,
			  bool is_payment, MatchRows *acc, MatchRows *pay)
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
	if (!keys->raw)
	{
		row->match = month_map_number_key(keys->map, key, is_payment);
		return;
	}

	value = raw_value(keys, key);
	if (value >= PG_INT32_MIN && value <= PG_INT32_MAX)
	{
		row->match = (int32) value;
		keys->raw_min = Min(keys->raw_min, value);
		keys->raw_max = Max(keys->raw_max, value);
		return;
	}

	/* a bigint too wide: number every key so far through the map */
	month = row->month;
	row->month = GROUPED_NULL_KEY;	/* this row's key is not raw: skip it */
	number_raw_keys(keys, acc, pay);
	row->month = month;
	row->match = month_map_number_key(keys->map, key, is_payment);
}

/*
 * Put in every row's match the number of its group: group[key] for a row
 * with a key (its raw key less base, or its key's number), the last
 * group, nkeys, for a row without.
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
 * Integer keys kept raw, when they span no more values than there are
 * rows: every value of their range is a group (those without rows stay
 * empty), so a row's group is its key less the smallest, the NULL group
 * after the range, without a map or a sort.  False, doing nothing, when
 * the range is wider.
 */
static bool
group_raw_keys(KeyMap *keys, MatchRows *acc, MatchRows *pay)
{
	MatchRows  *tables[2] = {acc, pay};
	int64		min = keys->raw_min;
	int64		range;

	if (min > keys->raw_max)
		min = keys->raw_min = keys->raw_max = 0;	/* no key at all */
	range = keys->raw_max - min + 1;
	if (range > acc->n + pay->n + 1024)
		return false;

	for (int t = 0; t < 2; t++)
	{
		for (int64 i = 0; i < tables[t]->n; i++)
		{
			MatchRow   *row = &tables[t]->rows[i];

			row->match = row_has_key(row) ? (int32) (row->match - min) :
				(int32) range;
		}
	}
	keys->values = NULL;
	keys->ngroups = (int32) range + 1;
	return true;
}

/*
 * Raise the error for a key type whose btree comparison contradicts
 * itself: grouping by it has no answer.
 */
pg_noreturn static void
inconsistent_order(KeyMap *keys, Datum a, Datum b)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
			 errmsg("the default btree operator class of type %s is inconsistent",
					format_type_be(keys->kt->type)),
			 errdetail("Sorted partition keys %s and %s do not compare as less than each other, or a key does not equal itself.",
					   OidOutputFunctionCall(keys->kt->out_func, a),
					   OidOutputFunctionCall(keys->kt->out_func, b)),
			 errhint("partition_by needs a key type whose default btree comparison is a total order.")));
}

/*
 * Keys numbered through the map: sort them once with the type's btree
 * order (under the key collation) and give each row its key's group.
 * Each sorted key must equal itself and come strictly before the next: a
 * comparison that never returns 0 (a broken operator class) would
 * otherwise make groups that depend on the order rows were read in.
 */
static void
group_numbered_keys(KeyMap *keys, MatchRows *acc, MatchRows *pay)
{
	TypeCacheEntry *tc = lookup_type_cache(keys->kt->type, TYPECACHE_LT_OPR);
	SortSupportData ssup;
	int32		nkeys = month_map_count(keys->map);
	Datum	   *values;
	KeyOrder   *order;
	int32	   *group;

	values = MemoryContextAllocExtended(keys->values_cxt,
										Max(nkeys, 1) * sizeof(Datum),
										MCXT_ALLOC_HUGE);
	order = palloc_extended(Max(nkeys, 1) * sizeof(KeyOrder), MCXT_ALLOC_HUGE);
	month_map_values(keys->map, values);
	for (int32 i = 0; i < nkeys; i++)
	{
		order[i].value = values[i];
		order[i].id = i;
	}
	memset(&ssup, 0, sizeof(ssup));
	ssup.ssup_cxt = CurrentMemoryContext;
	ssup.ssup_collation = keys->kt->collation;
	ssup.ssup_nulls_first = false;
	PrepareSortSupportFromOrderingOp(tc->lt_opr, &ssup);
	sort_keys(order, nkeys, &ssup);

	group = palloc_extended(Max(nkeys, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	for (int32 i = 0; i < nkeys; i++)
	{
		if (match_key_compare(keys->kt, order[i].value, order[i].value) != 0)
			inconsistent_order(keys, order[i].value, order[i].value);
		if (i > 0 &&
			match_key_compare(keys->kt, order[i - 1].value, order[i].value) >= 0)
			inconsistent_order(keys, order[i - 1].value, order[i].value);
		group[order[i].id] = i;
		values[i] = order[i].value;
	}
	pfree(order);
	set_groups(acc, group, 0, nkeys);
	set_groups(pay, group, 0, nkeys);
	pfree(group);
	keys->values = values;
	keys->ngroups = nkeys + 1;
}

/*
 * Group the rows of both tables by key, every row having noted its key
 * (keys_note_row()): group g holds rows [start[g], start[g + 1]) of each
 * table, g running over the keys in ascending order, then the NULL key.
 * The start arrays are palloc'd.  Returns the number of groups.
 */
int32
keys_group(KeyMap *keys, MatchRows *acc, MatchRows *pay,
		   int32 **acc_start, int32 **pay_start)
{
	if (keys->raw && !group_raw_keys(keys, acc, pay))
		number_raw_keys(keys, acc, pay);
	if (!keys->raw)
		group_numbered_keys(keys, acc, pay);

	*acc_start = palloc_extended((keys->ngroups + 1) * sizeof(int32),
								 MCXT_ALLOC_HUGE);
	*pay_start = palloc_extended((keys->ngroups + 1) * sizeof(int32),
								 MCXT_ALLOC_HUGE);
	match_group_by_key(acc, keys->ngroups, *acc_start);
	match_group_by_key(pay, keys->ngroups, *pay_start);
	return keys->ngroups;
}

/*
 * Group g's key as text, for partition_key, in CurrentMemoryContext; g
 * must not be the NULL group, the last.
 */
char *
keys_text(KeyMap *keys, int32 g)
{
	Assert(g >= 0 && g < keys->ngroups - 1);
	return OidOutputFunctionCall(keys->kt->out_func,
								 keys->values ? keys->values[g] :
								 raw_datum(keys, keys->raw_min + g));
}

/*
 * Give the n rows of a group from start on the marks the input yields
 * (see MatchGroup), where grouping kept group numbers: payments without a
 * date are marked MATCH_NULL_DATE; rows without a key, which match
 * nothing, get month -1; accruals without a date, kept only for their
 * amount's scale, are dropped.  Returns how many rows remain, at the
 * start of the group, their amounts moved with them.
 */
int32
keys_restore_marks(MatchRows *rows, int64 start, int32 n, bool is_payment)
{
	MatchRow   *r = rows->rows + start;
	int64	   *amount = rows->amount ? rows->amount + start : NULL;
	int32		kept = 0;

	for (int32 i = 0; i < n; i++)
	{
		int32		month = r[i].month;

		if (!is_payment && month == GROUPED_ACC_NULL_DATE)
			continue;
		r[kept] = r[i];
		if (amount)
			amount[kept] = amount[i];
		if (month <= GROUPED_NULL_DATE)
			r[kept].month = -1;
		if (!is_payment)
			r[kept].match = ACCRUAL_UNPAID;
		else if (month == GROUPED_NULL_DATE || month == GROUPED_NULL_KEY_DATE)
			r[kept].match = MATCH_NULL_DATE;
		else
			r[kept].match = MATCH_NONE;
		kept++;
	}
	return kept;
}
