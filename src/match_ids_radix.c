/*-------------------------------------------------------------------------
 *
 * match_ids_radix.c
 *	  The radix sort of packed items (a key and a read position in one
 *	  64-bit integer, see ID_KEY) that ranks ids (see match_ids_rank.c).
 *
 *-------------------------------------------------------------------------
 */
#include "match_ids_int.h"

#include "miscadmin.h"

/*
 * Sort packed items by the first nbytes bytes of their keys, least
 * significant byte first, tmp (as large) as scratch; each pass keeps the
 * order of the items of equal bytes, so the items end in the order of
 * those bytes, then of where they were.  A byte every key shares takes no
 * pass.  Returns the array that holds them sorted: items or tmp.
 */
static uint64 *
radix_lsd(uint64 *items, uint64 *tmp, int64 n, int nbytes)
{
	int64		count[ID_RADIX_BYTES][256];

	Assert(nbytes <= ID_RADIX_BYTES);
	memset(count, 0, nbytes * sizeof(count[0]));
	for (int64 i = 0; i < n; i++)
	{
		uint32		key = (uint32) ID_KEY(items[i]);

		for (int d = 0; d < nbytes; d++)
			count[d][(key >> (8 * d)) & 0xff]++;
	}
	for (int d = 0; d < nbytes; d++)
	{
		int			shift = 32 + 8 * d;
		int64		start = 0;
		uint64	   *swap;

		if (count[d][(items[0] >> shift) & 0xff] == n)
			continue;
		for (int b = 0; b < 256; b++)
		{
			int64		size = count[d][b];

			count[d][b] = start;
			start += size;
		}
		for (int64 i = 0; i < n; i++)
			tmp[count[d][(items[i] >> shift) & 0xff]++] = items[i];
		swap = items;
		items = tmp;
		tmp = swap;
	}
	return items;
}

/* Fewer items than this are sorted by radix_lsd() alone */
#define ID_MSD_ITEMS	8192

/*
 * Sort packed items by the nbytes bytes of their keys, in place, tmp (as
 * large) as scratch: many items are put in buckets by the most
 * significant byte first, and each bucket, small enough to stay in the
 * cache, is sorted by the other bytes (radix_lsd()); the items of a
 * bucket keep their order, so that they end in the order of (key,
 * position) all the same.
 */
void
match_ids_radix(uint64 *items, uint64 *tmp, int64 n, int nbytes)
{
	int64		start[257];
	int			shift = 32 + 8 * (nbytes - 1);
	uint64	   *sorted;

	if (nbytes == 0)
		return;
	if (n < ID_MSD_ITEMS || nbytes == 1)
	{
		sorted = radix_lsd(items, tmp, n, nbytes);
		if (sorted != items)
			memcpy(items, sorted, n * sizeof(uint64));
		return;
	}
	memset(start, 0, sizeof(start));
	for (int64 i = 0; i < n; i++)
		start[((items[i] >> shift) & 0xff) + 1]++;
	for (int b = 0; b < 256; b++)
		start[b + 1] += start[b];
	{
		int64		next[256];

		memcpy(next, start, sizeof(next));
		for (int64 i = 0; i < n; i++)
		{
			tmp[next[(items[i] >> shift) & 0xff]++] = items[i];
			if ((i & 0xffff) == 0)
				CHECK_FOR_INTERRUPTS();
		}
	}
	for (int b = 0; b < 256; b++)
	{
		int64		size = start[b + 1] - start[b];

		if (size == 0)
			continue;
		sorted = radix_lsd(tmp + start[b], items + start[b], size, nbytes - 1);
		if (sorted != items + start[b])
			memcpy(items + start[b], sorted, size * sizeof(uint64));
		CHECK_FOR_INTERRUPTS();
	}
}
