/*-------------------------------------------------------------------------
 *
 * match_input_int.h
 *	  Private to the input side of match_payments(): one table's reader
 *	  (match_reader.c) and the state of both tables being read
 *	  (match_input.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MATCH_INPUT_INT_H
#define MATCH_INPUT_INT_H

#include "match.h"

#include "executor/spi.h"

/* Turns a column's Datum into the int64 a MatchRow keeps. */
typedef int64 (*MatchValueFn) (Datum value);

extern MatchValueFn match_value_fn(Oid type);

/* Streams one table's rows through an SPI cursor, a batch at a time. */
typedef struct MatchReader
{
	MatchTable *table;
	char	   *query;			/* SELECT of the columns read */
	char	   *ordered_query;	/* the same, ordered by the partition key */
	SPIPlanPtr	plan;			/* query, once planned for an estimate */
	Portal		portal;			/* when streamed: the open cursor */
	SPITupleTable *tuptable;
	uint64		pos;
	uint64		count;
	bool		done;
	bool		keyed;			/* read through the ordered cursor */
	int			key_col;		/* position of the key, 0 when not read */
	bool		check_ids;		/* no unique index proves ids distinct */
	MatchValueFn id_value;		/* chosen once from the column types */
	MatchValueFn date_value;
	int			amount_col;		/* position of the amount, 0 when not read */
	MemoryContext cxt;			/* where row arrays grow */
	MemoryContext batch_cxt;	/* reset after each batch */
	int64		expected_rows;	/* planner's estimate, for the first array */
} MatchReader;

/* Both tables being read, and the partition key being merged. */
struct MatchInput
{
	MatchReader *pay;
	MatchReader *acc;
	MonthMap   *months;
	bool		keyed;
	bool		done;			/* the single group was returned */
	const char *partition_by;	/* the column, for messages */
	MemoryContext cxt;
	MemoryContext key_cxt;		/* the current key, reset per group */
	bool		have_key;		/* a group was read: key is its key */
	bool		key_isnull;
	Datum		key;
	FmgrInfo	key_cmp;		/* btree comparison of the key type */
	Oid			key_coll;
	Oid			key_out;
	int16		key_typlen;
	bool		key_typbyval;

	/* partition_by grouped in memory (see match_input_next()) */
	bool		grouped;
	MatchValueFn key_value;		/* keys_raw: the key as an integer */
	MonthMap   *keys;			/* numbers the keys as rows are read */
	bool		keys_raw;		/* integer keys kept as they are, not
								 * numbered (see match_input_key_row()) */
	MatchGroup *reading;		/* the arrays being read into */
	MatchRows	pay_all;		/* every row of each table, by group */
	MatchRows	acc_all;
	int32	   *pay_start;		/* group g: rows [start[g], start[g + 1]);
								 * NULL until both tables are grouped */
	int32	   *acc_start;
	Datum	   *key_values;		/* group g's key; the last group's is NULL */
	int32		ngroups;
	int32		next_group;
	int			amount_scale;
};

/*
 * While rows are grouped in memory, match holds the key, so these months
 * mark a payment without a date, a row without a key, and a payment
 * without either (see match_input_key_row()).  Month numbers are -1 or more.
 */
#define GROUPED_NULL_DATE		(-2)
#define GROUPED_NULL_KEY		(-3)
#define GROUPED_NULL_KEY_DATE	(-4)

/*
 * Compare two non-NULL partition keys with the type's btree comparison.
 */
static inline int
compare_keys(MatchInput *in, Datum a, Datum b)
{
	return DatumGetInt32(FunctionCall2Coll(&in->key_cmp, in->key_coll, a, b));
}

extern void match_input_key_row(MatchInput *in, MatchRow *row, Datum key,
								bool isnull);
extern void match_input_spell_key(MatchInput *in, Datum key);

/* ---- one table's reader (match_reader.c) ---- */

extern MatchReader *match_reader_open(MatchTable *t, const char *partition_by,
									  MemoryContext cxt);
extern double match_reader_estimate(MatchReader *r);
extern void match_reader_stream(MatchReader *r);
extern bool match_reader_peek_key(MatchReader *r, Datum *key, bool *isnull);
extern void match_reader_read_group(MatchInput *in, MatchReader *r,
									bool key_isnull, Datum key,
									MatchGroup *group, MatchRows *out);
extern void match_reader_read_all(MatchInput *in, MatchReader *r,
								  MatchGroup *group, MatchRows *out);
extern void match_reader_close(MatchReader *r);

#endif							/* MATCH_INPUT_INT_H */
