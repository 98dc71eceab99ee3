/*-------------------------------------------------------------------------
 *
 * match_ids.c
 *	  The ids of one input table, of any type with a default btree operator
 *	  class, as the int64 a MatchRow keeps.
 *
 * Ids break ties between rows of the same date, in the id type's default
 * btree order (for a collatable type, under the id column's collation),
 * and a repeated id is an error.  Both need only the order of the ids, so
 * a row keeps:
 *
 *	- for smallint, integer and bigint ids, the id itself;
 *	- for any other type, its class: a number below 2^31 in the order of
 *	  the ids, the same for equal ids, in the high 32 bits, and in the low
 *	  32 bits the row's read position.  The values are copied as rows are
 *	  read (in read order, where they stay), then ranked once
 *	  (match_ids_rank()), which gives each row its class; the position
 *	  gives back the row's own value for the result and for messages.
 *
 * match_ids_rank.c ranks them, through the keys of match_ids_keys.c,
 * sorting with match_ids_radix.c.
 *
 *-------------------------------------------------------------------------
 */
#include "match_ids_int.h"
#include "compat.h"

#include "access/tupmacs.h"
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

/* A copied varlena at most this large goes into the current chunk. */
#define ID_CHUNK_MAX	(8 * 1024 * 1024)

/* Integer ids spread over more than this many values per row are not
 * kept in a bitmap (see note_integer()). */
#define ID_BITS_PER_ROW	64

/*
 * Create the ids of a table whose id column has the given base type and
 * collation, in cxt.
 */
MatchIds *
match_ids_create(Oid type, Oid collation, MemoryContext cxt)
{
	MatchIds   *ids = MemoryContextAllocZero(cxt, sizeof(MatchIds));
	bool		isvarlena;

	ids->type = type;
	ids->cxt = cxt;
	ids->values_cxt = AllocSetContextCreate(cxt, "accmatch ids",
											ALLOCSET_DEFAULT_SIZES);
	get_typlenbyvalalign(type, &ids->typlen, &ids->typbyval,
						 &ids->typalign);
	getTypeOutputInfo(type, &ids->out_func, &isvarlena);

	if (match_is_integer_type(type))
		ids->order = ID_INTEGER;
	else if (type == UUIDOID ||
			 ((type == TEXTOID || type == VARCHAROID || type == BPCHAROID) &&
			  compat_collation_is_c(collation)))
	{
		ids->order = ID_BYTES;
		ids->blank_padded = (type == BPCHAROID);
	}
	else
	{
		TypeCacheEntry *tc = lookup_type_cache(type, TYPECACHE_LT_OPR);
		MemoryContext old = MemoryContextSwitchTo(cxt);

		ids->order = ID_TYPE;
		ids->ssup.ssup_cxt = cxt;
		ids->ssup.ssup_collation = collation;
		ids->ssup.ssup_nulls_first = false;
		ids->ssup.abbreviate = true;
		PrepareSortSupportFromOrderingOp(tc->lt_opr, &ids->ssup);
		MemoryContextSwitchTo(old);
	}
	match_ids_reset(ids);
	return ids;
}

/*
 * Forget every id, to read another batch of rows.
 */
void
match_ids_reset(MatchIds *ids)
{
	MemoryContextReset(ids->values_cxt);
	ids->values = NULL;
	ids->fixed = NULL;
	ids->n = ids->cap = 0;
	ids->chunk = NULL;
	ids->chunk_used = ids->chunk_size = 0;
	ids->seen = NULL;
	ids->seen_base = ids->seen_bits = ids->nseen = 0;
	ids->repeated = IDS_DISTINCT;
	memset(ids->lo, 0xff, ID_SCAN_BYTES);
	memset(ids->hi, 0, ID_SCAN_BYTES);
	ids->minlen = PG_INT32_MAX;
}

/*
 * Note an integer id in the bitmap of the ids seen, so that whether any
 * id repeats is known once the rows are read, without a pass over them
 * (see match_ids_repeated()).  The bitmap covers the ids' range as it
 * grows; ids spread over more than ID_BITS_PER_ROW values per row (of
 * those read, or expected) make it too large, and it is given up: whether
 * ids repeat is then unknown.
 */
static void
note_integer(MatchIds *ids, int64 id)
{
	uint64		bit;

	ids->nseen++;
	if (ids->repeated == IDS_UNKNOWN)
		return;
	if (ids->seen == NULL || id < ids->seen_base ||
		(uint64) id - (uint64) ids->seen_base >= (uint64) ids->seen_bits)
	{
		int64		lo = ids->seen == NULL ? id : Min(id, ids->seen_base);
		int64		hi = ids->seen == NULL ? id :
			Max(id, ids->seen_base + ids->seen_bits - 1);
		uint64		want = Max((uint64) hi - (uint64) lo + 1,
							   2 * (uint64) ids->seen_bits);
		int64		base;
		int64		nbits;
		uint64	   *seen;

		if (want > (uint64) Max(Max(ids->nseen, ids->expected), 65536) *
			ID_BITS_PER_ROW)
		{
			ids->repeated = IDS_UNKNOWN;
			return;
		}
		/* room on both sides of the ids so far, whole words */
		nbits = (int64) TYPEALIGN(64, want + 128);
		base = lo - (int64) ((uint64) (nbits - ((uint64) hi - (uint64) lo + 1)) / 2);
		base -= ((base % 64) + 64) % 64;
		seen = MemoryContextAllocExtended(ids->values_cxt,
										  nbits / 8 + sizeof(uint64),
										  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		if (ids->seen)
		{
			for (int64 w = 0; w < ids->seen_bits / 64; w++)
				seen[(ids->seen_base - base) / 64 + w] = ids->seen[w];
			pfree(ids->seen);
		}
		ids->seen = seen;
		ids->seen_base = base;
		ids->seen_bits = nbits;
	}
	bit = (uint64) id - (uint64) ids->seen_base;
	if (ids->seen[bit / 64] & (UINT64CONST(1) << (bit % 64)))
		ids->repeated = IDS_REPEATED;
	ids->seen[bit / 64] |= UINT64CONST(1) << (bit % 64);
}

/*
 * Whether two rows read so far share an id: IDS_DISTINCT when none do,
 * IDS_REPEATED when some do, IDS_UNKNOWN when that was not kept track of.
 * Integer ids are noted as they are read; other ids are known once ranked.
 */
IdsRepeated
match_ids_repeated(const MatchIds *ids)
{
	return ids->repeated;
}

/*
 * How far right a row's id is shifted to compare ids as their type does
 * (see match_ids_rank()): 0 for integer ids, kept as they are.
 */
int
match_ids_shift(const MatchIds *ids)
{
	return ids->order == ID_INTEGER ? 0 : 32;
}

/*
 * Note how many rows the planner expects, so that the bitmap of integer
 * ids (see note_integer()) is not given up while the first rows are
 * spread over a range the rest fill.
 */
void
match_ids_expect(MatchIds *ids, int64 rows)
{
	ids->expected = rows;
}

/*
 * Room for size bytes, aligned as the type wants, among the copies: they
 * are packed into chunks, without a header each.
 */
static char *
copy_room(MatchIds *ids, Size size)
{
	Size		start = att_align_nominal(ids->chunk_used, ids->typalign);

	if (size > ID_CHUNK_MAX / 4)
		return MemoryContextAllocHuge(ids->values_cxt, size);
	if (ids->chunk == NULL || start + size > ids->chunk_size)
	{
		ids->chunk_size = ids->chunk_size == 0 ? 65536 :
			Min(ids->chunk_size * 2, ID_CHUNK_MAX);
		ids->chunk = MemoryContextAlloc(ids->values_cxt, ids->chunk_size);
		start = 0;
	}
	ids->chunk_used = start + size;
	return ids->chunk + start;
}

/*
 * A copy of a value that outlives the row holding it (not one of a
 * fixed-length type passed by reference, which goes to fixed): varlenas
 * detoasted, with a plain 4-byte header, so that the type's functions need
 * not copy them again.
 */
static Datum
copy_value(MatchIds *ids, Datum value)
{
	char	   *copy;

	if (ids->typbyval)
		return value;
	if (ids->typlen == -1)
	{
		struct varlena *v = PG_DETOAST_DATUM_PACKED(value);
		Size		len = VARSIZE_ANY_EXHDR(v);

		copy = copy_room(ids, VARHDRSZ + len);
		SET_VARSIZE(copy, VARHDRSZ + len);
		memcpy(VARDATA(copy), VARDATA_ANY(v), len);
		if ((Pointer) v != DatumGetPointer(value))
			pfree(v);
	}
	else
	{
		Size		len = strlen(DatumGetCString(value)) + 1;

		copy = copy_room(ids, len);
		memcpy(copy, DatumGetCString(value), len);
	}
	return PointerGetDatum(copy);
}

/*
 * The id of a row just read, as its MatchRow keeps it until
 * match_ids_rank(): for integer ids the value, else the row's position in
 * read order (the value is kept, copied).
 */
int64
match_ids_add(MatchIds *ids, Datum value)
{
	if (ids->order == ID_INTEGER)
	{
		int64		id = ids->type == INT2OID ? DatumGetInt16(value) :
			ids->type == INT4OID ? DatumGetInt32(value) : DatumGetInt64(value);

		note_integer(ids, id);
		return id;
	}
	if (ids->n == ids->cap)
	{
		int64		cap = Max(Max(1024, ids->expected), ids->cap + ids->cap / 2);

		if (ids->typlen > 0 && !ids->typbyval)
			ids->fixed = ids->fixed == NULL ?
				MemoryContextAllocHuge(ids->values_cxt, cap * ids->typlen) :
				repalloc_huge(ids->fixed, cap * ids->typlen);
		else
			ids->values = ids->values == NULL ?
				MemoryContextAllocHuge(ids->values_cxt, cap * sizeof(Datum)) :
				repalloc_huge(ids->values, cap * sizeof(Datum));
		ids->cap = cap;
	}
	if (ids->fixed && ids->typlen == 16)
		memcpy(ids->fixed + ids->n * 16, DatumGetPointer(value), 16);
	else if (ids->fixed)
		memcpy(ids->fixed + ids->n * ids->typlen, DatumGetPointer(value),
			   ids->typlen);
	else
		ids->values[ids->n] = copy_value(ids, value);
	if (ids->order == ID_BYTES)
	{
		int			len;
		const char *p = ids_value_bytes(ids, ids_value(ids, ids->n), &len);

		/* the bytes' range, for the keys that rank the ids */
		ids->minlen = Min(ids->minlen, len);
		scan_value(ids->lo, ids->hi, p, len, 0);
	}
	return ids->n++;
}

/*
 * The value of an id as a row keeps it (see the top of the file), as a
 * Datum of the id column's base type.
 */
Datum
match_ids_datum(const MatchIds *ids, int64 id)
{
	switch (ids->type)
	{
		case INT2OID:
			return Int16GetDatum((int16) id);
		case INT4OID:
			return Int32GetDatum((int32) id);
		case INT8OID:
			return Int64GetDatum(id);
	}
	return ids_value(ids, id & 0xffffffff);
}

/*
 * Where the values of ids lie: see IdsWhere.
 */
void
match_ids_where(const MatchIds *ids, IdsWhere *where)
{
	where->fixed = ids->fixed;
	where->typlen = ids->typlen;
	where->values = ids->values;
	where->byval = ids->typbyval;
}

/*
 * An id as text, for messages.
 */
char *
match_ids_text(const MatchIds *ids, int64 id)
{
	return OidOutputFunctionCall(ids->out_func, match_ids_datum(ids, id));
}
