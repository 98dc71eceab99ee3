/*-------------------------------------------------------------------------
 *
 * match_ids_rank.c
 *	  Ranking the ids of a table that are not integers (see match_ids.c):
 *	  one sort of the values read gives each row the rank of its id among
 *	  the table's distinct ids, in the id type's btree order; the values
 *	  stay where they were read.
 *
 * Each value gets a 64-bit key whose unsigned order is the values' order
 * wherever two keys differ.  Its 32 most significant bits (of the keys'
 * range) and the value's read position make one 64-bit item, and the
 * items are sorted by radix; only values whose items' keys are equal are
 * compared further.  The key is:
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

/* Most bytes after the shared prefix a key of ID_BYTES covers. */
#define ID_KEY_BYTES	16

/*
 * ID_BYTES: how keys are made of the bytes after the prefix every value
 * shares.  A byte position i holds values in [lo[i], lo[i] + span[i]) (a
 * value too short for it counting as 0, below any byte a text can hold);
 * the key is the mixed-radix number of as many positions as fit in 64
 * bits, so that ids of few distinct bytes per position (digits) make
 * dense keys, whose 32 most significant bits tell most ids apart.  When
 * the first four positions hold any byte (random ids: uuid), the key is
 * the eight bytes themselves, which is cheaper to make and as good.
 */
typedef struct ByteKeys
{
	int			skip;			/* the shared prefix */
	int			npos;			/* positions in the key */
	bool		raw;			/* the key is the 8 bytes themselves */
	uint64		top;			/* the greatest key */
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
	int			minlen;

	for (;;)
	{
		minlen = scan_bytes(ids, n, from, lo, hi);

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
	bk->top = 0;
	for (int pos = 0; pos < ID_KEY_BYTES; pos++)
	{
		uint64		span = (uint64) (hi[k + pos] - lo[k + pos]) + 1;

		/* the greatest key, one position longer, must fit */
		if (bk->top > (PG_UINT64_MAX - (span - 1)) / span)
			break;
		bk->top = bk->top * span + (span - 1);
		bk->lo[pos] = lo[k + pos];
		bk->span[pos] = span;
		bk->npos = pos + 1;
	}
	/* positions of one byte in every value tell nothing apart */
	while (bk->npos > 0 && bk->span[bk->npos - 1] == 1)
		bk->npos--;
	for (int pos = bk->npos - 1; pos >= 0; pos--)
		bk->weight[pos] = pos == bk->npos - 1 ? 1 :
			bk->weight[pos + 1] * bk->span[pos + 1];
	bk->raw = minlen >= bk->skip + 8 && bk->npos >= 4;
	for (int pos = 0; pos < 4 && bk->raw; pos++)
		bk->raw = bk->span[pos] == 256;
	if (bk->raw)
		bk->top = PG_UINT64_MAX;
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

	if (bk->raw)
	{
		/* the 8 bytes, big-endian */
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
 * so can be sorted by radix.
 */
static inline bool
abbreviated_radix(const MatchIds *ids)
{
	int			(*cmp) (Datum, Datum, SortSupport) = ids->ssup.comparator;

	return ids->ssup.abbrev_converter &&
		(cmp == ssup_datum_unsigned_cmp ||
#if SIZEOF_DATUM >= 8
		 cmp == ssup_datum_signed_cmp ||
#endif
		 cmp == ssup_datum_int32_cmp);
}

/*
 * An abbreviated key (see abbreviated_radix()) as an unsigned integer of
 * the same order.
 */
static inline uint64
abbreviated_key(const MatchIds *ids, Datum abbrev)
{
#if SIZEOF_DATUM >= 8
	if (ids->ssup.comparator == ssup_datum_signed_cmp)
		return (uint64) DatumGetInt64(abbrev) ^ (UINT64CONST(1) << 63);
#endif
	if (ids->ssup.comparator == ssup_datum_int32_cmp)
		return (uint64) ((uint32) DatumGetInt32(abbrev) ^ 0x80000000);
	return (uint64) abbrev;
}

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
 * How far right keys up to top are shifted to keep their 32 most
 * significant bits, and in *bits how many bits those keys have.
 */
static inline int
key_cut(uint64 top, int *bits)
{
	*bits = top == 0 ? 0 : pg_leftmost_one_pos64(top) + 1;
	return Max(*bits - 32, 0);
}

/*
 * Rank the ids of a type whose keys (see the top of the file) sort by
 * radix.  Each value's key, less the least, is cut to its 32 most
 * significant bits and packed with the value's position (see ID_KEY), the
 * items are sorted by radix, and values of equal packed keys are compared
 * (from the first byte the key may not tell apart).
 */
static void
rank_packed(MatchIds *ids, MatchRow *rows, int64 n)
{
	uint64	   *items = palloc_extended(n * sizeof(uint64), MCXT_ALLOC_HUGE);
	uint64	   *tmp = palloc_extended(n * sizeof(uint64), MCXT_ALLOC_HUGE);
	uint32	   *rank;
	int			bits;
	int			cut;
	int			from = 0;
	int64		class = -1;

	if (ids->order == ID_BYTES)
	{
		ByteKeys	bk;

		byte_keys(ids, n, &bk);
		cut = key_cut(bk.top, &bits);
		for (int64 i = 0; i < n; i++)
			items[i] = ((bytes_key(ids, i, &bk) >> cut) << 32) | (uint64) i;
		/* keys cut short tell apart fewer bytes than they cover */
		from = cut > 0 ? bk.skip : bk.skip + bk.npos;
	}
	else
	{
		uint64		min = PG_UINT64_MAX;
		uint64		max = 0;

		for (int64 i = 0; i < n; i++)
		{
			items[i] = abbreviated_key(ids,
									   ids->ssup.abbrev_converter(ids_value(ids, i),
																  &ids->ssup));
			min = Min(min, items[i]);
			max = Max(max, items[i]);
			if ((i & 0xffff) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		cut = key_cut(max - min, &bits);
		for (int64 i = 0; i < n; i++)
			items[i] = (((items[i] - min) >> cut) << 32) | (uint64) i;
	}
	match_ids_radix(items, tmp, n, (Min(bits, 32) + 7) / 8);

	/* values of one key, sorted by comparison */
	for (int64 i = 0; i < n;)
	{
		int64		j = i + 1;

		while (j < n && ID_KEY(items[j]) == ID_KEY(items[i]))
			j++;
		if (j - i > 1)
		{
			IdRun		run = {ids, from};

			sort_id_run(items + i, j - i, &run);
		}
		i = j;
	}

	/*
	 * The items are in value order, the rows in read order: the classes go
	 * to an array of the rows' order first (the other half of the scratch
	 * space), smaller than the rows, where writing in no order costs less.
	 */
	rank = (uint32 *) tmp;
	for (int64 k = 0; k < n; k++)
	{
		int64		pos = ID_POS(items[k]);

		class = next_class(ids, k > 0 &&
						   ID_KEY(items[k]) == ID_KEY(items[k - 1]) &&
						   compare_values(ids, pos, ID_POS(items[k - 1]),
										  from) == 0,
						   class);
		rank[pos] = (uint32) class;
		if ((k & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (int64 i = 0; i < n; i++)
		rows[i].id = ranked_id(rank[i], i);
	pfree(items);
	pfree(tmp);
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

	if (ids->order == ID_INTEGER || n == 0)
		return;
	Assert(n == ids->n);
	/* a table holds fewer than 2^31 rows (see rows_reserve()) */
	Assert(n <= PG_INT32_MAX);
	old = MemoryContextSwitchTo(ids->values_cxt);
	if (ids->order == ID_BYTES || abbreviated_radix(ids))
		rank_packed(ids, rows, n);
	else
		rank_compared(ids, rows, n);
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
