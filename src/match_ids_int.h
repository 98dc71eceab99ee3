/*-------------------------------------------------------------------------
 *
 * match_ids_int.h
 *	  Private to the ids of the input tables: how match_ids.c keeps them
 *	  as they are read, for match_ids_rank.c, which ranks them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MATCH_IDS_INT_H
#define MATCH_IDS_INT_H

#include "match.h"

#include "port/pg_bswap.h"
#include "utils/sortsupport.h"

/* How many byte positions one pass over the values takes the range of */
#define ID_SCAN_BYTES	32

/* How ids compare: as integers, by their bytes, or by the type. */
typedef enum IdOrder
{
	ID_INTEGER,
	ID_BYTES,					/* uuid, or text-like under a C collation */
	ID_TYPE
} IdOrder;

/*
 * One table's ids.  Integer ids are not kept: rows keep them.  Others are
 * kept as read, row by row: values of a fixed-length type passed by
 * reference (uuid) one after another in fixed, every other type as Datums
 * in values (varlenas pointing into chunks of copies).  Ranking leaves
 * them where they are.
 */
struct MatchIds
{
	Oid			type;
	IdOrder		order;
	bool		blank_padded;	/* char(n): trailing blanks do not count */
	int16		typlen;
	bool		typbyval;
	char		typalign;
	MemoryContext cxt;			/* the struct and its sort support */
	MemoryContext values_cxt;	/* values and their copies; reset per batch */
	char	   *fixed;			/* fixed-length by reference: the values */
	Datum	   *values;			/* any other: the Datums */
	int64		n;
	int64		cap;
	char	   *chunk;			/* where copies of varlenas go */
	Size		chunk_used;
	Size		chunk_size;
	SortSupportData ssup;		/* ID_TYPE: the type's btree order */
	Oid			out_func;

	/* integer ids seen so far, as bits from base on (see note_integer()) */
	uint64	   *seen;
	int64		seen_base;
	int64		seen_bits;
	int64		nseen;
	int64		expected;		/* rows the planner expects */
	IdsRepeated repeated;

	/* ID_BYTES: the range of the first bytes of the ids so far */
	uint8		lo[ID_SCAN_BYTES];
	uint8		hi[ID_SCAN_BYTES];
	int			minlen;			/* the shortest id's length */
};

/*
 * Value pos of ids, in read order.
 */
static inline Datum
ids_value(const MatchIds *ids, int64 pos)
{
	if (ids->fixed)
		return PointerGetDatum(ids->fixed + pos * ids->typlen);
	return ids->values[pos];
}

/*
 * The bytes of a value whose order is the order of its bytes (ID_BYTES):
 * uuid's 16, or a text's characters, char(n)'s without trailing blanks.
 */
static inline const char *
ids_value_bytes(const MatchIds *ids, Datum value, int *len)
{
	const char *p = DatumGetPointer(value);

	if (ids->typlen > 0)
	{
		*len = ids->typlen;
		return p;
	}
	*len = VARSIZE(p) - VARHDRSZ;
	p = VARDATA(p);
	if (ids->blank_padded)
		while (*len > 0 && p[*len - 1] == ' ')
			(*len)--;
	return p;
}

/*
 * Widen the range of the bytes at each of the ID_SCAN_BYTES positions from
 * position from on, lo and hi, to the bytes of a value of len bytes at p.
 * Positions past the value are left alone: the least byte of a position
 * some value is too short for is 0, which the caller sets (see
 * scan_bytes() in match_ids_keys.c).
 */
static inline void
scan_value(uint8 *lo, uint8 *hi, const char *p, int len, int from)
{
	const uint8 *b = (const uint8 *) p + from;
	int			avail = Min(len - from, ID_SCAN_BYTES);
	int			k = 0;

	/*
	 * 16 bytes at once, through copies that cannot overlap: loops the
	 * compiler makes a few vector instructions of
	 */
	for (; k + 16 <= avail; k += 16)
	{
		uint8		v[16],
					l[16],
					h[16];

		memcpy(v, b + k, 16);
		memcpy(l, lo + k, 16);
		memcpy(h, hi + k, 16);
		for (int j = 0; j < 16; j++)
		{
			l[j] = Min(l[j], v[j]);
			h[j] = Max(h[j], v[j]);
		}
		memcpy(lo + k, l, 16);
		memcpy(hi + k, h, 16);
	}
	for (; k < avail; k++)
	{
		lo[k] = Min(lo[k], b[k]);
		hi[k] = Max(hi[k], b[k]);
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
 * dense keys, whose most significant bits tell most ids apart.  When the
 * first four positions hold any byte (random ids: uuid), the key is the
 * eight bytes themselves, which is cheaper to make and as good.
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

/*
 * The 64-bit keys of a table's values (see match_ids_keys()): their
 * unsigned order is the values' order wherever two keys differ.  They
 * span bits bits (the least key is 0).
 */
typedef struct IdKeys
{
	int			bits;
	ByteKeys	bytes;			/* ID_BYTES: made from the bytes */
	uint64	   *abbrev;			/* else: one per value, made once */
} IdKeys;

/*
 * ID_BYTES: the key of value pos (see ByteKeys).
 */
static inline uint64
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
 * The key of value pos.
 */
static inline uint64
ids_key(const MatchIds *ids, const IdKeys *keys, int64 pos)
{
	if (keys->abbrev)
		return keys->abbrev[pos];
	return bytes_key(ids, pos, &keys->bytes);
}

/*
 * A value to be put in order by radix: its key, cut to at most 32 bits,
 * in the high half, its read position in the low half, so that sorting
 * the items as integers sorts the values by key, then by position.
 */
#define ID_POS(item)	((int64) ((item) & 0xffffffff))
#define ID_KEY(item)	((item) >> 32)

/* The most bytes of a packed item's key (see match_ids_radix()) */
#define ID_RADIX_BYTES	4

extern bool match_ids_keys(MatchIds *ids, int64 n, IdKeys *keys);
extern int	match_ids_keys_from(const MatchIds *ids, const IdKeys *keys,
								int cut);
extern void match_ids_radix(uint64 *items, uint64 *tmp, int64 n, int nbytes);

#endif							/* MATCH_IDS_INT_H */
