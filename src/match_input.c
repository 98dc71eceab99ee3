/*-------------------------------------------------------------------------
 *
 * match_input.c
 *	  Input side of match_payments() and allocate_payments(): reads the
 *	  payment and accrual tables through SPI and yields their rows one
 *	  group at a time as compact arrays (see MatchGroup in match.h).
 *
 * Without partition_by there is one group: all rows, each table read
 * whole.  With partition_by there is one group per key, in ascending key
 * order, NULL last, made one of two ways:
 *
 *	in memory (the default): both tables are read whole, in any order,
 *		each row noting its key (match_keys.c); the rows are then grouped
 *		by key.  Memory is that of matching the whole tables at once.
 *	in batches, when accmatch.partition_work_mem bounds the rows held and
 *		the planner expects more (or reading finds more): the rows are
 *		written to batches by key range on temporary files
 *		(match_spill.c), and each batch is read back, grouped and matched
 *		in memory in turn, in key order.
 *
 * Neither relies on the order the server returns rows in, and the queries
 * have no ORDER BY.  Ids are checked to be unique in each group (unless a
 * unique index proves them so), after they are ranked (match_ids.c).
 *
 * The queries use the quoted schema and relation names of the resolved
 * OID (see match_catalog.c) and name no operator or function, so nothing
 * planted in the caller's search_path can change what they do.  They run
 * with the caller's rights, so GRANTs and row-level security apply.
 *
 *-------------------------------------------------------------------------
 */
#include "match_input_int.h"

#include "access/htup_details.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/typcache.h"

/* accmatch.partition_work_mem, in kB; -1: no limit (set in match.c) */
int			match_partition_work_mem = -1;

/* How the groups are made (see the top of the file). */
typedef enum InputMode
{
	INPUT_WHOLE,
	INPUT_IN_MEMORY,
	INPUT_BATCHES
} InputMode;

/* Most batches the first distribution makes. */
#define INPUT_MAX_BATCHES	64

/* Memory taken per row by a key and its share of the groups. */
#define INPUT_KEY_BYTES		8

struct MatchInput
{
	MatchTable *table[2];		/* by side */
	const char *partition_by;
	InputMode	mode;
	MemoryContext cxt;
	MemoryContext data_cxt;		/* rows, ids, months, keys: what is held */
	SPIPlanPtr	plan[2];
	double		estimate[2];	/* the planner's rows */
	MatchBuild	build;
	MatchRows	all[2];			/* the rows read (all, or one batch's) */
	MatchIds   *ids[2];
	MonthMap   *months;
	MatchKeyType kt;
	KeyMap	   *keys;
	MatchSpill *spill;
	Size		limit;			/* bytes of rows held, 0 for no limit */
	Size		row_bytes;		/* held per row, for batches */
	bool		check_ids[2];	/* no unique index proves ids distinct */
	bool		loaded;			/* rows read and grouped, groups to yield */
	bool		done;
	int32	   *start[2];		/* group g: rows [start[g], start[g + 1]) */
	int32		ngroups;
	int32		next_group;
};

/*
 * Plan the query reading one side's table: its id, date and month (and
 * with partition_by its key, with an amount column the amount), and note
 * the planner's estimate of its rows.
 */
static void
plan_side(MatchInput *in, int side)
{
	MatchTable *t = in->table[side];
	StringInfoData query;
	CachedPlan *cplan;
	int			nest_level;

	initStringInfo(&query);
	appendStringInfo(&query, "SELECT id, date, month");
	if (in->partition_by)
		appendStringInfo(&query, ", %s", quote_identifier(in->partition_by));
	if (t->amount_column)
		appendStringInfo(&query, ", %s", quote_identifier(t->amount_column));
	appendStringInfo(&query, " FROM %s", t->qualname);

	nest_level = match_reads_begin();
	in->plan[side] = SPI_prepare(query.data, 0, NULL);
	match_reads_end(nest_level);
	if (in->plan[side] == NULL)
		elog(ERROR, "could not plan the query of \"%s\": %s", t->relname,
			 SPI_result_code_string(SPI_result));
	cplan = SPI_plan_get_cached_plan(in->plan[side]);
	if (cplan != NULL)
	{
		PlannedStmt *stmt = linitial_node(PlannedStmt, cplan->stmt_list);

		in->estimate[side] = stmt->planTree->plan_rows;
		/* an unsaved plan's cached plan belongs to no resource owner */
		ReleaseCachedPlan(cplan, NULL);
	}
	pfree(query.data);
}

/*
 * Run one side's query, its rows going to dest.
 */
static void
run_side(MatchInput *in, int side, DestReceiver *dest)
{
	SPIExecuteOptions options;
	int			rc;
	int			nest_level;

	memset(&options, 0, sizeof(options));
	options.read_only = true;
	options.dest = dest;
	/* SPI reports a SELECT whose rows go to a DestNone receiver as utility */
	nest_level = match_reads_begin();	/* should it plan again */
	rc = SPI_execute_plan_extended(in->plan[side], &options);
	match_reads_end(nest_level);
	if (rc < 0)
		elog(ERROR, "could not read relation \"%s\": %s",
			 in->table[side]->relname, SPI_result_code_string(rc));
}

/*
 * What a row takes in memory while held: the row, its amount, its id's
 * value when ids are ranked, its key's share.
 */
static Size
held_row_bytes(MatchInput *in)
{
	Size		bytes = sizeof(MatchRow) + INPUT_KEY_BYTES;

	if (in->table[SIDE_PAY]->amount_column)
		bytes += sizeof(int64);
	if (!match_is_integer_type(in->table[SIDE_PAY]->id_type))
	{
		int16		typlen = get_typlen(in->table[SIDE_PAY]->id_type);
		int32		width = get_attavgwidth(in->table[SIDE_PAY]->relid,
											in->table[SIDE_PAY]->id_attnum);

		bytes += sizeof(Datum) + (typlen > 0 ? typlen : Max(width, 16) + 4);
	}
	return bytes;
}

/*
 * Set up the partition key's type: its btree comparison under the payment
 * column's collation, its output function.
 */
static void
init_key_type(MatchKeyType *kt, MatchTable *pay, MemoryContext cxt)
{
	TypeCacheEntry *tc = lookup_type_cache(pay->key_type,
										   TYPECACHE_LT_OPR | TYPECACHE_CMP_PROC);
	bool		isvarlena;

	kt->type = pay->key_type;
	kt->collation = type_is_collatable(pay->key_type) ?
		pay->key_coll : InvalidOid;
	get_typlenbyval(kt->type, &kt->typlen, &kt->typbyval);
	memset(&kt->ssup, 0, sizeof(kt->ssup));
	kt->ssup.ssup_cxt = cxt;
	kt->ssup.ssup_collation = kt->collation;
	/* an operator class may lack "<"; its comparison is what counts */
	if (OidIsValid(tc->lt_opr))
		PrepareSortSupportFromOrderingOp(tc->lt_opr, &kt->ssup);
	else
		PrepareSortSupportComparisonShim(tc->cmp_proc, &kt->ssup);
	getTypeOutputInfo(kt->type, &kt->out_func, &isvarlena);
}

/*
 * Connect to SPI and plan the reading of both tables, resolved and checked
 * by match_resolve_table() and match_check_same_types().  Everything lives
 * in cxt, which the caller deletes after match_input_close().
 */
MatchInput *
match_input_open(MatchTable *pay, MatchTable *acc, const char *partition_by,
				 MemoryContext cxt)
{
	MatchInput *in = MemoryContextAllocZero(cxt, sizeof(MatchInput));
	MemoryContext old = CurrentMemoryContext;
	MatchBuild *b = &in->build;
	double		bytes;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(cxt);

	in->cxt = cxt;
	in->data_cxt = AllocSetContextCreate(cxt, "accmatch rows",
										 ALLOCSET_DEFAULT_SIZES);
	in->table[SIDE_ACC] = acc;
	in->table[SIDE_PAY] = pay;
	in->partition_by = partition_by;
	plan_side(in, SIDE_ACC);
	plan_side(in, SIDE_PAY);

	for (int s = 0; s < 2; s++)
		in->ids[s] = match_ids_create(in->table[s]->id_type,
									  in->table[s]->id_coll, in->data_cxt);
	in->months = month_map_create(in->data_cxt, pay->month_type,
								  pay->month_coll);
	if (partition_by)
	{
		init_key_type(&in->kt, pay, cxt);
		in->keys = keys_create(&in->kt, in->data_cxt);
	}
	for (int s = 0; s < 2; s++)
		in->check_ids[s] = !match_ids_proven_unique(in->table[s],
													in->kt.collation);

	b->date_value = match_value_fn(pay->date_type);
	b->months = in->months;
	b->keys = in->keys;
	b->amount_col = pay->amount_column == NULL ? 0 :
		partition_by ? COL_KEY + 1 : COL_KEY;
	b->own_scale = (partition_by && pay->amount_column &&
					(pay->amount_scale < 0 ||
					 pay->amount_scale != acc->amount_scale));
	b->keep_null_dates = b->own_scale;
	b->cxt = in->data_cxt;
	b->row_cxt = AllocSetContextCreate(cxt, "accmatch row",
									   ALLOCSET_DEFAULT_SIZES);
	b->limit_cxt = in->data_cxt;
	for (int s = 0; s < 2; s++)
	{
		b->table[s] = in->table[s];
		b->out[s] = &in->all[s];
		b->ids[s] = in->ids[s];
		b->expected[s] = (int64) Min(in->estimate[s] * 1.05 + 16, 1e9);
		match_ids_expect(in->ids[s], b->expected[s]);
	}

	in->row_bytes = held_row_bytes(in);
	bytes = (in->estimate[SIDE_ACC] + in->estimate[SIDE_PAY]) * in->row_bytes;
	if (partition_by == NULL)
		in->mode = INPUT_WHOLE;
	else if (match_partition_work_mem < 0)
		in->mode = INPUT_IN_MEMORY;
	else
	{
		in->limit = (Size) match_partition_work_mem * 1024;
		in->mode = bytes <= (double) in->limit ? INPUT_IN_MEMORY :
			INPUT_BATCHES;
	}
	elog(DEBUG1, "accmatch: %s",
		 in->mode == INPUT_WHOLE ? "whole tables in memory" :
		 in->mode == INPUT_IN_MEMORY ? "partitions grouped in memory" :
		 "partitions in batches on temporary files");
	elog(DEBUG2, "accmatch: about %.0f rows of %zu bytes",
		 in->estimate[SIDE_ACC] + in->estimate[SIDE_PAY], in->row_bytes);

	MemoryContextSwitchTo(old);
	return in;
}

/*
 * Forget the rows read so far (all of them, or a batch's), keeping the
 * arrays for the next batch unless free_arrays.
 */
static void
forget_rows(MatchInput *in, bool free_arrays)
{
	for (int s = 0; s < 2; s++)
	{
		if (free_arrays && in->all[s].rows)
		{
			pfree(in->all[s].rows);
			if (in->all[s].amount)
				pfree(in->all[s].amount);
			memset(&in->all[s], 0, sizeof(MatchRows));
		}
		in->all[s].n = 0;
		match_ids_reset(in->ids[s]);
	}
	month_map_reset(in->months);
	if (in->keys)
		keys_reset(in->keys);
	in->build.group->amount_scale = 0;
	in->build.full = false;
}

/*
 * Write both tables to batches by key range, the first ranges from the
 * payment column's histogram.
 */
static void
spill_tables(MatchInput *in)
{
	MatchTable *pay = in->table[SIDE_PAY];
	double		bytes = (in->estimate[SIDE_ACC] + in->estimate[SIDE_PAY]) *
		in->row_bytes;
	MemoryContext old = MemoryContextSwitchTo(in->cxt);

	in->spill = match_spill_create(&in->kt, COL_KEY, in->cxt);
	match_spill_bounds(in->spill, pay->relid, pay->key_attnum,
					   (int) Min(INPUT_MAX_BATCHES,
								 bytes / Max(in->limit / 2, 1) + 1));
	run_side(in, SIDE_ACC, match_spill_receiver(in->spill, SIDE_ACC));
	run_side(in, SIDE_PAY, match_spill_receiver(in->spill, SIDE_PAY));
	MemoryContextSwitchTo(old);
}

/*
 * Read the rows of the next batch into memory; false when none is left.
 */
static bool
read_batch(MatchInput *in)
{
	MemoryContext old;

	if (!match_spill_next(in->spill, in->limit, in->row_bytes))
		return false;
	forget_rows(in, false);
	old = MemoryContextSwitchTo(in->build.row_cxt);
	for (int s = 0; s < 2; s++)
	{
		TupleTableSlot *slot;
		uint64		nrows = 0;

		match_build_reserve(&in->build, s, match_spill_rows(in->spill, s));
		while ((slot = match_spill_read(in->spill, s)) != NULL)
		{
			slot_getallattrs(slot);
			match_build_row(&in->build, s, slot->tts_values, slot->tts_isnull);
			if ((++nrows % 10000) == 0)
			{
				MemoryContextReset(in->build.row_cxt);
				CHECK_FOR_INTERRUPTS();
			}
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(in->build.row_cxt);
	return true;
}

/*
 * Read the rows to group next: both tables whole (in memory, watching the
 * limit when there is one: past it, they go to batches instead), or the
 * next batch.  Then rank the ids and group the rows by key.  False when
 * nothing is left to read.
 */
static bool
load_rows(MatchInput *in)
{
	if (in->mode == INPUT_IN_MEMORY)
	{
		if (in->done)
			return false;
		in->done = true;
		in->build.limit = in->limit;
		run_side(in, SIDE_ACC, match_build_receiver(&in->build, SIDE_ACC));
		if (!in->build.full)
			run_side(in, SIDE_PAY, match_build_receiver(&in->build, SIDE_PAY));
		if (in->build.full)
		{
			elog(DEBUG1, "accmatch: the rows need more than accmatch.partition_work_mem: partitions in batches on temporary files");
			forget_rows(in, true);
			in->mode = INPUT_BATCHES;
		}
	}
	if (in->mode == INPUT_BATCHES)
	{
		if (in->spill == NULL)
			spill_tables(in);
		if (!read_batch(in))
			return false;
	}

	for (int s = 0; s < 2; s++)
		match_ids_rank(in->ids[s], in->all[s].rows, in->all[s].n);
	if (in->start[SIDE_ACC])
	{
		pfree(in->start[SIDE_ACC]);
		pfree(in->start[SIDE_PAY]);
	}
	in->ngroups = keys_group(in->keys, &in->all[SIDE_ACC], &in->all[SIDE_PAY],
							 &in->start[SIDE_ACC], &in->start[SIDE_PAY]);
	in->next_group = 0;
	return true;
}

/*
 * Raise an error when two rows of a group share an id: the id breaks ties
 * between rows of the same date, so the answer would depend on the order
 * rows are stored in.  A unique index that proves ids distinct spares the
 * check (see match_ids_proven_unique()), and so does knowing that no two
 * rows of the table (or batch) share an id (see match_ids_repeated()).
 * Rows with a NULL partition key take no part in matching and are not
 * checked.
 */
static void
check_ids(MatchInput *in, int side, const MatchGroup *group,
		  const MatchRows *rows)
{
	MatchTable *t = in->table[side];
	int64		dup;
	char	   *id;

	if (!in->check_ids[side] || group->key_isnull ||
		match_ids_repeated(in->ids[side]) == IDS_DISTINCT ||
		!match_find_duplicate_id(rows->rows, (int32) rows->n,
								 match_ids_shift(in->ids[side]), &dup))
		return;

	dup = match_ids_least_image(in->ids[side], rows->rows, rows->n, dup);
	id = match_ids_text(in->ids[side], dup);
	if (in->partition_by)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("duplicate id %s in relation \"%s\"", id, t->relname),
				 errdetail("Ids must be unique within each value of \"%s\"; this one is repeated where it is %s.",
						   in->partition_by, group->key)));
	ereport(ERROR,
			(errcode(ERRCODE_UNIQUE_VIOLATION),
			 errmsg("duplicate id %s in relation \"%s\"", id, t->relname),
			 errdetail("Ids must be unique: they tell apart rows of the same date.")));
}

/*
 * Finish a group about to be yielded: check its ids, note how many months
 * are numbered, the ids' values and how many rows the input holds.
 * Returns true.
 */
static bool
group_done(MatchInput *in, MatchGroup *group)
{
	check_ids(in, SIDE_ACC, group, &group->acc);
	check_ids(in, SIDE_PAY, group, &group->pay);
	group->nmonths = month_map_count(in->months);
	group->acc_ids = in->ids[SIDE_ACC];
	group->pay_ids = in->ids[SIDE_PAY];
	group->held_rows = in->all[SIDE_ACC].n + in->all[SIDE_PAY].n;
	return true;
}

/*
 * One side's rows of group g, as a MatchRows over the grouped array.
 */
static void
group_rows(MatchInput *in, int side, int32 g, MatchRows *out)
{
	MatchRows  *all = &in->all[side];
	int32	   *start = in->start[side];

	out->rows = all->rows + start[g];
	out->amount = all->amount ? all->amount + start[g] : NULL;
	out->n = start[g + 1] - start[g];
	out->cap = out->n;
}

/*
 * Yield the next group of rows into group (whose arrays are reused from
 * call to call); false when both tables are exhausted.
 *
 * With partition_by, the groups are the keys in ascending order, then
 * NULL; a group may have no payment (its accruals' ids are checked all
 * the same) but is never empty.
 */
bool
match_input_next(MatchInput *in, MatchGroup *group)
{
	int32		g;

	group->key = NULL;
	group->key_isnull = false;
	in->build.group = group;

	if (in->mode == INPUT_WHOLE)
	{
		MemoryContext old;

		if (in->done)
			return false;
		in->done = true;
		group->amount_scale = 0;
		old = MemoryContextSwitchTo(in->cxt);
		run_side(in, SIDE_ACC, match_build_receiver(&in->build, SIDE_ACC));
		run_side(in, SIDE_PAY, match_build_receiver(&in->build, SIDE_PAY));
		MemoryContextSwitchTo(old);
		for (int s = 0; s < 2; s++)
			match_ids_rank(in->ids[s], in->all[s].rows, in->all[s].n);
		group->acc = in->all[SIDE_ACC];
		group->pay = in->all[SIDE_PAY];
		return group_done(in, group);
	}

	for (;;)
	{
		if (!in->loaded)
		{
			MemoryContext old = MemoryContextSwitchTo(in->cxt);
			bool		more;

			group->amount_scale = 0;
			more = load_rows(in);
			MemoryContextSwitchTo(old);
			if (!more)
				return false;
			in->loaded = true;
		}
		while (in->next_group < in->ngroups &&
			   in->start[SIDE_PAY][in->next_group + 1] ==
			   in->start[SIDE_PAY][in->next_group] &&
			   in->start[SIDE_ACC][in->next_group + 1] ==
			   in->start[SIDE_ACC][in->next_group])
			in->next_group++;
		if (in->next_group < in->ngroups)
			break;
		in->loaded = false;
	}

	CHECK_FOR_INTERRUPTS();
	g = in->next_group++;
	group_rows(in, SIDE_ACC, g, &group->acc);
	group_rows(in, SIDE_PAY, g, &group->pay);
	match_build_scale_group(&in->build, group);
	group->acc.n = keys_restore_marks(&group->acc, 0, (int32) group->acc.n,
									  false);
	group->pay.n = keys_restore_marks(&group->pay, 0, (int32) group->pay.n,
									  true);
	group->key_isnull = (g == in->ngroups - 1);
	if (!group->key_isnull)
	{
		MemoryContext old = MemoryContextSwitchTo(in->build.row_cxt);

		MemoryContextReset(in->build.row_cxt);
		group->key = keys_text(in->keys, g);
		MemoryContextSwitchTo(old);
	}
	return group_done(in, group);
}

/*
 * Close the batches' files and disconnect from SPI.
 */
void
match_input_close(MatchInput *in)
{
	if (in->spill)
	{
		elog(DEBUG2, "accmatch: %d batches", match_spill_batches(in->spill));
		match_spill_close(in->spill);
	}
	for (int s = 0; s < 2; s++)
		SPI_freeplan(in->plan[s]);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
}
