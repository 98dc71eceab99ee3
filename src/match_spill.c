/*-------------------------------------------------------------------------
 *
 * match_spill.c
 *	  Rows of both tables in batches by partition key range, on temporary
 *	  files, for partition_by when the rows may not all be held in memory
 *	  (accmatch.partition_work_mem): each batch is then read back and
 *	  matched in memory, one at a time, batches in key order, so that keys
 *	  still come out in ascending order without PostgreSQL sorting by key.
 *
 * Rows are written as they come from the executor (as minimal tuples of
 * the reading query), each to the batch of its key's range: batch i holds
 * the keys k with bounds[i - 1] <= k < bounds[i] under the key type's
 * btree comparison, so that equal keys always share a batch; rows without
 * a key go to a batch of their own, last.  Each batch keeps a sample of
 * its keys as they pass (a reservoir of SPILL_SAMPLE).  A batch that
 * turns out too large to be held is split again by the quantiles of its
 * sample, until its parts fit, as a hash join splits its batches: a split
 * that separates nothing (one key, or a comparison that cannot tell keys
 * apart) leaves the batch to be held as it is.
 *
 * Memory: a batch's two files buffer one block each while written or
 * read, at most SPILL_FANOUT + 1 batches are written at once, and the
 * samples hold SPILL_SAMPLE keys a batch.
 *
 *-------------------------------------------------------------------------
 */
#include "match_input_int.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_statistic.h"
#include "common/pg_prng.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "storage/buffile.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

/* Most batches a split makes, and keys sampled per batch. */
#define SPILL_FANOUT	64
#define SPILL_SAMPLE	256

/* One batch: the rows of both tables whose keys fall in one range. */
typedef struct SpillBatch
{
	BufFile    *file[2];		/* by side; NULL until a row is written */
	int64		rows[2];
	bool		null_keys;		/* the batch of rows without a key */
	bool		whole;			/* a split separated nothing: hold it */
	MemoryContext cxt;			/* the sample */
	Datum	   *sample;
	int			nsample;
	int64		seen;			/* keys offered to the sample */
} SpillBatch;

struct MatchSpill
{
	MatchKeyType *kt;
	int			key_col;
	MemoryContext cxt;
	TupleDesc	desc[2];
	TupleTableSlot *slot[2];	/* rows read back */
	char	   *buf;			/* a tuple read back */
	Size		buflen;
	pg_prng_state prng;			/* the samples', seeded: runs repeat */

	/* the batches being written: one per range, then the NULL batch */
	Datum	   *bounds;
	int			nbounds;
	SpillBatch **writing;

	/* batches to match, the next one last; the one being read */
	SpillBatch **todo;
	int			ntodo;
	int			todo_cap;
	SpillBatch *current;
	int			nbatches;		/* batches matched, for the debug message */
};

/*
 * Create the batches for rows of the two sides (queries with the key at
 * column key_col), keys of type kt, in cxt.  Call match_spill_bounds()
 * before writing.
 */
MatchSpill *
match_spill_create(MatchKeyType *kt, int key_col, MemoryContext cxt)
{
	MatchSpill *spill = MemoryContextAllocZero(cxt, sizeof(MatchSpill));

	spill->kt = kt;
	spill->key_col = key_col;
	spill->cxt = cxt;
	pg_prng_seed(&spill->prng, 20240601);
	return spill;
}

static int	compare_sampled(const void *a, const void *b, void *arg);

/*
 * A new, empty batch.
 */
static SpillBatch *
new_batch(MatchSpill *spill, bool null_keys)
{
	SpillBatch *b = MemoryContextAllocZero(spill->cxt, sizeof(SpillBatch));

	b->null_keys = null_keys;
	b->cxt = AllocSetContextCreate(spill->cxt, "accmatch batch",
								   ALLOCSET_SMALL_SIZES);
	b->sample = MemoryContextAlloc(b->cxt, SPILL_SAMPLE * sizeof(Datum));
	return b;
}

/*
 * Free a batch and its files.
 */
static void
free_batch(SpillBatch *b)
{
	for (int s = 0; s < 2; s++)
		if (b->file[s])
			BufFileClose(b->file[s]);
	MemoryContextDelete(b->cxt);
	pfree(b);
}

/*
 * Start writing batches by the given bounds, in ascending order under the
 * key comparison (copied): nbounds + 1 ranges and the NULL batch.
 */
static void
start_writing(MatchSpill *spill, const Datum *bounds, int nbounds)
{
	MemoryContext old = MemoryContextSwitchTo(spill->cxt);

	spill->nbounds = nbounds;
	spill->bounds = palloc(Max(nbounds, 1) * sizeof(Datum));
	for (int i = 0; i < nbounds; i++)
		spill->bounds[i] = match_copy_value(bounds[i], spill->kt->typbyval,
											spill->kt->typlen, spill->cxt);
	spill->writing = palloc((nbounds + 2) * sizeof(SpillBatch *));
	for (int i = 0; i <= nbounds; i++)
		spill->writing[i] = new_batch(spill, false);
	spill->writing[nbounds + 1] = new_batch(spill, true);
	MemoryContextSwitchTo(old);
}

/*
 * Set the ranges of the first batches: evenly spaced values of the
 * histogram (pg_statistic) of column attnum of relation relid, for about
 * nbatches batches, sorted and distinct under the key comparison.  None
 * when the relation has no histogram (a view, a table never analyzed),
 * or one batch is wanted: the batches are then split as they turn out too
 * large.
 */
void
match_spill_bounds(MatchSpill *spill, Oid relid, AttrNumber attnum,
				   int nbatches)
{
	bool		inh = get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE ||
		has_subclass(relid);
	HeapTuple	statstup = NULL;
	AttStatsSlot sslot;
	Datum	   *bounds = palloc(Max(nbatches, 1) * sizeof(Datum));
	int			n = 0;

	Assert(spill->writing == NULL);
	if (nbatches > 1)
		statstup = SearchSysCache3(STATRELATTINH, ObjectIdGetDatum(relid),
								   Int16GetDatum(attnum), BoolGetDatum(inh));
	if (HeapTupleIsValid(statstup))
	{
		if (get_attstatsslot(&sslot, statstup, STATISTIC_KIND_HISTOGRAM,
							 InvalidOid, ATTSTATSSLOT_VALUES))
		{
			qsort_arg(sslot.values, sslot.nvalues, sizeof(Datum),
					  compare_sampled, spill->kt);
			for (int i = 1; i < nbatches; i++)
			{
				Datum		v = sslot.values[(int64) i * sslot.nvalues / nbatches];

				if (n == 0 || match_key_compare(spill->kt, bounds[n - 1], v) < 0)
					bounds[n++] = v;
			}
			start_writing(spill, bounds, n);
			free_attstatsslot(&sslot);
		}
		ReleaseSysCache(statstup);
	}
	if (spill->writing == NULL)
		start_writing(spill, bounds, 0);
	pfree(bounds);
}

/*
 * The batch being written that a key belongs to: the number of bounds at
 * or below it, by binary search; the NULL batch for no key.
 */
static SpillBatch *
batch_of(MatchSpill *spill, Datum key, bool isnull)
{
	int			lo = 0,
				hi = spill->nbounds;

	if (isnull)
		return spill->writing[spill->nbounds + 1];
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (match_key_compare(spill->kt, spill->bounds[mid], key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return spill->writing[lo];
}

/*
 * Offer a key to a batch's sample (a reservoir: each key seen has the same
 * chance to be kept).
 */
static void
sample_key(MatchSpill *spill, SpillBatch *b, Datum key)
{
	int64		j;

	b->seen++;
	if (b->nsample < SPILL_SAMPLE)
		j = b->nsample++;
	else
	{
		j = (int64) pg_prng_uint64_range(&spill->prng, 0, b->seen - 1);
		if (j >= SPILL_SAMPLE)
			return;
	}
	b->sample[j] = match_copy_value(key, spill->kt->typbyval,
									spill->kt->typlen, b->cxt);
}

/*
 * Write a row (a minimal tuple) of a side, with its key, to its batch.
 */
static void
write_row(MatchSpill *spill, int side, MinimalTuple tuple, Datum key,
		  bool isnull)
{
	SpillBatch *b = batch_of(spill, key, isnull);

	if (b->file[side] == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(spill->cxt);

		b->file[side] = BufFileCreateTemp(false);
		MemoryContextSwitchTo(old);
	}
	BufFileWrite(b->file[side], (void *) tuple, tuple->t_len);
	b->rows[side]++;
	if (!isnull)
		sample_key(spill, b, key);
}

/* Receives the rows of a table from the executor, to write them. */
typedef struct SpillReceiver
{
	DestReceiver pub;
	MatchSpill *spill;
	int			side;
	uint64		nrows;
} SpillReceiver;

/*
 * Take one row from the executor: write it to its batch.
 */
static bool
spill_receive(TupleTableSlot *slot, DestReceiver *self)
{
	SpillReceiver *r = (SpillReceiver *) self;
	bool		shouldfree;
	bool		isnull;
	Datum		key = slot_getattr(slot, r->spill->key_col, &isnull);
	MinimalTuple tuple = ExecFetchSlotMinimalTuple(slot, &shouldfree);

	write_row(r->spill, r->side, tuple, key, isnull);
	if (shouldfree)
		pfree(tuple);
	if ((++r->nrows & 0xffff) == 0)
		CHECK_FOR_INTERRUPTS();
	return true;
}

static void
spill_nothing(DestReceiver *self pg_attribute_unused())
{
}

/*
 * Before the first row: keep the rows' descriptor and a slot to read them
 * back in.
 */
static void
spill_startup(DestReceiver *self, int operation pg_attribute_unused(),
			  TupleDesc typeinfo)
{
	SpillReceiver *r = (SpillReceiver *) self;
	MatchSpill *spill = r->spill;

	if (spill->slot[r->side] == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(spill->cxt);

		spill->desc[r->side] = CreateTupleDescCopy(typeinfo);
		spill->slot[r->side] = MakeSingleTupleTableSlot(spill->desc[r->side],
														&TTSOpsMinimalTuple);
		MemoryContextSwitchTo(old);
	}
}

/*
 * A DestReceiver that writes the rows of a query on one side's table to
 * their batches, in CurrentMemoryContext.
 */
DestReceiver *
match_spill_receiver(MatchSpill *spill, int side)
{
	SpillReceiver *r = palloc0(sizeof(SpillReceiver));

	r->pub.receiveSlot = spill_receive;
	r->pub.rStartup = spill_startup;
	r->pub.rShutdown = spill_nothing;
	r->pub.rDestroy = spill_nothing;
	r->pub.mydest = DestNone;
	r->spill = spill;
	r->side = side;
	return &r->pub;
}

/*
 * The batches just written go to the batches to match, the lowest range
 * on top, the NULL batch (if any) at the bottom of them.
 */
static void
finish_writing(MatchSpill *spill)
{
	int			n = spill->nbounds + 2;

	if (spill->ntodo + n > spill->todo_cap)
	{
		spill->todo_cap = Max(spill->todo_cap * 2, spill->ntodo + n + 16);
		spill->todo = spill->todo == NULL ?
			MemoryContextAlloc(spill->cxt,
							   spill->todo_cap * sizeof(SpillBatch *)) :
			repalloc(spill->todo, spill->todo_cap * sizeof(SpillBatch *));
	}
	for (int i = n - 1; i >= 0; i--)
	{
		SpillBatch *b = spill->writing[i];

		if (b->rows[0] + b->rows[1] == 0)
			free_batch(b);
		else
			spill->todo[spill->ntodo++] = b;
	}
	pfree(spill->writing);
	spill->writing = NULL;
	pfree(spill->bounds);
	spill->bounds = NULL;
}

/*
 * Read the next tuple of a batch's file into slot; false at its end.
 */
static bool
read_tuple(MatchSpill *spill, BufFile *file, TupleTableSlot *slot)
{
	uint32		len;
	size_t		got = BufFileRead(file, &len, sizeof(len));

	if (got == 0)
		return false;
	if (got != sizeof(len) || len < sizeof(len))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read from a temporary file of accmatch")));
	if (len > spill->buflen)
	{
		spill->buflen = Max(len, 2 * spill->buflen);
		spill->buf = spill->buf == NULL ?
			MemoryContextAlloc(spill->cxt, spill->buflen) :
			repalloc(spill->buf, spill->buflen);
	}
	memcpy(spill->buf, &len, sizeof(len));
	if (BufFileRead(file, spill->buf + sizeof(len), len - sizeof(len)) !=
		len - sizeof(len))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read from a temporary file of accmatch")));
	ExecStoreMinimalTuple((MinimalTuple) spill->buf, slot, false);
	return true;
}

/*
 * Compare two sampled keys, for sorting a sample.
 */
static int
compare_sampled(const void *a, const void *b, void *arg)
{
	return match_key_compare((MatchKeyType *) arg, *(const Datum *) a,
							 *(const Datum *) b);
}

/*
 * Split a batch too large to hold into about nparts batches by the
 * quantiles of its sample, pushed on the batches to match in order.  A
 * split whose rows all land in one part marks that part whole.
 */
static void
split_batch(MatchSpill *spill, SpillBatch *b, int nparts)
{
	Datum	   *bounds = palloc(nparts * sizeof(Datum));
	int			nbounds = 0;
	int			first = spill->ntodo;

	qsort_arg(b->sample, b->nsample, sizeof(Datum), compare_sampled, spill->kt);
	for (int i = 1; i < nparts; i++)
	{
		Datum		q = b->sample[(int64) i * b->nsample / nparts];

		if (nbounds == 0 ||
			match_key_compare(spill->kt, bounds[nbounds - 1], q) < 0)
			bounds[nbounds++] = q;
	}
	start_writing(spill, bounds, nbounds);
	pfree(bounds);
	for (int s = 0; s < 2; s++)
	{
		if (b->file[s] == NULL)
			continue;
		if (BufFileSeek(b->file[s], 0, 0, SEEK_SET) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not rewind a temporary file of accmatch")));
		while (read_tuple(spill, b->file[s], spill->slot[s]))
		{
			bool		isnull;
			Datum		key = slot_getattr(spill->slot[s], spill->key_col,
										   &isnull);

			CHECK_FOR_INTERRUPTS();
			write_row(spill, s, (MinimalTuple) spill->buf, key, isnull);
		}
	}
	finish_writing(spill);
	if (spill->ntodo == first + 1)
		spill->todo[first]->whole = true;
	free_batch(b);
}

/*
 * Make the next batch, in key order, the one match_spill_read() reads:
 * false when none is left.  A batch whose rows would take more than limit
 * bytes held at row_bytes a row is split first (see split_batch()).
 */
bool
match_spill_next(MatchSpill *spill, Size limit, Size row_bytes)
{
	if (spill->current)
	{
		free_batch(spill->current);
		spill->current = NULL;
	}
	if (spill->writing)
		finish_writing(spill);

	while (spill->ntodo > 0)
	{
		SpillBatch *b = spill->todo[--spill->ntodo];
		double		bytes = (double) (b->rows[0] + b->rows[1]) * row_bytes;

		CHECK_FOR_INTERRUPTS();
		if (b->null_keys || b->whole || bytes <= (double) limit)
		{
			for (int s = 0; s < 2; s++)
				if (b->file[s] &&
					BufFileSeek(b->file[s], 0, 0, SEEK_SET) != 0)
					ereport(ERROR,
							(errcode_for_file_access(),
							 errmsg("could not rewind a temporary file of accmatch")));
			spill->current = b;
			spill->nbatches++;
			return true;
		}
		split_batch(spill, b,
					(int) Min(SPILL_FANOUT, ceil(2 * bytes / (double) limit)));
	}
	return false;
}

/*
 * The next row of a side of the current batch, in a slot valid until the
 * next call; NULL after the last.
 */
TupleTableSlot *
match_spill_read(MatchSpill *spill, int side)
{
	SpillBatch *b = spill->current;

	if (b == NULL || b->file[side] == NULL ||
		!read_tuple(spill, b->file[side], spill->slot[side]))
		return NULL;
	return spill->slot[side];
}

/*
 * How many rows of a side the current batch holds.
 */
int64
match_spill_rows(MatchSpill *spill, int side)
{
	return spill->current ? spill->current->rows[side] : 0;
}

/*
 * How many batches have been made current so far.
 */
int
match_spill_batches(MatchSpill *spill)
{
	return spill->nbatches;
}

/*
 * Close every file still open and drop the slots.
 */
void
match_spill_close(MatchSpill *spill)
{
	if (spill->writing)
		finish_writing(spill);
	if (spill->current)
		free_batch(spill->current);
	spill->current = NULL;
	while (spill->ntodo > 0)
		free_batch(spill->todo[--spill->ntodo]);
	for (int s = 0; s < 2; s++)
		if (spill->slot[s])
			ExecDropSingleTupleTableSlot(spill->slot[s]);
}
