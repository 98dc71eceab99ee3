/*-------------------------------------------------------------------------
 *
 * match_input.c
 *	  Input side of match_payments(): reads the payment and accrual tables
 *	  (each through match_reader.c) and yields their rows one group at a
 *	  time as compact arrays (see MatchGroup in match.h).
 *
 * Without partition_by there is one group: all rows, each table read
 * whole.  With partition_by, both tables are read through cursors ordered
 * by the partition key, and the two streams are merged key by key, so
 * that only one account's rows are held at a time; each table's keys are
 * checked to come in order.  Ids are checked to be unique in each group.
 *
 *-------------------------------------------------------------------------
 */
#include "match_input_int.h"

#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

/*
 * Check that the next row of a table comes after the group just read.
 * Merging two streams by key needs both in the order keys compare in here;
 * a table does not always give that order for ORDER BY: a foreign table's
 * remote server may sort under its own collation.  Rather than silently
 * missing matches, stop.
 */
static void
check_key_order(MatchInput *in, MatchReader *r, Datum next, bool next_isnull)
{
	if (!in->have_key)
		return;
	if (in->key_isnull ||
		(!next_isnull && compare_keys(in, next, in->key) <= 0))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("rows of relation \"%s\" are not ordered by \"%s\"",
						r->table->relname, in->partition_by),
				 errdetail("Key %s came after key %s; keys must come in ascending order, NULL last, as compared here.",
						   next_isnull ? "NULL" :
						   OidOutputFunctionCall(in->key_out, next),
						   in->key_isnull ? "NULL" :
						   OidOutputFunctionCall(in->key_out, in->key)),
				 errhint("A foreign table's server can sort under another collation; match a local copy of its rows instead.")));
}

/*
 * Raise an error when two rows of a group share an id: the id breaks ties
 * between rows of the same date, so the answer would depend on the order
 * rows are stored in.  A unique index that proves ids distinct spares the
 * check (see match_ids_proven_unique()).  Rows with a NULL partition key
 * take no part in matching and are not checked.
 */
static void
check_ids(MatchInput *in, MatchReader *r, const MatchGroup *group,
		  const MatchRows *rows)
{
	int64		dup;

	if (!r->check_ids || group->key_isnull ||
		!match_find_duplicate_id(rows->rows, (int32) rows->n, &dup))
		return;

	if (in->keyed)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("duplicate id %lld in relation \"%s\"",
						(long long) dup, r->table->relname),
				 errdetail("Ids must be unique within each value of \"%s\"; this one is repeated where it is %s.",
						   in->partition_by, group->key)));
	ereport(ERROR,
			(errcode(ERRCODE_UNIQUE_VIOLATION),
			 errmsg("duplicate id %lld in relation \"%s\"",
					(long long) dup, r->table->relname),
			 errdetail("Ids must be unique: they tell apart rows of the same date.")));
}

/*
 * Connect to SPI and open cursors on both tables, resolved and checked by
 * match_resolve_table() and match_check_same_types().  Everything lives in
 * cxt, which the caller deletes after match_input_close().
 */
MatchInput *
match_input_open(MatchTable *pay, MatchTable *acc, const char *partition_by,
				 MemoryContext cxt)
{
	MatchInput *in = MemoryContextAllocZero(cxt, sizeof(MatchInput));
	MemoryContext old = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(cxt);

	in->cxt = cxt;
	in->keyed = (partition_by != NULL);
	in->partition_by = partition_by;
	in->months = month_map_create(cxt, pay->month_type, pay->month_coll);
	in->acc = match_reader_open(acc, partition_by, cxt);
	in->pay = match_reader_open(pay, partition_by, cxt);

	if (in->keyed)
	{
		TypeCacheEntry *tc = lookup_type_cache(pay->key_type,
											   TYPECACHE_CMP_PROC_FINFO);
		bool		isvarlena;

		in->key_cxt = AllocSetContextCreate(cxt, "accmatch key",
											ALLOCSET_SMALL_SIZES);
		fmgr_info_cxt(tc->cmp_proc_finfo.fn_oid, &in->key_cmp, cxt);
		in->key_coll = type_is_collatable(pay->key_type) ?
			pay->key_coll : InvalidOid;
		getTypeOutputInfo(pay->key_type, &in->key_out, &isvarlena);
		get_typlenbyval(pay->key_type, &in->key_typlen, &in->key_typbyval);
	}
	in->pay->check_ids = !match_ids_proven_unique(pay, in->key_coll);
	in->acc->check_ids = !match_ids_proven_unique(acc, in->key_coll);

	MemoryContextSwitchTo(old);
	return in;
}

/*
 * Yield the next group of rows into group (whose arrays are reused from
 * call to call); false when both tables are exhausted.
 *
 * With partition_by, the group is the smallest key either table has left,
 * NULL keys last: its accruals are read first, so that their months are
 * numbered when the payments look theirs up.  Months are numbered afresh
 * for each key, so that memory holds one account's months at a time.
 *
 * Ids are checked to be unique within the group, and with partition_by
 * each table's keys to come in order.
 */
bool
match_input_next(MatchInput *in, MatchGroup *group)
{
	MemoryContext old;
	Datum		pkey = (Datum) 0,
				akey = (Datum) 0,
				key;
	bool		pnull = false,
				anull = false;
	bool		have_pay,
				have_acc;

	group->pay.n = 0;
	group->acc.n = 0;
	group->amount_scale = 0;
	group->key = NULL;
	group->key_isnull = false;

	if (!in->keyed)
	{
		if (in->done)
			return false;
		in->done = true;
		old = MemoryContextSwitchTo(in->cxt);
		match_reader_read_all(in, in->acc, group, &group->acc);
		match_reader_read_all(in, in->pay, group, &group->pay);
		check_ids(in, in->acc, group, &group->acc);
		check_ids(in, in->pay, group, &group->pay);
		MemoryContextSwitchTo(old);
		group->nmonths = month_map_count(in->months);
		return true;
	}

	have_pay = match_reader_peek_key(in->pay, &pkey, &pnull);
	have_acc = match_reader_peek_key(in->acc, &akey, &anull);
	if (!have_pay && !have_acc)
		return false;
	if (have_pay)
		check_key_order(in, in->pay, pkey, pnull);
	if (have_acc)
		check_key_order(in, in->acc, akey, anull);

	/* the smallest key of the two, NULL sorting last */
	if (!have_acc ||
		(have_pay && !pnull &&
		 (anull || compare_keys(in, pkey, akey) <= 0)))
	{
		key = pkey;
		group->key_isnull = pnull;
	}
	else
	{
		key = akey;
		group->key_isnull = anull;
	}

	MemoryContextReset(in->key_cxt);
	old = MemoryContextSwitchTo(in->key_cxt);
	if (!group->key_isnull)
	{
		key = datumCopy(key, in->key_typbyval, in->key_typlen);
		group->key = OidOutputFunctionCall(in->key_out, key);
	}

	in->have_key = true;
	in->key_isnull = group->key_isnull;
	in->key = key;

	MemoryContextSwitchTo(in->cxt);
	month_map_reset(in->months);
	match_reader_read_group(in, in->acc, group->key_isnull, key, group,
							&group->acc);
	match_reader_read_group(in, in->pay, group->key_isnull, key, group,
							&group->pay);
	check_ids(in, in->acc, group, &group->acc);
	check_ids(in, in->pay, group, &group->pay);
	MemoryContextSwitchTo(old);

	group->nmonths = month_map_count(in->months);
	return true;
}

/*
 * Close both cursors and disconnect from SPI.
 */
void
match_input_close(MatchInput *in)
{
	match_reader_close(in->pay);
	match_reader_close(in->acc);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
}
