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
 *	- for any other type, its rank: the number of distinct ids of the table
 *	  that sort before it.  The values are copied as rows are read (in read
 *	  order, the row keeping its position), then sorted once
 *	  (match_ids_rank()), which gives each row its rank and leaves the
 *	  distinct values in order, so that a rank gives back its value for the
 *	  result and for messages.
 *
 * The sort: ids whose order is the order of their bytes (uuid; text,
 * varchar and char(n) under a C collation) are put in order by radix on 8
 * of their bytes, taken after the prefix every id shares (ids such as
 * 'PAY-000000012345' differ only in their last digits), and only ids whose
 * 8 bytes agree are compared further.  Other types are sorted by
 * comparison with the type's sort support, abbreviated keys first where
 * the type offers them (numeric; text under a language collation, whose
 * comparisons are the costly part).
 *
 *-------------------------------------------------------------------------
 */
#include "match.h"
#include "compat.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "access/tupmacs.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/sortsupport.h"
#include "utils/typcache.h"

/* How ids compare: as integers, by their bytes, or by the type. */
typedef enum IdOrder
{
	ID_INTEGER,
	ID_BYTES,					/* uuid, or text-like under a C collation */
	ID_TYPE
} IdOrder;

/* A copied value at most this large goes into the current chunk. */
#define ID_CHUNK_MAX	(8 * 1024 * 1024)

/* Integer ids spread over more than this many values per row are not
 * kept in a bitmap (see note_integer()). */
#define ID_BITS_PER_ROW	64

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
	Datum	   *values;			/* read order, then by rank */
	int64		n;
	int64		cap;
	char	   *chunk;			/* where copies of values go */
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

/* A value to be put in order: its abbreviated key, its read position. */
typedef struct IdItem
{
	Datum		abbrev;
	int64		pos;
} IdItem;

/*
 * Compare two values of the table (positions a and b of values) in the
 * type's order, with the sort support's full comparison.
 */
static inline int
compare_values(MatchIds *ids, int64 a, int64 b)
{
	if (ids->ssup.abbrev_converter)
		return ApplySortAbbrevFullComparator(ids->values[a], false,
											 ids->values[b], false,
											 &ids->ssup);
	return ApplySortComparator(ids->values[a], false, ids->values[b], false,
							   &ids->ssup);
}

static inline int
compare_items(const IdItem *a, const IdItem *b, MatchIds *ids)
{
	if (ids->ssup.abbrev_converter)
	{
		int			r = ApplySortComparator(a->abbrev, false, b->abbrev, false,
											&ids->ssup);

		if (r != 0)
			return r;
	}
	return compare_values(ids, a->pos, b->pos);
}

#define ST_SORT sort_id_items
#define ST_ELEMENT_TYPE IdItem
#define ST_COMPARE_ARG_TYPE MatchIds
#define ST_COMPARE(a, b, ids) compare_items(a, b, ids)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * The bytes of a value whose order is the order of its bytes (ID_BYTES):
 * uuid's 16, or a text's characters, char(n)'s without trailing blanks.
 */
static inline const char *
value_bytes(const MatchIds *ids, Datum value, int *len)
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
 * Compare the bytes of two values from offset from on: byte by byte, then
 * the shorter first, which is the C collation's order (and uuid's).
 */
static inline int
compare_bytes(const MatchIds *ids, int64 a, int64 b, int from)
{
	int			alen,
				blen;
	const char *ap = value_bytes(ids, ids->values[a], &alen);
	const char *bp = value_bytes(ids, ids->values[b], &blen);
	int			r;

	alen -= from;
	blen -= from;
	r = memcmp(ap + from, bp + from, Min(alen, blen));
	if (r != 0)
		return r;
	return (alen > blen) - (alen < blen);
}

/* Rows of one radix key, compared on from byte 'from' on (ID_BYTES). */
typedef struct ByteRun
{
	MatchIds   *ids;
	int			from;
} ByteRun;

#define ST_SORT sort_byte_run
#define ST_ELEMENT_TYPE MatchRow
#define ST_COMPARE_ARG_TYPE ByteRun
#define ST_COMPARE(a, b, run) compare_bytes((run)->ids, (a)->id, (b)->id, (run)->from)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

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
	ids->n = ids->cap = 0;
	ids->chunk = NULL;
	ids->chunk_used = ids->chunk_size = 0;
	ids->seen = NULL;
	ids->seen_base = ids->seen_bits = ids->nseen = 0;
	ids->repeated = IDS_DISTINCT;
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
 * A copy of a value that outlives the row holding it: varlenas detoasted,
 * with a plain 4-byte header, so that the type's functions need not copy
 * them again.
 */
static Datum
copy_value(MatchIds *ids, Datum value)
{
	char	   *copy;

	if (ids->typbyval)
		return value;
	if (ids->typlen > 0)
	{
		copy = copy_room(ids, ids->typlen);
		memcpy(copy, DatumGetPointer(value), ids->typlen);
	}
	else if (ids->typlen == -1)
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
		int64		cap = Max(1024, ids->cap + ids->cap / 2);

		ids->values = ids->values == NULL ?
			MemoryContextAllocHuge(ids->values_cxt, cap * sizeof(Datum)) :
			repalloc_huge(ids->values, cap * sizeof(Datum));
		ids->cap = cap;
	}
	ids->values[ids->n] = copy_value(ids, value);
	return ids->n++;
}

/*
 * ID_BYTES: the 8 bytes of value pos after the first skip, most
 * significant first (missing bytes count as 0, below any byte a text can
 * hold), as an int64 whose signed order is their unsigned order.
 */
static int64
bytes_key(const MatchIds *ids, int64 pos, int skip)
{
	int			len;
	const char *p = value_bytes(ids, ids->values[pos], &len);
	uint64		key = 0;

	for (int i = 0; i < 8; i++)
	{
		key <<= 8;
		if (skip + i < len)
			key |= (unsigned char) p[skip + i];
	}
	return (int64) (key ^ (UINT64CONST(1) << 63));
}

/*
 * ID_BYTES: put the rows' positions (in items[].id) in the order of their
 * values: by radix on 8 bytes after the prefix all share, then runs whose
 * 8 bytes agree by the bytes after them.  Returns that prefix's length.
 */
static int
sort_by_bytes(MatchIds *ids, MatchRow *items, int64 n)
{
	int			first_len;
	const char *first = value_bytes(ids, ids->values[0], &first_len);
	int			shared = first_len;

	for (int64 i = 1; i < n && shared > 0; i++)
	{
		int			len;
		const char *p = value_bytes(ids, ids->values[i], &len);
		int			k = 0;

		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		shared = Min(shared, len);
		while (k < shared && p[k] == first[k])
			k++;
		shared = k;
	}
	for (int64 i = 0; i < n; i++)
	{
		items[i].date = bytes_key(ids, i, shared);
		items[i].id = i;
	}
	match_sort_rows(items, (int32) n);

	for (int64 i = 0; i < n;)
	{
		int64		j = i + 1;

		while (j < n && items[j].date == items[i].date)
			j++;
		if (j - i > 1)
		{
			ByteRun		run = {ids, shared + 8};

			sort_byte_run(items + i, j - i, &run);
		}
		i = j;
	}
	return shared;
}

/*
 * Give every row its id's rank (rows[i].id is its read position on entry,
 * as match_ids_add() returned it) and keep the distinct values in order.
 * Equal ids get equal ranks.  Nothing to do for integer ids.
 */
void
match_ids_rank(MatchIds *ids, MatchRow *rows, int64 n)
{
	MemoryContext old;
	Datum	   *ranked;
	int64		rank = -1;

	if (ids->order == ID_INTEGER || n == 0)
		return;
	Assert(n == ids->n);
	old = MemoryContextSwitchTo(ids->values_cxt);
	ranked = palloc_extended(n * sizeof(Datum), MCXT_ALLOC_HUGE);

	if (ids->order == ID_BYTES)
	{
		MatchRow   *items = palloc_extended(n * sizeof(MatchRow),
											MCXT_ALLOC_HUGE);
		int			shared = sort_by_bytes(ids, items, n);

		for (int64 k = 0; k < n; k++)
		{
			int64		pos = items[k].id;

			if (k == 0 || items[k].date != items[k - 1].date ||
				compare_bytes(ids, pos, items[k - 1].id, shared + 8) != 0)
				ranked[++rank] = ids->values[pos];
			else
				ids->repeated = IDS_REPEATED;
			rows[pos].id = rank;
			if ((k & 0xffff) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		pfree(items);
	}
	else
	{
		IdItem	   *items = palloc_extended(n * sizeof(IdItem),
											MCXT_ALLOC_HUGE);

		for (int64 i = 0; i < n; i++)
		{
			items[i].pos = i;
			items[i].abbrev = ids->ssup.abbrev_converter ?
				ids->ssup.abbrev_converter(ids->values[i], &ids->ssup) :
				(Datum) 0;
		}
		sort_id_items(items, n, ids);
		for (int64 k = 0; k < n; k++)
		{
			if (k == 0 || compare_items(&items[k], &items[k - 1], ids) != 0)
				ranked[++rank] = ids->values[items[k].pos];
			else
				ids->repeated = IDS_REPEATED;
			rows[items[k].pos].id = rank;
		}
		pfree(items);
	}

	pfree(ids->values);
	ids->values = ranked;
	ids->cap = n;
	ids->n = rank + 1;
	MemoryContextSwitchTo(old);
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
	Assert(id >= 0 && id < ids->n);
	return ids->values[id];
}

/*
 * An id as text, for messages.
 */
char *
match_ids_text(const MatchIds *ids, int64 id)
{
	return OidOutputFunctionCall(ids->out_func, match_ids_datum(ids, id));
}
