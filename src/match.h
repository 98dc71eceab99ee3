/*-------------------------------------------------------------------------
 *
 * match.h
 *	  Payment matching: the interfaces between its parts.
 *
 * Data flows one way:
 *
 *	match_catalog.c	resolves and checks the two tables (MatchTable)
 *	match_reader.c	reads one table through SPI into row arrays (all
 *					of it, or one partition key's rows from a cursor)
 *	match_input.c	owns SPI: reads both tables and yields one group of
 *					rows at a time (everything, or one partition key),
 *					checking ids are unique and keys come in order;
 *					match_input_int.h is private to these two
 *	match_months.c	numbers month values, for the input side
 *	match_core.c	pure matching over plain arrays: sort, month chains,
 *					the sweep, the id check; knows no Datum and no SPI
 *	match.c			the SQL entry: arguments, wiring, the result rows
 *
 * allocate_payments() takes the same path with amounts: the input reads
 * them through allocate_amount.c (numeric and integers to exact scaled
 * int64s), allocate_core.c runs its sweep over the same sorted rows and
 * month chains, and allocate.c is its SQL entry.
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
 * the same type, so values compare directly).  month is a dense number given
 * to each distinct month value, or -1 for NULL and for a payment month that
 * no accrual has.  match is, for a payment, the index of the accrual it pays
 * (or MATCH_NONE), and for an accrual, ACCRUAL_PAID once it is paid.
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
 * match_sort_group_amounts()), so that the 24-byte rows of match_payments() stay as
 * they are.  amount is NULL when the table's amounts are not read.
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
									int64 *dup);
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
	Oid			id_type;		/* INT2OID, INT4OID or INT8OID */
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

extern void match_resolve_table(MatchTable *t, const char *role, text *name,
								const char *partition_by);
extern AttrNumber match_lookup_column(MatchTable *t, const char *column,
									  const char *argument,
									  Oid *type, Oid *collation);
extern void match_check_same_types(MatchTable *pay, MatchTable *acc,
								   const char *partition_by);
extern bool match_ids_proven_unique(MatchTable *t, Oid key_coll);
extern void match_resolve_amount(MatchTable *t, const char *amount_column);

/* ---- month numbering (match_months.c) ---- */

/* Maps month values to dense numbers. */
typedef struct MonthMap MonthMap;

extern MonthMap *month_map_create(MemoryContext cxt, Oid type, Oid collation);
extern int32 month_map_number(MonthMap *map, Datum value, bool add);
extern void month_map_reset(MonthMap *map);
extern int32 month_map_count(MonthMap *map);
extern bool month_map_hashed(MonthMap *map);
extern int32 month_map_number_key(MonthMap *map, Datum value);
extern void month_map_values(MonthMap *map, Datum *values);
extern bool match_spelling_precedes(Datum a, Datum b, bool byval,
									int16 typlen);
extern Datum match_copy_value(Datum value, bool byval, int16 typlen,
							  MemoryContext cxt);

/* ---- reading the tables (match_input.c) ---- */

/*
 * What the input yields: the rows of one partition key (or of the whole
 * tables), valid until the next call.  Payments with a NULL date have
 * match = MATCH_NULL_DATE; accruals with a NULL date are left out.  Month
 * numbers are below nmonths.  key is the partition key as text (NULL when
 * the key is NULL or there is no partition_by).  When the tables have an
 * amount column, every amount of the group is in units of
 * 10^-amount_scale (see allocate_amount.c).
 */
typedef struct MatchGroup
{
	MatchRows	pay;
	MatchRows	acc;
	int32		nmonths;
	bool		key_isnull;
	char	   *key;
	int			amount_scale;
	int64		held_rows;		/* rows of both tables held in memory while
								 * this group is matched (every row, when
								 * grouped in memory) */
} MatchGroup;

/* Both tables being read; see match_input.c. */
typedef struct MatchInput MatchInput;

extern MatchInput *match_input_open(MatchTable *pay, MatchTable *acc,
									const char *partition_by,
									MemoryContext cxt);
extern bool match_input_next(MatchInput *in, MatchGroup *group);
extern void match_input_close(MatchInput *in);

/* ---- settings and argument parsing shared by the SQL entries (match.c) ---- */

extern PGDLLIMPORT bool match_group_in_memory;

extern MatchStrategy match_parse_strategy(const char *name);
extern text *match_required_text_arg(FunctionCallInfo fcinfo, int argno,
									 const char *name, const char *fname);

/* ---- result rows, shared by the SQL entries (match.c) ---- */

/*
 * A result row kept formed, to be copied into the result once per row
 * with its ids (the leading int8 columns payment_id and accrual_id) and,
 * for an amount, the stored form of its numeric column written in: see
 * match_result_form().
 */
typedef struct ResultTemplate
{
	HeapTuple	tuple;			/* NULL until formed */
	char	   *ids;			/* payment_id; accrual_id follows unless NULL */
	char	   *numeric;		/* the numeric's stored form, after its header */
} ResultTemplate;

extern void match_result_store(ReturnSetInfo *rsinfo, Size held);
extern void match_result_check(TupleDesc desc, int natts, bool with_amount,
							   const char *fname);
extern void match_result_form(ResultTemplate *t, TupleDesc desc,
							  const Datum *values, const bool *nulls,
							  int numeric_col);
extern void match_result_put(Tuplestorestate *store, ResultTemplate *t,
							 int64 pay_id, const int64 *acc_id);
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

extern AmountStatus amount_from_datum(Datum value, Oid type, int64 *scaled,
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
