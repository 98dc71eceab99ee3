/*-------------------------------------------------------------------------
 *
 * created_at.h
 *	  Reading the created_at of an action in an account document: a date
 *	  string, or milliseconds since the Unix epoch as a string or a number.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ACCMATCH_CREATED_AT_H
#define ACCMATCH_CREATED_AT_H

#include "datatype/timestamp.h"
#include "utils/numeric.h"

/* Outcome of reading a created_at; the caller raises the error. */
typedef enum CreatedAtStatus
{
	CREATED_AT_OK,
	CREATED_AT_BAD_FORMAT,		/* 22007 */
	CREATED_AT_OUT_OF_RANGE		/* 22008 */
} CreatedAtStatus;

extern CreatedAtStatus created_at_from_string(const char *s, int len,
											  ErrorContextCallback *context,
											  TimestampTz *result);
extern CreatedAtStatus created_at_from_ms_string(const char *s, int len,
												 TimestampTz *result);
extern CreatedAtStatus created_at_from_ms_numeric(Numeric ms,
												  TimestampTz *result);

#endif							/* ACCMATCH_CREATED_AT_H */
