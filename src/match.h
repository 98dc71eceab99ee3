/*-------------------------------------------------------------------------
 *
 * match.h
 *	  Payment matching and allocation: the interfaces between their parts.
 *
 * Data flows one way, from the SQL entries down to the leaves:
 *
 *	match.c, allocate.c,	the SQL entries: arguments, wiring, result rows
 *	corrections.c
 *	match_catalog.c		resolves and checks the two tables (MatchTable)
 *	match_input.c		owns SPI: reads both tables and yields one group of
 *						rows at a time (everything, or one partition key),
 *						in memory or through batches on temporary files;
 *						it drives the three below
 *	match_rows.c		turns one row's values into the compact rows of a
 *						group (ids, dates, month numbers, keys, amounts)
 *	match_keys.c		numbers partition keys and groups rows by key
 *	match_spill.c		batches of rows by key range on temporary files
 *	match_ids.c			ids of any type: kept as integers, or ranked
 *	match_months.c		numbers month values (and keys, for match_keys.c)
 *	allocate_amount.c	amounts as exact scaled integers
 *	match_core.c		pure matching over plain arrays: sort, month chains,
 *						the sweep, the id check; knows no Datum and no SPI
 *	allocate_core.c		the allocation sweep over the same arrays
 *
 *-------------------------------------------------------------------------
 */
#ifndef MATCH_H
#define MATCH_H

#include "postgres.h"

#include "access/attnum.h"
#include "access/htup.h"
#include "access/tupdesc.h"
#include "fmgr.h"
#include "nodes/execnodes.h"
#include "utils/tuplestore.h"

/* ---- rows, as the core sees them (match_core.c) ---- */

/*
 * One row of either input table, as the matcher keeps it: 24 bytes.
 *
 * date holds a date, timestamp or timestamptz as an int64 (both tables have
 * the same type, so values compare directly).  id is the row's id: its
 * value for integer ids, else a class in the id type's order (see
 * match_ids.c), so that ids compare as integers either way.  month is a
 * dense number given to each distinct month value, or -1 for NULL and for
 * a payment month that no accrual has.  match is, for a payment, the
 * index of the accrual it pays (or MATCH_NONE), and for an accrual,
 * ACCRUAL_PAID once it is paid.
 */
typedef struct MatchRow
{
	int64		date;
	int64		id;
	int32		month;
	int32		match;
} MatchRow;

#define MATCH_NONE		(-1)
#define MATCH_NULL_DATE	(-2)		/* payment with NULL date, while reading */
#define ACCRUAL_UNPAID	0
#define ACCRUAL_PAID	1

/*
 * A growable array of rows.  A matcher that needs one more value per row
 * (an amount) keeps it in an array parallel to rows, filled by the input in
 * read order and moved along with the rows by the sort (see
 * match_sort_group_amounts()), so that the 24-byte rows of
 * match_payments() stay as they are.  amount is NULL when the table's
 * amounts are not read.
 */
typedef struct MatchRows
{
	MatchRow   *rows;
	int64	   *amount;
	int64		n;
	int64		cap;
} MatchRows;

typedef enum MatchStrategy
{
	STRATEGY_SEQUENTIAL,
	STRATEGY_MONTH_FIRST
} MatchStrategy;

/*
 * Working memory of the core, reused from one group to the next: the
 * per-month chains through the sorted accruals.
 */
typedef struct MatchCore
{
	MemoryContext cxt;
	int32	   *next;			/* per accrual: next accrual of its month */
	int64		next_cap;
	int32	   *head;			/* per month: first accrual not known paid */
	int64		head_cap;
} MatchCore;

extern void match_core_init(MatchCore *core, MemoryContext cxt);
extern bool match_find_duplicate_id(const MatchRow *rows, int32 n,
									int shift, int64 *dup);
extern void match_sort_rows(MatchRow *rows, int32 n);
extern int32 match_sort_group(MatchRow *pay, int32 npay,
							  MatchRow *acc, int32 nacc);
extern int32 match_sort_group_amounts(MatchRow *pay, int64 *pay_amount,
									  int32 npay, MatchRow *acc,
									  int64 *acc_amount, int32 nacc);
extern void match_chain_months(MatchCore *core, const MatchRow *acc,
							   int32 nacc, int32 nmonths);
extern void match_chain_months_in_rows(MatchCore *core, MatchRow *acc,
									   int32 nacc, int32 nmonths);
extern void match_unchain_months(MatchCore *core, const MatchRow *acc,
								 int32 nacc);
extern void match_sweep(MatchCore *core, MatchRow *pay, int32 npay,
						MatchRow *acc, int32 nacc,
						bool use_month, bool use_oldest);
extern void match_group(MatchCore *core, MatchStrategy strategy,
						MatchRow *pay, int32 npay,
						MatchRow *acc, int32 nacc, int32 nmonths);
extern void match_group_by_key(MatchRows *rows, int32 ngroups, int32 *start);

/* ---- the two tables (match_catalog.c) ---- */

/* One input table, resolved and checked. */
typedef struct MatchTable
{
	const char *role;			/* "payments" or "accruals": the argument */
	bool		is_payment;
	Oid			relid;
	char	   *relname;		/* for messages */
	char	   *qualname;		/* quoted schema.table for queries */
	AttrNumber	id_attnum;
	Oid			id_type;		/* base type of id */
	Oid			id_coll;		/* its collation, when collatable */
	Oid			date_type;		/* DATEOID, TIMESTAMPOID or TIMESTAMPTZOID */
	Oid			month_type;
	Oid			month_coll;
	AttrNumber	key_attnum;		/* 0 when not partitioned */
	Oid			key_type;		/* InvalidOid when not partitioned */
	Oid			key_coll;		/* compared under the payment column's */
	const char *amount_column;	/* allocate_payments() only, else NULL */
	Oid			amount_type;	/* INT2OID, INT4OID, INT8OID or NUMERICOID */
	int			amount_scale;	/* the scale of every amount, when the
								 * column's type fixes it; else -1 */
} MatchTable;

extern Oid	match_relation_arg(FunctionCallInfo fcinfo, int argno,
							   const char *name, const char *fname);
extern void match_resolve_table(MatchTable *t, const char *role, Oid relid,
								const char *partition_by);
extern void match_check_same_types(MatchTable *pay, MatchTable *acc,
								   const char *partition_by);
extern void match_check_id_types(MatchTable *pay, MatchTable *acc,
								 Oid result_type, bool typed,
								 const char *fname);
extern bool match_is_integer_type(Oid type);
extern bool match_ids_proven_unique(MatchTable *t, Oid key_coll);
extern void match_resolve_amount(MatchTable *t, const char *amount_column);
extern int	match_reads_begin(void);
extern void match_reads_end(int nest_level);

/* ---- month numbering (match_months.c) ---- */

/* Maps month values (or partition keys) to dense numbers. */
typedef struct MonthMap MonthMap;

extern MonthMap *month_map_create(MemoryContext cxt, Oid type, Oid collation);
extern int32 month_map_number(MonthMap *map, Datum value, bool add);
extern void month_map_reset(MonthMap *map);
extern int32 month_map_count(MonthMap *map);
extern int32 month_map_number_key(MonthMap *map, Datum value, bool spell);
extern void month_map_values(MonthMap *map, Datum *values);
extern bool match_spelling_precedes(Datum a, Datum b, bool byval,
									int16 typlen);
extern Datum match_copy_value(Datum value, bool byval, int16 typlen,
							  MemoryContext cxt);

/* ---- ids of any type (match_ids.c) ---- */

/* One table's ids: see match_ids.c. */
typedef struct MatchIds MatchIds;

/* Whether two rows of a table share an id (see match_ids_repeated()). */
typedef enum IdsRepeated
{
	IDS_DISTINCT,
	IDS_REPEATED,
	IDS_UNKNOWN
} IdsRepeated;

extern MatchIds *match_ids_create(Oid type, Oid collation,
								  MemoryContext cxt);
extern void match_ids_reset(MatchIds *ids);
extern void match_ids_expect(MatchIds *ids, int64 rows);
extern int64 match_ids_add(MatchIds *ids, Datum value);
extern void match_ids_rank(MatchIds *ids, MatchRow *rows, int64 n);
extern IdsRepeated match_ids_repeated(const MatchIds *ids);
extern int	match_ids_shift(const MatchIds *ids);
extern Datum match_ids_datum(const MatchIds *ids, int64 id);

/*
 * Where the values of a table's ids lie (see match_ids_where()), so that
 * the result rows, which need them in an order unrelated to theirs, can
 * ask for them ahead without a call per row.  Both NULL for integer ids.
 */
typedef struct IdsWhere
{
	const char *fixed;			/* values of fixed length, typlen apart */
	int			typlen;
	const Datum *values;		/* any other: their Datums */
	bool		byval;
} IdsWhere;

extern void match_ids_where(const MatchIds *ids, IdsWhere *where);
extern char *match_ids_text(const MatchIds *ids, int64 id);
extern int64 match_ids_least_image(const MatchIds *ids, const MatchRow *rows,
								   int64 n, int64 id);

/* ---- reading the tables (match_input.c) ---- */

/*
 * What the input yields: the rows of one partition key (or of the whole
 * tables), valid until the next call.  Payments with a NULL date have
 * match = MATCH_NULL_DATE; accruals with a NULL date are left out.  Month
 * numbers are below nmonths.  key is the partition key as text (NULL when
 * the key is NULL or there is no partition_by).  When the tables have an
 * amount column, every amount of the group is in units of
 * 10^-amount_scale (see allocate_amount.c).  pay_ids and acc_ids give the
 * values of the rows' ids (see match_ids_datum()).
 */
typedef struct MatchGroup
{
	MatchRows	pay;
	MatchRows	acc;
	int32		nmonths;
	bool		key_isnull;
	char	   *key;
	int			amount_scale;
	MatchIds   *pay_ids;
	MatchIds   *acc_ids;
	int64		held_rows;		/* rows of both tables held in memory while
								 * this group is matched */
} MatchGroup;

/* Both tables being read; see match_input.c. */
typedef struct MatchInput MatchInput;

extern MatchInput *match_input_open(MatchTable *pay, MatchTable *acc,
									const char *partition_by,
									MemoryContext cxt);
extern bool match_input_next(MatchInput *in, MatchGroup *group);
extern void match_input_close(MatchInput *in);

extern PGDLLIMPORT int match_partition_work_mem;

/* ---- arguments shared by the SQL entries (match.c) ---- */

extern MatchStrategy match_parse_strategy(const char *name);
extern text *match_required_text_arg(FunctionCallInfo fcinfo, int argno,
									 const char *name, const char *fname);

/* ---- result rows, shared by the SQL entries (match.c) ---- */

/*
 * How the result's payment_id and accrual_id columns are written: bigint
 * columns of integer ids (the untyped functions), or columns of the
 * tables' own id type (the _typed functions).
 */
typedef struct ResultIds
{
	Oid			type;			/* of the two result columns */
	int16		typlen;
	bool		typbyval;
	char		typalign;
	bool		in_place;		/* fixed-length: written into a template */
	bool		composed;		/* varlena: rows composed from a template */
	int			acc_offset;		/* accrual_id's offset in the tuple's data */
} ResultIds;

/*
 * A result row kept formed, to be copied into the result once per row
 * with its ids (the leading columns payment_id and accrual_id) and, for
 * an amount, the stored form of its numeric column written in: see
 * match_result_form().  Rows of varlena ids are composed of the
 * template's header, the ids, the amount and the template's tail (the
 * columns after them), when all of them are short varlenas; any other row
 * is formed from values and nulls.
 */
typedef struct ResultTemplate
{
	bool		formed;
	HeapTuple	tuple;			/* the template, unless formed per row */
	char	   *ids;			/* payment_id; accrual_id follows unless NULL */
	char	   *numeric;		/* in place: the numeric's stored form */
	char	   *key;			/* partition_key's text, or NULL */
	int			key_len;		/* its length, -1 when NULL */
	int			hoff;			/* composed: the header's length */
	char	   *tail;			/* composed: the columns after the variable
								 * ones, or NULL when rows cannot be composed */
	int			tail_len;
	const char *num_body;		/* composed: the amount's stored form */
	int			num_len;
	char	   *buf;			/* composed: a row */
	int			buf_len;
	TupleDesc	desc;			/* formed per row: the columns */
	Datum	   *values;
	bool	   *nulls;
} ResultTemplate;

extern void match_result_store(ReturnSetInfo *rsinfo, Size held);
extern void match_result_ids(ResultIds *ids, TupleDesc desc, int natts,
							 bool with_amount, const char *fname);
extern void match_result_form(ResultTemplate *t, const ResultIds *ids,
							  TupleDesc desc, Datum *values, bool *nulls,
							  int numeric_col);
extern bool match_result_rekey(ResultTemplate *t, const char *key);
extern void match_result_put(Tuplestorestate *store, ResultTemplate *t,
							 const ResultIds *ids, const MatchGroup *group,
							 const MatchRow *pay, const MatchRow *acc);
extern void match_result_free(ResultTemplate *t);

/* Kinds of result row: matched_by 'month', 'oldest', or NULL. */
typedef enum ResultKind
{
	RESULT_BY_MONTH,
	RESULT_BY_OLDEST,
	RESULT_NO_ACCRUAL,
	RESULT_KINDS
} ResultKind;

/*
 * The kind of a result row of payment pay and accrual acc (NULL for none).
 * The sweeps take the oldest accrual only once no same-month accrual with
 * something left to pay is at hand to the payment (in month_first too,
 * whose month pass came first), so the oldest is never of its month: the
 * months tell how the accrual was found.
 */
static inline ResultKind
match_result_kind(const MatchRow *pay, const MatchRow *acc)
{
	if (acc == NULL)
		return RESULT_NO_ACCRUAL;
	if (pay->month >= 0 && acc->month == pay->month)
		return RESULT_BY_MONTH;
	return RESULT_BY_OLDEST;
}

/* ---- amounts of allocate_payments() (allocate_amount.c) ---- */

/* How an amount value converted to a scaled integer. */
typedef enum AmountStatus
{
	AMOUNT_OK,
	AMOUNT_NEGATIVE,
	AMOUNT_NAN,
	AMOUNT_INFINITE,
	AMOUNT_OUT_OF_RANGE
} AmountStatus;

#define AMOUNT_MAX_SCALE	18

extern AmountStatus amount_from_datum(Datum value, Oid type,
									  bool allow_negative, int64 *scaled,
									  int *scale);
extern bool amount_rescale(int64 *value, int from, int to);
extern Datum amount_to_numeric(int64 value, int scale);
extern int	amount_numeric_body(int64 value, int scale, char *buf);

/* The longest stored form of an amount as numeric, without its header. */
#define AMOUNT_NUMERIC_MAX	(2 + 16 * 2)

/* ---- the allocation sweep (allocate_core.c) ---- */

/* An allocation of the month pass of month_first, emitted later. */
typedef struct AllocPending
{
	int32		pay;
	int32		acc;
	int64		amount;
} AllocPending;

/*
 * Working memory of the allocator, reused from one group to the next: the
 * matcher's month chains, and month_first's kept allocations.
 */
typedef struct AllocCore
{
	MatchCore	match;
	AllocPending *pending;
	int64		npending;
	int64		pending_cap;
} AllocCore;

/*
 * Receives the result rows: an allocation of amount from pay to acc, or
 * with acc NULL the unallocated amount of pay.
 */
typedef void (*AllocEmit) (void *arg, const MatchRow *pay,
						   const MatchRow *acc, int64 amount);

extern void allocate_core_init(AllocCore *core, MemoryContext cxt);
extern void allocate_group(AllocCore *core, MatchStrategy strategy,
						   MatchRows *pay, MatchRows *acc, int32 nacc,
						   int32 nmonths, AllocEmit emit, void *arg);

#endif							/* MATCH_H */
