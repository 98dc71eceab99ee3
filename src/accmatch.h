/*-------------------------------------------------------------------------
 *
 * accmatch.h
 *	  Declarations shared by the accmatch source files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ACCMATCH_H
#define ACCMATCH_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/timestamp.h"

/* ---- payment matching (match.c, match_input.c) ---- */

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

/* A growable array of rows. */
typedef struct MatchRows
{
	MatchRow   *rows;
	int64		n;
	int64		cap;
} MatchRows;

/* One input table, resolved and checked. */
typedef struct MatchTable
{
	const char *role;			/* "payments" or "accruals": the argument */
	bool		is_payment;
	Oid			relid;
	char	   *relname;		/* for messages */
	char	   *qualname;		/* quoted schema.table for queries */
	Oid			date_type;		/* DATEOID, TIMESTAMPOID or TIMESTAMPTZOID */
	Oid			month_type;
	Oid			month_coll;
	Oid			key_type;		/* InvalidOid when not partitioned */
	Oid			key_coll;		/* compared under the payment column's */
} MatchTable;

/* Streams one table's rows through an SPI cursor, a batch at a time. */
typedef struct MatchReader MatchReader;

/* Maps month values to dense numbers; see match_input.c. */
typedef struct MonthMap MonthMap;

extern void match_resolve_table(MatchTable *t, const char *role, text *name,
								const char *partition_by);
extern void match_check_same_types(MatchTable *pay, MatchTable *acc,
								   const char *partition_by);
extern MonthMap *month_map_create(MemoryContext cxt, Oid type, Oid collation);
extern int32 month_map_count(MonthMap *map);
extern MatchReader *match_reader_open(MatchTable *t, const char *partition_by,
									  MemoryContext cxt);
extern bool match_reader_peek_key(MatchReader *r, Datum *key, bool *isnull);
extern int	match_reader_compare_keys(MatchReader *r, Datum a, Datum b);
extern void match_reader_read_group(MatchReader *r, bool key_isnull,
									Datum key, MonthMap *months,
									MatchRows *out);
extern char *match_reader_key_string(MatchReader *r, Datum key);
extern void match_reader_close(MatchReader *r);

#endif							/* ACCMATCH_H */
