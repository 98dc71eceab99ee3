/*-------------------------------------------------------------------------
 *
 * match_months.c
 *	  Month numbering for match_payments(): each distinct month value of the
 *	  accruals gets a dense number, so that the matcher compares months as
 *	  integers.
 *
 * Values are hashed and compared with the type's own hash function and
 * equality operator (from its default opclasses), except for integer-like
 * types whose equality is equality of the Datum, which are hashed directly.
 * A type with a btree but no hash operator class (money, bit, tsvector ...)
 * is kept in a search tree ordered by its btree comparison instead.
 *
 *-------------------------------------------------------------------------
 */
#include "match.h"
#include "compat.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "lib/rbtree.h"
#include "utils/datum.h"
#include "utils/typcache.h"

/* An entry of the hash table: a month value and its number. */
typedef struct MonthEntry
{
	Datum		value;
	uint32		hash;
	int32		id;
	char		status;
	bool		spelled;		/* keys: value is a payment's spelling */
} MonthEntry;

/*
 * Months met lately, in front of the hash table for types compared
 * bitwise: a direct-mapped cache of MONTH_CACHE_SIZE entries.  The rows of
 * a table carry few distinct months, met in any order, and a probe of the
 * hash table, whose outcome the processor cannot predict, cost more than
 * the rest of taking a row in.  id -1 is a payment month no accrual has.
 * An entry is valid while its generation is the map's: month_map_reset()
 * empties the cache by starting a new generation.
 */
#define MONTH_CACHE_SIZE	1024
#define MONTH_CACHE_SHIFT	54	/* 64 - log2(MONTH_CACHE_SIZE) */

typedef struct MonthCacheEntry
{
	Datum		value;
	int32		id;
	uint32		generation;		/* valid when the map's */
} MonthCacheEntry;

/* The numbering: a hash table, or a search tree for types without hash. */
struct MonthMap
{
	MonthCacheEntry *cache;		/* bitwise types only */
	uint32		generation;		/* of the valid cache entries */
	struct monthhash_hash *table;
	bool		bitwise;		/* equal months have equal Datums */
	bool		byval;
	int16		typlen;
	Oid			collation;
	FmgrInfo	hash_fn;
	FmgrInfo	eq_fn;
	RBTree	   *tree;			/* instead of table, for types without hash */
	FmgrInfo	cmp_fn;
	MemoryContext cxt;			/* the table or tree and the values */
	int32		count;
};

/* A month in the search tree. */
typedef struct MonthNode
{
	RBTNode		rbt;
	Datum		value;
	int32		id;
	bool		spelled;		/* keys: value is a payment's spelling */
} MonthNode;

/*
 * Hash of a month value, with the type's hash function or, for types whose
 * equality is equality of the Datum, of the Datum itself.
 */
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

/*
 * Equality of two month values, as the type defines it.
 */
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

/* Search tree callback: order by the type's btree comparison. */
static int
month_node_compare(const RBTNode *a, const RBTNode *b, void *arg)
{
	MonthMap   *map = (MonthMap *) arg;

	return DatumGetInt32(FunctionCall2Coll(&map->cmp_fn, map->collation,
										   ((const MonthNode *) a)->value,
										   ((const MonthNode *) b)->value));
}

/* Search tree callback: an equal month is already numbered. */
static void
month_node_keep(RBTNode *existing, const RBTNode *newdata, void *arg)
{
	/* an equal month is already numbered: keep it */
	(void) existing;
	(void) newdata;
	(void) arg;
}

/* Search tree callback: nodes live with the month values. */
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

	map->cxt = AllocSetContextCreate(cxt, "accmatch months",
									 ALLOCSET_DEFAULT_SIZES);
	map->byval = tc->typbyval;
	map->typlen = tc->typlen;
	map->collation = collation;
	map->bitwise = (type == INT2OID || type == INT4OID || type == INT8OID ||
					type == DATEOID || type == BOOLOID || type == OIDOID);
	if (map->bitwise)
		map->cache = MemoryContextAllocZero(cxt, MONTH_CACHE_SIZE *
											sizeof(MonthCacheEntry));

	if (OidIsValid(tc->hash_proc_finfo.fn_oid))
	{
		fmgr_info_cxt(tc->hash_proc_finfo.fn_oid, &map->hash_fn, cxt);
		fmgr_info_cxt(tc->eq_opr_finfo.fn_oid, &map->eq_fn, cxt);
	}
	else
		fmgr_info_cxt(tc->cmp_proc_finfo.fn_oid, &map->cmp_fn, cxt);
	month_map_reset(map);
	return map;
}

/*
 * Forget every month numbered so far, and the memory they took: numbering
 * starts again from 0.  Partitioned matching calls this for each partition
 * key, so that the numbering holds the months of one account at a time.
 */
void
month_map_reset(MonthMap *map)
{
	MemoryContext old;

	MemoryContextReset(map->cxt);
	map->count = 0;
	if (++map->generation == 0)
	{
		/* after 2^32 resets: forget the entries of generation 0 */
		if (map->cache)
			memset(map->cache, 0, MONTH_CACHE_SIZE * sizeof(MonthCacheEntry));
		map->generation = 1;
	}
	if (OidIsValid(map->hash_fn.fn_oid))
		map->table = monthhash_create(map->cxt, 16, map);
	else
	{
		old = MemoryContextSwitchTo(map->cxt);
		map->tree = rbt_create(sizeof(MonthNode), month_node_compare,
							   month_node_keep, month_node_alloc, NULL, map);
		MemoryContextSwitchTo(old);
	}
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
 * A copy of a value in cxt, detoasted, for keeping beyond the tuple that
 * holds it (a month here, a partition key in match_input.c).
 */
Datum
match_copy_value(Datum value, bool byval, int16 typlen, MemoryContext cxt)
{
	MemoryContext old;
	Datum		copy;

	if (byval)
		return value;
	old = MemoryContextSwitchTo(cxt);
	if (typlen == -1)
		copy = PointerGetDatum(PG_DETOAST_DATUM_COPY(value));
	else
		copy = datumCopy(value, false, typlen);
	MemoryContextSwitchTo(old);
	return copy;
}

/*
 * Our own copy of a month value: the tuple holding it goes away.
 */
static inline Datum
month_copy(MonthMap *map, Datum value)
{
	return match_copy_value(value, map->byval, map->typlen, map->cxt);
}

/*
 * month_map_number() for types kept in the search tree.
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
 * The cache entry where a month value of a bitwise type would be.
 */
static inline MonthCacheEntry *
month_cache_entry(MonthMap *map, Datum value)
{
	return &map->cache[((uint64) value * UINT64CONST(0x9E3779B97F4A7C15)) >>
					   MONTH_CACHE_SHIFT];
}

/*
 * Number of a month value.  With add, a value not seen before gets the next
 * number; without, it gets -1 (a payment month that no accrual has).
 */
int32
month_map_number(MonthMap *map, Datum value, bool add)
{
	MonthEntry *entry;
	MonthCacheEntry *cached = NULL;
	bool		found;
	int32		id;

	if (map->tree)
		return month_number_ordered(map, value, add);

	if (map->bitwise)
	{
		cached = month_cache_entry(map, value);
		/* a cached -1 only means "not numbered yet" when adding */
		if (cached->generation == map->generation && cached->value == value &&
			(cached->id >= 0 || !add))
			return cached->id;
	}

	if (!add)
	{
		entry = monthhash_lookup(map->table, value);
		id = entry ? entry->id : -1;
	}
	else
	{
		entry = monthhash_insert(map->table, value, &found);
		if (!found)
		{
			entry->value = month_copy(map, value);
			entry->id = map->count++;
		}
		id = entry->id;
	}

	if (cached)
	{
		cached->value = value;
		cached->id = id;
		cached->generation = map->generation;
	}
	return id;
}

/*
 * A key seen again: keep the spelling of the payments' keys that
 * match_spelling_precedes() puts first (see month_map_number_key()).
 */
static inline void
respell(MonthMap *map, Datum *kept, bool *spelled, Datum value, bool spell)
{
	if (spell &&
		(!*spelled ||
		 match_spelling_precedes(value, *kept, map->byval, map->typlen)))
	{
		*kept = month_copy(map, value);
		*spelled = true;
	}
}

/*
 * Number of a partition key value, numbering it when it is new (see
 * month_map_number()).  Values that are equal but spelled differently
 * (numeric 1.0 and 1.00, or 'a' and 'A' under a case-insensitive
 * collation) share a number.  The value kept for a number is the spelling
 * shown as partition_key: among the values passed with spell (the
 * payments' keys) the one that match_spelling_precedes() puts first, so
 * that it does not depend on the order rows are read in; values passed
 * without spell (the accruals') only number the key.
 */
int32
month_map_number_key(MonthMap *map, Datum value, bool spell)
{
	if (map->tree)
	{
		MonthNode	probe;
		MonthNode  *node;
		bool		isnew;

		probe.value = value;
		probe.id = map->count;
		probe.spelled = spell;
		node = (MonthNode *) rbt_insert(map->tree, &probe.rbt, &isnew);
		if (isnew)
		{
			node->value = month_copy(map, value);
			map->count++;
		}
		else if (!map->bitwise)
			respell(map, &node->value, &node->spelled, value, spell);
		return node->id;
	}
	else
	{
		bool		found;
		MonthEntry *entry = monthhash_insert(map->table, value, &found);

		if (!found)
		{
			entry->value = month_copy(map, value);
			entry->id = map->count++;
			entry->spelled = spell;
		}
		else if (!map->bitwise)
			respell(map, &entry->value, &entry->spelled, value, spell);
		return entry->id;
	}
}

/*
 * Store every numbered value at its number in values (month_map_count()
 * entries).  The values live as long as the map does.
 */
void
month_map_values(MonthMap *map, Datum *values)
{
	if (map->tree)
	{
		RBTreeIterator iter;
		MonthNode  *node;

		rbt_begin_iterate(map->tree, LeftRightWalk, &iter);
		while ((node = (MonthNode *) rbt_iterate(&iter)) != NULL)
			values[node->id] = node->value;
	}
	else
	{
		monthhash_iterator iter;
		MonthEntry *entry;

		monthhash_start_iterate(map->table, &iter);
		while ((entry = monthhash_iterate(map->table, &iter)) != NULL)
			values[entry->id] = entry->value;
	}
}

/*
 * Whether value a is spelled before value b, two values that compare equal:
 * a total order on how values are stored, so that among equal values one
 * spelling can be chosen whatever order they come in.  Values stored alike
 * precede neither; otherwise the shorter comes first, then the smaller
 * bytes.
 */
bool
match_spelling_precedes(Datum a, Datum b, bool byval, int16 typlen)
{
	if (byval)
		return (uint64) a < (uint64) b;
	if (typlen > 0)
		return memcmp(DatumGetPointer(a), DatumGetPointer(b), typlen) < 0;
	if (typlen == -2)
		return strcmp(DatumGetCString(a), DatumGetCString(b)) < 0;
	if (datum_image_eq(a, b, false, -1))
		return false;
	else
	{
		struct varlena *va = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(a));
		struct varlena *vb = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(b));
		Size		la = VARSIZE_ANY_EXHDR(va);
		Size		lb = VARSIZE_ANY_EXHDR(vb);

		if (la != lb)
			return la < lb;
		return memcmp(VARDATA_ANY(va), VARDATA_ANY(vb), la) < 0;
	}
}
