/*-------------------------------------------------------------------------
 *
 * match_ids_keys.c
 *	  The 64-bit keys that rank the ids of a table (see match_ids_rank.c):
 *	  unsigned integers whose order is the values' order wherever two keys
 *	  differ, so that most values are put in order as integers and only
 *	  values of equal keys are compared.  The key is:
 *
 *	- for ids whose order is the order of their bytes (uuid; text, varchar
 *	  and char(n) under a C collation), their bytes after the prefix every
 *	  id shares (ids such as 'PAY-000000012345' differ only in their last
 *	  digits), as a number of as many of them as fit (see ByteKeys);
 *	- for other types, the abbreviated key of the type's sort support, when
 *	  the type offers one compared as an integer (text under a language
 *	  collation, whose comparisons are the costly part).
 *
 * Types without such a key (numeric, date, ...) have none.
 *
 *-------------------------------------------------------------------------
 */
#include "match_ids_int.h"

#include "miscadmin.h"
#include "port/pg_bitutils.h"

/*
 * ID_BYTES: the least and the greatest byte of the values at each of the
 * ID_SCAN_BYTES positions from position from on (a value too short for a
 * position counting as 0), into lo and hi.  Returns the length of the
 * shortest value.  Those from position 0 on were kept as the values were
 * read (see match_ids_add()).
 */
static int
scan_bytes(const MatchIds *ids, int64 n, int from, uint8 *lo, uint8 *hi)
{
	int			minlen = ids->minlen;

	if (from == 0)
	{
		memcpy(lo, ids->lo, ID_SCAN_BYTES);
		memcpy(hi, ids->hi, ID_SCAN_BYTES);
	}
	else
	{
		memset(lo, 0xff, ID_SCAN_BYTES);
		memset(hi, 0, ID_SCAN_BYTES);
		for (int64 i = 0; i < n; i++)
		{
			int			len;
			const char *p = ids_value_bytes(ids, ids_value(ids, i), &len);

			scan_value(lo, hi, p, len, from);
			if ((i & 0xffff) == 0)
				CHECK_FOR_INTERRUPTS();
		}
	}
	/* a value too short for a position counts as 0 there */
	for (int k = Max(minlen - from, 0); k < ID_SCAN_BYTES; k++)
		lo[k] = 0;
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
 * Whether the sort support's abbreviated keys compare as integers, and
 * so can be keys.
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

/* How many bits keys up to top span */
static inline int
key_bits(uint64 top)
{
	return top == 0 ? 0 : pg_leftmost_one_pos64(top) + 1;
}

/*
 * Make the keys of the n values of ids (see the top of the file), less
 * the least, in the current memory context.  Returns false when their
 * type has none.
 */
bool
match_ids_keys(MatchIds *ids, int64 n, IdKeys *keys)
{
	uint64		min = PG_UINT64_MAX;
	uint64		max = 0;

	keys->abbrev = NULL;
	if (ids->order == ID_BYTES)
	{
		byte_keys(ids, n, &keys->bytes);
		keys->bits = key_bits(keys->bytes.top);
		return true;
	}
	if (!abbreviated_radix(ids))
		return false;
	keys->abbrev = palloc_extended(n * sizeof(uint64), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
	{
		uint64		key = abbreviated_key(ids,
										  ids->ssup.abbrev_converter(ids_value(ids, i),
																	 &ids->ssup));

		keys->abbrev[i] = key;
		min = Min(min, key);
		max = Max(max, key);
		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (int64 i = 0; i < n; i++)
		keys->abbrev[i] -= min;
	keys->bits = key_bits(max - min);
	return true;
}

/*
 * The first byte from which two values whose keys, shifted right by cut
 * bits, are equal may differ (see compare_values() in match_ids_rank.c):
 * keys cut short tell apart fewer bytes than they cover.  0 for keys not
 * made of bytes.
 */
int
match_ids_keys_from(const MatchIds *ids, const IdKeys *keys, int cut)
{
	if (ids->order != ID_BYTES)
		return 0;
	return cut > 0 ? keys->bytes.skip : keys->bytes.skip + keys->bytes.npos;
}
