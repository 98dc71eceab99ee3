/*-------------------------------------------------------------------------
 *
 * match_ids_rank.c
 *	  Ranking the ids of a table that are not integers (see match_ids.c):
 *	  each row gets the class of its id, a number in the id type's btree
 *	  order, the same for ids the type calls equal; the values stay where
 *	  they were read.
 *
 * Each value gets a 64-bit key (see match_ids_keys.c).  Most often the
 * keys' most significant bits tell the values apart, and a bitmap of them
 * finds the few values whose keys share those bits: only they are sorted
 * (rank_bucketed()).  Otherwise every value is sorted, by radix on its
 * key, then by comparison where keys are equal (rank_sorted()).  Types
 * without such a key (numeric, date, ...) are sorted by comparison,
 * abbreviated keys first where the type offers them.
 *
 *-------------------------------------------------------------------------
 */
#include "match_ids_int.h"
#include "compat.h"

#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "port/pg_bswap.h"
#include "utils/memutils.h"

/* A value to be sorted by comparison: its abbreviated key, its position. */
typedef struct IdItem
{
	Datum		key;
	int64		pos;
} IdItem;

/*
 * Compare two values (positions a and b, in read order) in the type's
 * order; for ID_BYTES, from byte from on (the bytes before are equal).
 */
static inline int
compare_values(MatchIds *ids, int64 a, int64 b, int from)
{
	Datum		va = ids_value(ids, a);
	Datum		vb = ids_value(ids, b);

	if (ids->order == ID_BYTES)
	{
		int			alen,
					blen;
		const char *ap = ids_value_bytes(ids, va, &alen);
		const char *bp = ids_value_bytes(ids, vb, &blen);
		int			r;

		if (ids->typlen == 16 && from == 0)
		{
			/* uuid: as two big-endian integers, not through memcmp() */
			uint64		a[2],
						b[2];

			memcpy(a, ap, 16);
			memcpy(b, bp, 16);
			for (int k = 0; k < 2; k++)
			{
				if (a[k] != b[k])
					return pg_ntoh64(a[k]) < pg_ntoh64(b[k]) ? -1 : 1;
			}
			return 0;
		}
		alen = Max(alen - from, 0);
		blen = Max(blen - from, 0);
		r = memcmp(ap + from, bp + from, Min(alen, blen));
		if (r != 0)
			return r;
		return (alen > blen) - (alen < blen);
	}
	if (ids->ssup.abbrev_converter)
		return ApplySortAbbrevFullComparator(va, false, vb, false, &ids->ssup);
	return ApplySortComparator(va, false, vb, false, &ids->ssup);
}

/* Packed items of one key, compared from byte from on (compare_values()) */
typedef struct IdRun
{
	MatchIds   *ids;
	int			from;
} IdRun;

#define ST_SORT sort_id_run
#define ST_ELEMENT_TYPE uint64
#define ST_COMPARE_ARG_TYPE IdRun
#define ST_COMPARE(a, b, run) \
	compare_values((run)->ids, ID_POS(*(a)), ID_POS(*(b)), (run)->from)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Compare two items of a type sorted by comparison: abbreviated keys,
 * then values.
 */
static inline int
compare_abbreviated(const IdItem *a, const IdItem *b, MatchIds *ids)
{
	if (ids->ssup.abbrev_converter)
	{
		int			r = ApplySortComparator(a->key, false, b->key, false,
											&ids->ssup);

		if (r != 0)
			return r;
	}
	return compare_values(ids, a->pos, b->pos, 0);
}

#define ST_SORT sort_id_items
#define ST_ELEMENT_TYPE IdItem
#define ST_COMPARE_ARG_TYPE MatchIds
#define ST_COMPARE(a, b, ids) compare_abbreviated(a, b, ids)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * The class (the ids its type calls equal) of the id that follows, in
 * order, an id of class class: the same when same, and then the ids
 * repeat (see match_ids_repeated()), else the next.
 */
static inline int64
next_class(MatchIds *ids, bool same, int64 class)
{
	if (same)
	{
		ids->repeated = IDS_REPEATED;
		return class;
	}
	return class + 1;
}

/*
 * A row's id as ranked: its class, shifted left by 32 bits (see
 * match_ids_shift()), then its read position, where its value stays.
 */
static inline int64
ranked_id(int64 class, int64 pos)
{
	return (class << 32) | pos;
}

/*
 * Put sorted packed items (by key, then position) in the order of their
 * values: each run of one key is sorted by comparison, from byte from on.
 */
static void
sort_key_runs(MatchIds *ids, uint64 *items, int64 n, int from)
{
	IdRun		run = {ids, from};

	for (int64 i = 0; i < n;)
	{
		int64		j = i + 1;

		while (j < n && ID_KEY(items[j]) == ID_KEY(items[i]))
			j++;
		if (j - i > 1)
			sort_id_run(items + i, j - i, &run);
		if ((i >> 16) != (j >> 16))
			CHECK_FOR_INTERRUPTS();
		i = j;
	}
}

/*
 * Whether item k of items in value order (see sort_key_runs()) holds the
 * same value as item k - 1, of the same key.
 */
static inline bool
same_as_previous(MatchIds *ids, const uint64 *items, int64 k, int from)
{
	return compare_values(ids, ID_POS(items[k]), ID_POS(items[k - 1]),
						  from) == 0;
}

/*
 * Rank the ids of a table by sorting them all: each value's key (less the
 * least) is cut to its 32 most significant bits and packed with the
 * value's position (see ID_KEY), the items are sorted by radix, and values
 * of equal packed keys are compared (from the first byte the key may not
 * tell apart).  The keys made one per value are overwritten.
 */
static void
rank_sorted(MatchIds *ids, MatchRow *rows, int64 n, IdKeys *keys)
{
	uint64	   *items = keys->abbrev ? keys->abbrev :
		palloc_extended(n * sizeof(uint64), MCXT_ALLOC_HUGE);
	uint64	   *tmp = palloc_extended(n * sizeof(uint64), MCXT_ALLOC_HUGE);
	uint32	   *rank;
	int			cut = Max(keys->bits - 32, 0);
	int			from = match_ids_keys_from(ids, keys, cut);
	int64		class = -1;

	for (int64 i = 0; i < n; i++)
		items[i] = ((ids_key(ids, keys, i) >> cut) << 32) | (uint64) i;
	match_ids_radix(items, tmp, n, (Min(keys->bits, 32) + 7) / 8);

	sort_key_runs(ids, items, n, from);

	/*
	 * The items are in value order, the rows in read order: the classes go
	 * to an array of the rows' order first (the other half of the scratch
	 * space), smaller than the rows, where writing in no order costs less.
	 */
	rank = (uint32 *) tmp;
	for (int64 k = 0; k < n; k++)
	{
		class = next_class(ids, k > 0 &&
						   ID_KEY(items[k]) == ID_KEY(items[k - 1]) &&
						   same_as_previous(ids, items, k, from),
						   class);
		rank[ID_POS(items[k])] = (uint32) class;
		if ((k & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (int64 i = 0; i < n; i++)
		rows[i].id = ranked_id(rank[i], i);
	pfree(items);
	pfree(tmp);
	keys->abbrev = NULL;
}

/* rank_bucketed() keeps 2^ID_BUCKETS_PER_ROW buckets per row at most */
#define ID_BUCKETS_PER_ROW	4

/* and at most 2^ID_BUCKET_BITS buckets: 2^27 take 32 MB */
#define ID_BUCKET_BITS	27

/* Rows whose buckets rank_bucketed() fetches ahead at a time */
#define ID_BLOCK	64

/*
 * Rank the ids of a table through the b most significant bits of their
 * keys, b about 4 more than the bits of a row count: a row's class is its
 * bucket (those bits) shifted left by 31 - b bits.  A bitmap of the
 * buckets met finds the rows whose bucket another row shares, only those
 * are sorted, and the values of one bucket are told apart in the bits
 * under the bucket's.  The classes are then in the values' order, equal
 * for equal values, not consecutive.
 *
 * Returns false, leaving the rows' ids to be ranked again, when the keys
 * have too few bits to tell the rows apart, or a bucket holds more
 * distinct values than its classes can tell apart (keys bunched in few
 * buckets).
 */
static bool
rank_bucketed(MatchIds *ids, MatchRow *rows, int64 n, const IdKeys *keys)
{
	int			need = pg_ceil_log2_64((uint64) n);
	int			b = Min(Min(keys->bits, need + ID_BUCKETS_PER_ROW), ID_BUCKET_BITS);
	int			cut = keys->bits - b;
	int			under = 31 - b;
	uint64	   *met;
	uint64	   *again;
	uint32	   *bucket;			/* each row's */
	bool		shared = false;
	uint64	   *items;
	uint64	   *tmp;
	int64		m = 0;
	int			from = match_ids_keys_from(ids, keys, cut);

	if (keys->bits < need)
		return false;

	/* the buckets met, and those met again (a few) */
	met = palloc_extended(((UINT64CONST(1) << b) / 64 + 1) * sizeof(uint64),
						  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	again = palloc_extended(((UINT64CONST(1) << b) / 64 + 1) * sizeof(uint64),
							MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	bucket = palloc_extended(n * sizeof(uint32), MCXT_ALLOC_HUGE);
	for (int64 start = 0; start < n; start += ID_BLOCK)
	{
		int			nblock = (int) Min(n - start, ID_BLOCK);
		uint64		k[ID_BLOCK];

		/* a block's buckets first, fetched ahead: met in any order */
		for (int j = 0; j < nblock; j++)
		{
			k[j] = ids_key(ids, keys, start + j) >> cut;
			compat_prefetch(&met[k[j] / 64]);
			bucket[start + j] = (uint32) k[j];
			rows[start + j].id = ranked_id((int64) (k[j] << under), start + j);
		}
		for (int j = 0; j < nblock; j++)
		{
			uint64		bit = UINT64CONST(1) << (k[j] % 64);

			if (unlikely(met[k[j] / 64] & bit))
			{
				again[k[j] / 64] |= bit;
				shared = true;
			}
			met[k[j] / 64] |= bit;
		}
		if ((start & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(met);
	if (!shared)
	{
		pfree(again);
		pfree(bucket);
		return true;
	}

	/* the rows of buckets met again, by bucket, then position */
	items = palloc_extended(Max(n / 8, 1024) * sizeof(uint64), MCXT_ALLOC_HUGE);
	for (int64 start = 0, cap = Max(n / 8, 1024); start < n; start += ID_BLOCK)
	{
		int			nblock = (int) Min(n - start, ID_BLOCK);
		uint64		k[ID_BLOCK];

		if (cap - m < ID_BLOCK)
		{
			cap *= 2;
			items = repalloc_huge(items, cap * sizeof(uint64));
		}
		for (int j = 0; j < nblock; j++)
		{
			k[j] = bucket[start + j];
			compat_prefetch(&again[k[j] / 64]);
		}
		for (int j = 0; j < nblock; j++)
		{
			items[m] = (k[j] << 32) | (uint64) (start + j);
			m += (again[k[j] / 64] >> (k[j] % 64)) & 1;
		}
		if ((start & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(again);
	pfree(bucket);
	tmp = palloc_extended(m * sizeof(uint64), MCXT_ALLOC_HUGE);
	match_ids_radix(items, tmp, m, (b + 7) / 8);
	pfree(tmp);

	/* each bucket's values in order, numbered under the bucket */
	sort_key_runs(ids, items, m, from);
	for (int64 k = 0, sub = 0; k < m; k++)
	{
		int64		pos = ID_POS(items[k]);

		sub = k == 0 || ID_KEY(items[k]) != ID_KEY(items[k - 1]) ? 0 :
			next_class(ids, same_as_previous(ids, items, k, from), sub);
		if (sub == (INT64CONST(1) << under))
		{
			pfree(items);
			return false;
		}
		rows[pos].id = ranked_id((int64) (ID_KEY(items[k]) << under) | sub, pos);
	}
	pfree(items);
	return true;
}

/*
 * Rank the ids of a type sorted by comparison: abbreviated keys first,
 * where the type offers them.
 */
static void
rank_compared(MatchIds *ids, MatchRow *rows, int64 n)
{
	IdItem	   *items = palloc_extended(n * sizeof(IdItem), MCXT_ALLOC_HUGE);
	int64		class = -1;

	for (int64 i = 0; i < n; i++)
	{
		items[i].key = ids->ssup.abbrev_converter ?
			ids->ssup.abbrev_converter(ids_value(ids, i), &ids->ssup) : (Datum) 0;
		items[i].pos = i;
		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	sort_id_items(items, n, ids);
	for (int64 k = 0; k < n; k++)
	{
		class = next_class(ids, k > 0 &&
						   compare_abbreviated(&items[k], &items[k - 1], ids) == 0,
						   class);
		rows[items[k].pos].id = ranked_id(class, items[k].pos);
		if ((k & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(items);
}

/*
 * Compare the stored images of two values (positions a and b): values
 * their type calls equal may be spelled differently (numeric 1.0 and
 * 1.00), and each row shows its own.
 */
static int
compare_images(const MatchIds *ids, int64 a, int64 b)
{
	Datum		va = ids_value(ids, a);
	Datum		vb = ids_value(ids, b);

	if (ids->typbyval)
		return va < vb ? -1 : va > vb ? 1 : 0;
	if (ids->typlen > 0)
		return memcmp(DatumGetPointer(va), DatumGetPointer(vb), ids->typlen);
	if (ids->typlen == -1)
	{
		Size		la = VARSIZE(DatumGetPointer(va));
		Size		lb = VARSIZE(DatumGetPointer(vb));
		int			r = memcmp(DatumGetPointer(va), DatumGetPointer(vb),
							   Min(la, lb));

		return r != 0 ? r : (la > lb) - (la < lb);
	}
	return strcmp(DatumGetCString(va), DatumGetCString(vb));
}

/*
 * Give every row its id as ranked (rows[i].id is its read position on
 * entry, as match_ids_add() returned it): see ranked_id().  Nothing to do
 * for integer ids.
 */
void
match_ids_rank(MatchIds *ids, MatchRow *rows, int64 n)
{
	MemoryContext old;
	IdKeys		keys;

	if (ids->order == ID_INTEGER || n == 0)
		return;
	Assert(n == ids->n);
	/* a table holds fewer than 2^31 rows (see rows_reserve()) */
	Assert(n <= PG_INT32_MAX);
	old = MemoryContextSwitchTo(ids->values_cxt);
	if (!match_ids_keys(ids, n, &keys))
		rank_compared(ids, rows, n);
	else if (!rank_bucketed(ids, rows, n, &keys))
		rank_sorted(ids, rows, n, &keys);
	if (keys.abbrev)
		pfree(keys.abbrev);
	MemoryContextSwitchTo(old);
}

/*
 * Of the rows whose ids are of the class of id (ranked ids), the id whose
 * value's stored image is the least: which spelling of a repeated id a
 * message shows, whatever the order the rows were read in.
 */
int64
match_ids_least_image(const MatchIds *ids, const MatchRow *rows, int64 n,
					  int64 id)
{
	if (ids->order == ID_INTEGER)
		return id;
	for (int64 i = 0; i < n; i++)
	{
		if ((rows[i].id >> 32) == (id >> 32) &&
			compare_images(ids, rows[i].id & 0xffffffff, id & 0xffffffff) < 0)
			id = rows[i].id;
	}
	return id;
}
