/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  The few server APIs that differ between the PostgreSQL major versions
 *	  accmatch builds against (15 to 18), each given one spelling here so
 *	  that the rest of the source has no version checks.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ACCMATCH_COMPAT_H
#define ACCMATCH_COMPAT_H

#include "lib/stringinfo.h"
#include "utils/datetime.h"
#include "utils/pg_locale.h"

/*
 * PostgreSQL 16 moved the varlena macros (VARDATA, VARSIZE, SET_VARSIZE,
 * ...) out of postgres.h into varatt.h.
 */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/*
 * PostgreSQL 18 marks functions that do not return with pg_noreturn,
 * written before the return type, and no longer has
 * pg_attribute_noreturn().  Before 18 the latter is GCC's attribute (or
 * nothing), which may stand before the return type too.
 */
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

/*
 * PostgreSQL 17 reads a StringInfo in place over bytes it does not own;
 * before it, the same is done by filling in the fields, as 17 does.
 */
#if PG_VERSION_NUM < 170000
static inline void
initReadOnlyStringInfo(StringInfo str, char *data, int len)
{
	str->data = data;
	str->len = len;
	str->maxlen = 0;
	str->cursor = 0;
}
#endif

/*
 * DecodeDateTime() for a timestamp with time zone read from str, raising a
 * time zone error (an unknown zone name or abbreviation) itself and
 * returning any other error code.  PostgreSQL 15 raises those errors inside
 * DecodeDateTime(); 16 returns them, with their details in a
 * DateTimeErrorExtra, for the caller to raise with DateTimeParseError(),
 * which then gives the same SQLSTATE and message as 15 did.
 */
static inline int
compat_decode_datetime(char **field, int *ftype, int nf, int *dtype,
					   struct pg_tm *tm, fsec_t *fsec, int *tzp,
					   const char *str)
{
#if PG_VERSION_NUM >= 160000
	DateTimeErrorExtra extra = {0};
	int			dterr;

	dterr = DecodeDateTime(field, ftype, nf, dtype, tm, fsec, tzp, &extra);
	if (dterr == DTERR_BAD_TIMEZONE || dterr == DTERR_BAD_ZONE_ABBREV)
		DateTimeParseError(dterr, &extra, str, "timestamp with time zone",
						   NULL);
	return dterr;
#else
	(void) str;
	return DecodeDateTime(field, ftype, nf, dtype, tm, fsec, tzp);
#endif
}

/*
 * Ask the processor to bring the memory at p into its cache, where the
 * compiler offers a way to.  On x86-64 the instruction is written out:
 * GCC 12 at -O2 was seen to drop __builtin_prefetch() as dead code in an
 * inlined function whose address depends on conditions.  A prefetch never
 * faults, so p need not be valid.
 */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define compat_prefetch(p) \
	__asm__ __volatile__("prefetcht0 %0" : : "m" (*(const char *) (p)))
#elif defined(__GNUC__) || defined(__clang__)
#define compat_prefetch(p) __builtin_prefetch(p)
#else
#define compat_prefetch(p) ((void) (p))
#endif

/*
 * Whether a collation orders strings by their bytes (C, POSIX).  PostgreSQL
 * 18 asks the collation's locale; before it, lc_collate_is_c() does.
 */
static inline bool
compat_collation_is_c(Oid collation)
{
	if (!OidIsValid(collation))
		return false;
#if PG_VERSION_NUM >= 180000
	return pg_newlocale_from_collation(collation)->collate_is_c;
#else
	return lc_collate_is_c(collation);
#endif
}

#endif							/* ACCMATCH_COMPAT_H */
