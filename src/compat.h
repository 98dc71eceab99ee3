/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  The few server APIs that differ between the PostgreSQL major versions
 *	  accmatch builds against, each given one spelling here so that the
 *	  rest of the source has no version checks.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ACCMATCH_COMPAT_H
#define ACCMATCH_COMPAT_H

#include "lib/stringinfo.h"

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

#endif							/* ACCMATCH_COMPAT_H */
