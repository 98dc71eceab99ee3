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

#include "utils/sortsupport.h"

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
 * A value to be put in order by radix: its key, cut to 32 bits (see
 * rank_packed() in match_ids_rank.c), in the high half, its read position
 * in the low half, so that sorting the items as integers sorts the values
 * by key, then by position.
 */
#define ID_POS(item)	((int64) ((item) & 0xffffffff))
#define ID_KEY(item)	((item) >> 32)

/* The most bytes of a packed item's key (see match_ids_radix()) */
#define ID_RADIX_BYTES	4

extern void match_ids_radix(uint64 *items, uint64 *tmp, int64 n, int nbytes);

#endif							/* MATCH_IDS_INT_H */
