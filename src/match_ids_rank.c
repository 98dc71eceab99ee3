/*-------------------------------------------------------------------------
 *
 * match_ids_rank.c
 *	  Ranking the ids of a table that are not integers (see match_ids.c):
 *	  one sort of the values read gives each row the rank of its id among
 *	  the table's distinct ids, in the id type's btree order; the values
 *	  stay where they were read.
 *
 * Each value gets a 64-bit key whose unsigned order is the values' order
 * wherever two keys differ, and the keys are sorted by radix; only values
 * whose keys are equal are compared further.  The key is:
 *
 *	- for ids whose order is the order of their bytes (uuid; text, varchar
 *	  and char(n) under a C collation), their bytes after the prefix every
 *	  id shares (ids such as 'PAY-000000012345' differ only in their last
 *	  digits), as a number of as many of them as fit (see ByteKeys);
 *	- for other types, the abbreviated key of the type's sort support, when
 *	  the type offers one compared as an integer (text under a language
 *	  collation, whose comparisons are the costly part).
 *
 * Types without such a key (numeric, date, ...) are sorted by comparison,
 * abbreviated keys first where the type offers them.
 *
 *-------------------------------------------------------------------------
 */
#include "match_ids_int.h"
#include "compat.h"

#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/memutils.h"

/* A value to be put in order: its key, its read position. */
typedef struct IdItem
{
	uint64		key;
	int64		pos;
} IdItem;

/* Most buckets of one radix pass, and runs sorted by insertion. */
#define ID_RADIX_BUCKETS	2048
#define ID_INSERTION_ITEMS	32

/* How many items ahead the ranking loop fetches an item's value and rank */
#define ID_PREFETCH_AHEAD	16

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

/* Items of one key, compared from byte 'from' on (see compare_values()). */
typedef struct IdRun
{
	MatchIds   *ids;
	int			from;
} IdRun;

#define ST_SORT sort_id_run
#define ST_ELEMENT_TYPE IdItem
#define ST_COMPARE_ARG_TYPE IdRun
#define ST_COMPARE(a, b, run) compare_values((run)->ids, (a)->pos, (b)->pos, (run)->from)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Compare two items of a type sorted by comparison: abbreviated keys (in
 * key, as Datums), then values.
 */
static inline int
compare_abbreviated(const IdItem *a, const IdItem *b, MatchIds *ids)
{
	if (ids->ssup.abbrev_converter)
	{
		int			r = ApplySortComparator((Datum) a->key, false,
											(Datum) b->key, false,
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

/* Sort a few items by key, by insertion. */
static inline void
insertion_items(IdItem *items, int64 n)
{
	for (int64 i = 1; i < n; i++)
	{
		IdItem		item = items[i];
		int64		j = i;

		while (j > 0 && items[j - 1].key > item.key)
		{
			items[j] = items[j - 1];
			j--;
		}
		items[j] = item;
	}
}

/*
 * Sort more than ID_INSERTION_ITEMS items by key, in place, tmp (as
 * large) as scratch: the items are counted into at most ID_RADIX_BUCKETS
 * buckets of their key's range, copied to tmp in the buckets' order and
 * back, and each bucket is sorted the same way; a few items by insertion,
 * here, so that the many small buckets cost no call.
 */
static void
radix_items(IdItem *items, IdItem *tmp, int64 n)
{
	int64		count[ID_RADIX_BUCKETS + 1];
	uint64		min,
				max;
	int			shift = 0;
	int32		nbuckets;

	CHECK_FOR_INTERRUPTS();
	min = max = items[0].key;
	for (int64 i = 1; i < n; i++)
	{
		min = Min(min, items[i].key);
		max = Max(max, items[i].key);
	}
	if (min == max)
		return;
	while (((max - min) >> shift) >= (uint64) Min(n, ID_RADIX_BUCKETS))
		shift++;
	nbuckets = (int32) ((max - min) >> shift) + 1;

	memset(count, 0, (nbuckets + 1) * sizeof(int64));
	for (int64 i = 0; i < n; i++)
		count[((items[i].key - min) >> shift) + 1]++;
	for (int32 b = 0; b < nbuckets; b++)
		count[b + 1] += count[b];
	for (int64 i = 0; i < n; i++)
		tmp[count[(items[i].key - min) >> shift]++] = items[i];
	memcpy(items, tmp, n * sizeof(IdItem));

	/* count[b] is now where bucket b + 1 begins */
	for (int32 b = 0; b < nbuckets && shift > 0; b++)
	{
		int64		start = b == 0 ? 0 : count[b - 1];
		int64		size = count[b] - start;

		if (size <= ID_INSERTION_ITEMS)
			insertion_items(items + start, size);
		else
			radix_items(items + start, tmp + start, size);
	}
}

/* Most bytes after the shared prefix a key of ID_BYTES covers. */
#define ID_KEY_BYTES	16

/*
 * ID_BYTES: how keys are made of the bytes after the prefix every value
 * shares.  A byte position i holds values in [lo[i], lo[i] + span[i]) (a
 * value too short for it counting as 0, below any byte a text can hold);
 * the key is the mixed-radix number of as many positions as fit in 64
 * bits, so that ids of few distinct bytes per position (digits) make
 * dense keys, which radix passes tell apart in few levels.
 */
typedef struct ByteKeys
{
	int			skip;			/* the shared prefix */
	int			npos;			/* positions in the key */
	bool		raw;			/* 8 positions of any byte: the key is them */
	int			lo[ID_KEY_BYTES];
	uint64		span[ID_KEY_BYTES];
	uint64		weight[ID_KEY_BYTES];	/* of a position: the spans after it */
} ByteKeys;

/* How many byte positions one pass over the values takes the range of */
#define ID_SCAN_BYTES	32

/*
 * ID_BYTES: the least and the greatest byte of the values at each of the
 * ID_SCAN_BYTES positions from position from on (a value too short for a
 * position counting as 0), into lo and hi.  Returns the length of the
 * shortest value.
 */
static int
scan_bytes(const MatchIds *ids, int64 n, int from, uint8 *lo, uint8 *hi)
{
	int			minlen = PG_INT32_MAX;

	memset(lo, 0xff, ID_SCAN_BYTES);
	memset(hi, 0, ID_SCAN_BYTES);
	for (int64 i = 0; i < n; i++)
	{
		int			len;
		const char *p = ids_value_bytes(ids, ids_value(ids, i), &len);
		uint8		b[ID_SCAN_BYTES];

		minlen = Min(minlen, len);
		if (len >= from + ID_SCAN_BYTES)
			memcpy(b, p + from, ID_SCAN_BYTES);
		else
		{
			memset(b, 0, ID_SCAN_BYTES);
			if (len > from)
				memcpy(b, p + from, len - from);
		}
		/* a loop the compiler makes a few vector instructions of */
		for (int k = 0; k < ID_SCAN_BYTES; k++)
		{
			lo[k] = Min(lo[k], b[k]);
			hi[k] = Max(hi[k], b[k]);
		}
		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return minlen;
}

/*
 * ID_BYTES: find the prefix every value shares, and the range of the
 * bytes after it, position by position: one pass over the values, more
 * only while the shared prefix is longer than ID_SCAN_BYTES -
 * ID_KEY_BYTES.
 */
static void
byte_keys(const MatchIds *ids, int64 n, ByteKeys *bk)
{
	uint8		lo[ID_SCAN_BYTES];
	uint8		hi[ID_SCAN_BYTES];
	int			from = 0;
	int			k;
	uint64		product = 1;

	for (;;)
	{
		int			minlen = scan_bytes(ids, n, from, lo, hi);

		/* positions every value has, holding the same byte in each */
		k = 0;
		while (from + k < minlen && k < ID_SCAN_BYTES && lo[k] == hi[k])
			k++;
		if (k + ID_KEY_BYTES <= ID_SCAN_BYTES)
			break;
		from += k;
	}
	bk->skip = from + k;
	bk->npos = 0;
	for (int pos = 0; pos < ID_KEY_BYTES; pos++)
	{
		uint64		span = (uint64) (hi[k + pos] - lo[k + pos]) + 1;

		if (product > PG_UINT64_MAX / span)
			break;
		product *= span;
		bk->lo[pos] = lo[k + pos];
		bk->span[pos] = span;
		bk->npos = pos + 1;
	}
	for (int pos = bk->npos - 1; pos >= 0; pos--)
		bk->weight[pos] = pos == bk->npos - 1 ? 1 :
			bk->weight[pos + 1] * bk->span[pos + 1];
	bk->raw = bk->npos == 8;
	for (int pos = 0; pos < bk->npos; pos++)
		bk->raw &= bk->span[pos] == 256;
}

/*
 * ID_BYTES: the key of value pos (see ByteKeys).
 */
static uint64
bytes_key(const MatchIds *ids, int64 pos, const ByteKeys *bk)
{
	int			len;
	const char *p = ids_value_bytes(ids, ids_value(ids, pos), &len);
	uint64		key = 0;

	if (bk->raw && len >= bk->skip + 8)
	{
		/* random bytes (uuid): the 8 bytes, big-endian */
		memcpy(&key, p + bk->skip, 8);
		return pg_ntoh64(key);
	}
	/* products independent of each other, not a chain of them */
	for (int k = 0; k < bk->npos; k++)
	{
		int			b = bk->skip + k < len ? (unsigned char) p[bk->skip + k] : 0;

		key += (uint64) (b - bk->lo[k]) * bk->weight[k];
	}
	return key;
}

/*
 * Whether the sort support's abbreviated keys compare as integers, and
 * so can be sorted by radix: the abbreviated key mapped to an unsigned
 * integer of the same order, into *key.
 */
static inline bool
abbreviated_key(MatchIds *ids, Datum abbrev, uint64 *key)
{
	int			(*cmp) (Datum, Datum, SortSupport) = ids->ssup.comparator;

	if (cmp == ssup_datum_unsigned_cmp)
		*key = (uint64) abbrev;
#if SIZEOF_DATUM >= 8
	else if (cmp == ssup_datum_signed_cmp)
		*key = (uint64) DatumGetInt64(abbrev) ^ (UINT64CONST(1) << 63);
#endif
	else if (cmp == ssup_datum_int32_cmp)
		*key = (uint64) ((uint32) DatumGetInt32(abbrev) ^ 0x80000000);
	else
		return false;
	return true;
}

/*
 * Put the items (one per value, positions in read order) in the values'
 * order.  Returns from how many bytes on values of equal keys still
 * differ (ID_BYTES; 0 otherwise), or -1 when the items were sorted by
 * comparison, their keys being abbreviated keys as Datums.
 */
static int
sort_items(MatchIds *ids, IdItem *items, int64 n)
{
	int			from = 0;
	bool		radix = true;
	IdItem	   *tmp;

	if (ids->order == ID_BYTES)
	{
		ByteKeys	bk;

		byte_keys(ids, n, &bk);
		for (int64 i = 0; i < n; i++)
			items[i].key = bytes_key(ids, i, &bk);
		from = bk.skip + bk.npos;
	}
	else
	{
		for (int64 i = 0; i < n && radix; i++)
		{
			Datum		abbrev = (Datum) 0;

			if (ids->ssup.abbrev_converter)
				abbrev = ids->ssup.abbrev_converter(ids_value(ids, i), &ids->ssup);
			items[i].key = (uint64) abbrev;
			radix = ids->ssup.abbrev_converter &&
				abbreviated_key(ids, abbrev, &items[i].key);
			if ((i & 0xffff) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		if (!radix)
		{
			for (int64 i = 0; i < n; i++)
				items[i].key = ids->ssup.abbrev_converter ?
					(uint64) ids->ssup.abbrev_converter(ids_value(ids, i),
														&ids->ssup) : 0;
			sort_id_items(items, n, ids);
			return -1;
		}
	}

	if (n <= ID_INSERTION_ITEMS)
		insertion_items(items, n);
	else
	{
		tmp = palloc_extended(n * sizeof(IdItem), MCXT_ALLOC_HUGE);
		radix_items(items, tmp, n);
		pfree(tmp);
	}
	for (int64 i = 0; i < n;)
	{
		int64		j = i + 1;

		while (j < n && items[j].key == items[i].key)
			j++;
		if (j - i > 1)
		{
			IdRun		run = {ids, from};

			sort_id_run(items + i, j - i, &run);
		}
		i = j;
	}
	return from;
}

/*
 * Compare the stored images of two values (positions a and b): values
 * their type calls equal may be spelled differently (numeric 1.0 and
 * 1.00), and each row shows its own.
 */
static int
compare_images(const MatchIds *ids, const IdItem *a, const IdItem *b)
{
	Datum		va = ids_value(ids, a->pos);
	Datum		vb = ids_value(ids, b->pos);

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
 * Whether item k is of the class of item k - 1: equal in the type's order.
 */
static inline bool
same_class(MatchIds *ids, const IdItem *items, int64 k, int from)
{
	if (from < 0)
		return compare_abbreviated(&items[k], &items[k - 1], ids) == 0;
	return items[k].key == items[k - 1].key &&
		compare_values(ids, items[k].pos, items[k - 1].pos, from) == 0;
}

/*
 * Give every row its id as ranked (rows[i].id is its read position on
 * entry, as match_ids_add() returned it): the rank of its class, the ids
 * its type calls equal, shifted left by 32 bits (see match_ids_shift()),
 * then its read position, where its value stays.  Rows of one class make
 * match_ids_repeated() say so.  Nothing to do for integer ids.
 */
void
match_ids_rank(MatchIds *ids, MatchRow *rows, int64 n)
{
	MemoryContext old;
	IdItem	   *items;
	int64		class = -1;
	int			from;

	if (ids->order == ID_INTEGER || n == 0)
		return;
	Assert(n == ids->n);
	/* a table holds fewer than 2^31 rows (see rows_reserve()) */
	Assert(n <= PG_INT32_MAX);
	old = MemoryContextSwitchTo(ids->values_cxt);
	items = palloc_extended(n * sizeof(IdItem), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
		items[i].pos = i;
	from = sort_items(ids, items, n);

	/* items are in value order, the rows in read order */
	for (int64 k = 0; k < n; k++)
	{
		if (k + ID_PREFETCH_AHEAD < n)
			compat_prefetch(&rows[items[k + ID_PREFETCH_AHEAD].pos]);
		if (k == 0 || !same_class(ids, items, k, from))
			class++;
		else
			ids->repeated = IDS_REPEATED;
		rows[items[k].pos].id = (class << 32) | items[k].pos;
		if ((k & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(items);
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
		IdItem		a = {0, rows[i].id & 0xffffffff};
		IdItem		b = {0, id & 0xffffffff};

		if ((rows[i].id >> 32) == (id >> 32) && compare_images(ids, &a, &b) < 0)
			id = rows[i].id;
	}
	return id;
}
