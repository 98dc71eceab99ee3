/*-------------------------------------------------------------------------
 *
 * match_sort.h
 *	  The sort of match_core.c, and its grouping of partition_by's rows
 *	  read in one go, as a template: included once for rows alone
 *	  (match_payments()), and once for rows whose amounts, in an array
 *	  parallel to them, move with them (allocate_payments()), so that the
 *	  amounts need no second pass nor a second array to follow the sort.
 *	  Both put rows into buckets the same way (place_rows()).
 *
 * Before including, define:
 *
 *	MS_NAME(name)	the name of each function made here, e.g. name##_amounts
 *	MS_AMOUNTS		when the rows have amounts
 *
 * match_core.c defines the helpers used here (the comparison sorts of
 * rows alone, row_key(), the bucket limits); the macros defined here are
 * undefined at the end.
 *
 * IDENTIFICATION
 *	  src/match_sort.h
 *
 *-------------------------------------------------------------------------
 */

/* The bucket of a row: its key less base, shifted right by shift. */
#define MS_BUCKET(row, key, base, shift) \
	((int32) (((uint64) row_key(&(row), key) - (uint64) (base)) >> (shift)))

/*
 * A parameter and an argument that exist only with amounts, and moves of
 * a row (r[i]) with its amount (a[i]): MS_KEEP declares tmp, a copy of
 * row i, MS_PUT stores it back at i.
 */

#ifdef MS_AMOUNTS
#define MS_HAS_AMOUNTS		true
#define MS_PARAM(name)		, int64 *name
#define MS_ARG(name, off)	, (name) + (off)
#define MS_MOVE(r, a, dst, src) \
	do { (r)[dst] = (r)[src]; (a)[dst] = (a)[src]; } while (0)
#define MS_KEEP(tmp, r, a, i) \
	MatchRow	tmp = (r)[i]; \
	int64		tmp##_amount = (a)[i]
#define MS_PUT(r, a, i, tmp) \
	do { (r)[i] = tmp; (a)[i] = tmp##_amount; } while (0)
#else
#define MS_HAS_AMOUNTS		false
#define MS_PARAM(name)
#define MS_ARG(name, off)
#define MS_MOVE(r, a, dst, src)	((r)[dst] = (r)[src])
#define MS_KEEP(tmp, r, a, i)	MatchRow	tmp = (r)[i]
#define MS_PUT(r, a, i, tmp)	((r)[i] = tmp)
#endif

/*
 * Sort a few rows by insertion: by id alone when by_id (rows of one date),
 * else by (date, id).  Most buckets of the id level hold a handful of rows.
 */
static inline void
MS_NAME(insertion_sort) (MatchRow *rows MS_PARAM(amount), int32 n,
						 bool by_id)
{
	for (int32 i = 1; i < n; i++)
	{
		MS_KEEP(row, rows, amount, i);
		int32		j = i;

		while (j > 0 && (by_id ? rows[j - 1].id > row.id :
						 compare_rows(&rows[j - 1], &row) > 0))
		{
			MS_MOVE(rows, amount, j, j - 1);
			j--;
		}
		MS_PUT(rows, amount, j, row);
	}
}

/*
 * Lay out nbuckets buckets by counting the rows of each, the bucket of a
 * row being its key (see row_key()) less base, shifted right by shift
 * (start gets their nbuckets + 1 bounds), and swap every row into the
 * next free place of its bucket.
 *
 * Rows of a bucket's unplaced part are taken in order, each swapped with
 * the next free place of its own bucket, and the row that comes back is
 * left for the next round: one row is placed per swap, and consecutive
 * swaps do not wait for one another's memory reads, as following a cycle
 * of displaced rows would.  Rounds repeat over the buckets not yet full
 * (todo) until there are none: a round costs about the rows it places, so
 * the whole is linear however many rounds it takes.
 */
static inline void
MS_NAME(place_rows) (MatchRow *rows MS_PARAM(amount), int32 n, int32 *start,
					 int32 nbuckets, RowKey key, int64 base, int shift)
{
	int32	   *fill = palloc(nbuckets * sizeof(int32));
	int32	   *todo = palloc(nbuckets * sizeof(int32));
	int32		ntodo = nbuckets;
	uint32		swaps = 0;

	memset(start, 0, (nbuckets + 1) * sizeof(int32));
	for (int32 i = 0; i < n; i++)
		start[MS_BUCKET(rows[i], key, base, shift) + 1]++;
	for (int32 b = 0; b < nbuckets; b++)
	{
		start[b + 1] += start[b];
		fill[b] = start[b];
		todo[b] = b;
	}
	while (ntodo > 0)
	{
		int32		kept = 0;

		for (int32 t = 0; t < ntodo; t++)
		{
			int32		b = todo[t];
			int32		end = start[b + 1];

			for (int32 i = fill[b]; i < end; i++)
			{
				MS_KEEP(row, rows, amount, i);
				int32		to = fill[MS_BUCKET(row, key, base, shift)]++;

				if ((++swaps & 0xffff) == 0)
					CHECK_FOR_INTERRUPTS();
				MS_MOVE(rows, amount, i, to);
				MS_PUT(rows, amount, to, row);
			}
			if (fill[b] < end)
				todo[kept++] = b;
		}
		ntodo = kept;
	}
	pfree(fill);
	pfree(todo);
}

/*
 * Sort the rows of one date by id, through the scratch buffer: each row is
 * moved by counting to the bucket of its id's high bits (about one bucket
 * per row), in the order of the buckets, into the buffer, and from there
 * back by insertion, which moves each row only within its small bucket.
 * A bucket of one date is small enough for the buffer to stay in the
 * processor's cache, where the rows, read in order and written near one
 * another, move about twice as fast as by swaps in place.
 */
static void
MS_NAME(sort_ids_scattered) (MatchRow *rows MS_PARAM(amount), int32 n,
							 SortScratch *scratch)
{
	int64		min = rows[0].id,
				max = rows[0].id;
	uint64		range;
	int			shift = 0;
	int32		nbuckets;
	int32	   *count;
	MatchRow   *buf;

	for (int32 i = 1; i < n; i++)
	{
		min = Min(min, rows[i].id);
		max = Max(max, rows[i].id);
	}
	range = (uint64) max - (uint64) min;
	while ((range >> shift) >= (uint64) n)
		shift++;
	nbuckets = (int32) (range >> shift) + 1;
	sort_scratch_reserve(scratch, n, nbuckets, MS_HAS_AMOUNTS);
	count = scratch->count;
	buf = scratch->rows;

	memset(count, 0, nbuckets * sizeof(int32));
	for (int32 i = 0; i < n; i++)
		count[((uint64) rows[i].id - (uint64) min) >> shift]++;
	for (int32 b = 0, sum = 0; b < nbuckets; b++)
	{
		int32		c = count[b];

		count[b] = sum;
		sum += c;
	}
	for (int32 i = 0; i < n; i++)
	{
		int32		to = count[((uint64) rows[i].id - (uint64) min) >> shift]++;

		buf[to] = rows[i];
#ifdef MS_AMOUNTS
		scratch->amounts[to] = amount[i];
#endif
	}

	/* back in order: every row is at most a bucket away from its place */
	for (int32 i = 0; i < n; i++)
	{
		MatchRow	row = buf[i];
		int32		j = i;

		while (j > 0 && rows[j - 1].id > row.id)
		{
			MS_MOVE(rows, amount, j, j - 1);
			j--;
		}
		rows[j] = row;
#ifdef MS_AMOUNTS
		amount[j] = scratch->amounts[i];
#endif
	}
}

/*
 * Sort rows by (date, id), or by id alone when by_id (rows of one date),
 * in place; see match_sort_rows().
 */
static void
MS_NAME(sort_rows_radix) (MatchRow *rows MS_PARAM(amount), int32 n,
						  bool by_id, SortScratch *scratch)
{
	int64		min,
				max;
	uint64		range,
				limit;
	int			shift = 0;
	int32		nbuckets;
	int32	   *start;
	RowKey		key = by_id ? ROW_KEY_ID : ROW_KEY_DATE;

	if (by_id && n > MATCH_INSERTION_ROWS && n <= MATCH_SCATTER_ROWS)
	{
		MS_NAME(sort_ids_scattered) (rows MS_ARG(amount, 0), n, scratch);
		return;
	}
	if (n < MATCH_BUCKET_MIN_ROWS)
	{
#ifdef MS_AMOUNTS
		/* at most MATCH_BUCKET_MIN_ROWS rows: insertion is cheap enough */
		MS_NAME(insertion_sort) (rows, amount, n, by_id);
#else
		if (n <= MATCH_INSERTION_ROWS)
			MS_NAME(insertion_sort) (rows, n, by_id);
		else if (by_id)
			sort_rows_by_id(rows, n);
		else
			sort_match_rows(rows, n);
#endif
		return;
	}

	min = max = row_key(&rows[0], key);
	for (int32 i = 1; i < n; i++)
	{
		int64		k = row_key(&rows[i], key);

		min = Min(min, k);
		max = Max(max, k);
	}
	if (min == max)
	{
		/* one date: order by id; one id (a duplicate): nothing to do */
		if (!by_id)
			MS_NAME(sort_rows_radix) (rows MS_ARG(amount, 0), n, true,
									  scratch);
		return;
	}
	range = (uint64) max - (uint64) min;
	limit = Min((uint64) n / MATCH_ROWS_PER_BUCKET, MATCH_BUCKET_MAX);
	while ((range >> shift) >= limit)
		shift++;
	nbuckets = (int32) (range >> shift) + 1;

	start = palloc((nbuckets + 1) * sizeof(int32));
	MS_NAME(place_rows) (rows MS_ARG(amount, 0), n, start, nbuckets,
						 key, min, shift);

	/*
	 * A bucket of one key value is in order by that key; sort it by the
	 * next.  A wider bucket is sorted again by the same key, over its
	 * narrower range (each level divides the range by at least
	 * MATCH_BUCKET_MIN_ROWS / MATCH_ROWS_PER_BUCKET, so there are few).
	 */
	for (int32 b = 0; b < nbuckets; b++)
	{
		int32		size = start[b + 1] - start[b];

		if (size < 2 || (shift == 0 && by_id))
			continue;
		if (by_id && size <= MATCH_INSERTION_ROWS)
			MS_NAME(insertion_sort) (rows + start[b] MS_ARG(amount, start[b]),
									 size, true);
		else
			MS_NAME(sort_rows_radix) (rows + start[b] MS_ARG(amount, start[b]),
									  size, by_id || shift == 0, scratch);
	}
	pfree(start);
}

/*
 * Move rows whose groups (in match) are in [lo, hi), at most
 * MATCH_GROUP_FANOUT of them, to their groups through the scratch buffer:
 * counted, copied there in the groups' order, and back.  start[g - lo]
 * gets where group g begins, from offset.  For the last pass of grouping,
 * over the few thousand rows of a bucket, which stay in the processor's
 * cache (see sort_ids_scattered()).
 */
static void
MS_NAME(group_rows_scattered) (MatchRow *rows MS_PARAM(amount), int32 n,
							   int32 lo, int32 hi, int32 *start, int32 offset,
							   SortScratch *scratch)
{
	int32		ngroups = hi - lo;
	int32	   *count;

	sort_scratch_reserve(scratch, n, ngroups + 1, MS_HAS_AMOUNTS);
	count = scratch->count;
	memset(count, 0, (ngroups + 1) * sizeof(int32));
	for (int32 i = 0; i < n; i++)
		count[rows[i].match - lo + 1]++;
	for (int32 g = 0; g < ngroups; g++)
	{
		count[g + 1] += count[g];
		start[g] = offset + count[g];
	}
	for (int32 i = 0; i < n; i++)
	{
		int32		to = count[rows[i].match - lo]++;

		scratch->rows[to] = rows[i];
#ifdef MS_AMOUNTS
		scratch->amounts[to] = amount[i];
#endif
	}
	memcpy(rows, scratch->rows, n * sizeof(MatchRow));
#ifdef MS_AMOUNTS
	memcpy(amount, scratch->amounts, n * sizeof(int64));
#endif
}

/*
 * One pass of match_group_by_key() over rows whose groups (in match) are
 * in [lo, hi): moves each row to the bucket of (group - lo) >> shift, at
 * most MATCH_GROUP_FANOUT buckets, so that the places rows are written to
 * stay few, each bucket then grouped further unless it holds one group.
 * start[g - lo] gets where group g begins, from offset.
 */
static void
MS_NAME(group_rows_pass) (MatchRow *rows MS_PARAM(amount), int32 n,
						  int32 lo, int32 hi, int32 *start, int32 offset,
						  SortScratch *scratch)
{
	int			shift = 0;
	int32		nbuckets;
	int32	   *bstart;

	while (((hi - 1 - lo) >> shift) >= MATCH_GROUP_FANOUT)
		shift++;
	if (shift == 0 && n <= MATCH_SCATTER_ROWS)
	{
		MS_NAME(group_rows_scattered) (rows MS_ARG(amount, 0), n, lo, hi,
									   start, offset, scratch);
		return;
	}
	nbuckets = ((hi - 1 - lo) >> shift) + 1;
	bstart = palloc((nbuckets + 1) * sizeof(int32));
	MS_NAME(place_rows) (rows MS_ARG(amount, 0), n, bstart, nbuckets,
						 ROW_KEY_GROUP, lo, shift);

	for (int32 b = 0; b < nbuckets; b++)
	{
		int32		glo = lo + (b << shift);
		int32		ghi = Min(hi, glo + (1 << shift));

		if (shift == 0)
			start[glo - lo] = offset + bstart[b];
		else
			MS_NAME(group_rows_pass) (rows + bstart[b] MS_ARG(amount, bstart[b]),
									  bstart[b + 1] - bstart[b], glo, ghi,
									  start + (glo - lo), offset + bstart[b],
									  scratch);
	}
	pfree(bstart);
}

/*
 * Put both sides of a group in processing order; see match_sort_group().
 */
static int32
MS_NAME(sort_group) (MatchRow *pay MS_PARAM(pay_amount), int32 npay,
					 MatchRow *acc MS_PARAM(acc_amount), int32 nacc)
{
	int32		ndated = 0;
	SortScratch scratch;

	memset(&scratch, 0, sizeof(scratch));
	for (int32 i = 0; i < npay; i++)
	{
		if (pay[i].match != MATCH_NULL_DATE)
		{
			MS_KEEP(tmp, pay, pay_amount, ndated);

			MS_MOVE(pay, pay_amount, ndated, i);
			MS_PUT(pay, pay_amount, i, tmp);
			ndated++;
		}
	}
	for (int32 i = ndated; i < npay; i++)
		pay[i].match = MATCH_NONE;
	MS_NAME(sort_rows_radix) (pay MS_ARG(pay_amount, 0), ndated, false,
							  &scratch);
	/* the payments without a date have date 0: by id */
	MS_NAME(sort_rows_radix) (pay + ndated MS_ARG(pay_amount, ndated),
							  npay - ndated, true, &scratch);
	MS_NAME(sort_rows_radix) (acc MS_ARG(acc_amount, 0), nacc, false,
							  &scratch);
	sort_scratch_free(&scratch);
	return ndated;
}

#undef MS_BUCKET
#undef MS_HAS_AMOUNTS
#undef MS_PARAM
#undef MS_ARG
#undef MS_MOVE
#undef MS_KEEP
#undef MS_PUT
#undef MS_NAME
#undef MS_AMOUNTS
