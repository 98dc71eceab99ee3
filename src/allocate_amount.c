/*-------------------------------------------------------------------------
 *
 * allocate_amount.c
 *	  Amounts of allocate_payments(): from smallint, integer, bigint and
 *	  numeric values to exact scaled integers, and back to numeric.
 *
 * An amount is kept as an int64 count of units of 10^-scale.  A value's
 * own scale is its display scale (numeric's dscale: 2 for 12.50, 0 for
 * integers); the rows of a group are brought to the largest scale among
 * them, at most AMOUNT_MAX_SCALE.  A value whose scaled form does not fit
 * in an int64 is reported, never rounded: about 18 significant digits,
 * e.g. up to 92 233 720 368 547 758.07 at scale 2.
 *
 * Numeric values are read and written in their stored form, without
 * calling numeric functions: a numeric(12,2) is converted in a few integer
 * operations, and the conversion of millions of values stays a small part
 * of a call.  The
 * stored form is the one on disk, which pg_upgrade carries over unchanged,
 * so it does not change between major versions: a varlena holding a 16-bit
 * header, then either (short form) the digits, or (long form) a 16-bit
 * weight and the digits; digits are base 10000, most significant first,
 * the first one worth 10000^weight.  The header's top two bits tell the
 * form: 00 positive long, 01 negative long, 10 short, 11 special (NaN and
 * the infinities).  A short header holds the sign (bit 13), the display
 * scale (bits 7-12) and the weight (bit 6 its sign, bits 0-5 its value).
 * A long form's header holds the display scale in its low 14 bits.
 *
 *-------------------------------------------------------------------------
 */
#include "match.h"
#include "compat.h"

#include "catalog/pg_type.h"
#include "common/int.h"

/* The stored numeric header, as described above. */
#define NUM_FORM_MASK		0xC000
#define NUM_FORM_NEG		0x4000
#define NUM_FORM_SHORT		0x8000
#define NUM_FORM_SPECIAL	0xC000
#define NUM_SPECIAL_NAN		0xC000
#define NUM_SHORT_NEG		0x2000
#define NUM_SHORT_DSCALE_MASK	0x1F80
#define NUM_SHORT_DSCALE_SHIFT	7
#define NUM_SHORT_WEIGHT_NEG	0x0040
#define NUM_SHORT_WEIGHT_MASK	0x003F
#define NUM_LONG_DSCALE_MASK	0x3FFF
#define NUM_BASE_DIGITS		4	/* decimal digits in one base-10000 digit */

static const int64 pow10_int64[AMOUNT_MAX_SCALE + 1] = {
	INT64CONST(1), INT64CONST(10), INT64CONST(100), INT64CONST(1000),
	INT64CONST(10000), INT64CONST(100000), INT64CONST(1000000),
	INT64CONST(10000000), INT64CONST(100000000), INT64CONST(1000000000),
	INT64CONST(10000000000), INT64CONST(100000000000),
	INT64CONST(1000000000000), INT64CONST(10000000000000),
	INT64CONST(100000000000000), INT64CONST(1000000000000000),
	INT64CONST(10000000000000000), INT64CONST(100000000000000000),
	INT64CONST(1000000000000000000)
};

/* The largest value that times 10^pad, pad = 0 to 3, fits an int64. */
static const int64 padded_max[NUM_BASE_DIGITS] = {
	PG_INT64_MAX, PG_INT64_MAX / 10, PG_INT64_MAX / 100, PG_INT64_MAX / 1000
};

/*
 * Convert a stored numeric to an integer count of units of 10^-dscale.
 */
static AmountStatus
numeric_to_scaled(Datum value, bool allow_negative, int64 *scaled, int *scale)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(value);
	const char *data = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);
	uint16		header;
	int			weight;
	int			dscale;
	bool		negative;
	int			ndigits;
	int64		result = 0;

	memcpy(&header, data, sizeof(uint16));
	data += sizeof(uint16);
	len -= sizeof(uint16);

	switch (header & NUM_FORM_MASK)
	{
		case NUM_FORM_SPECIAL:
			return header == NUM_SPECIAL_NAN ? AMOUNT_NAN : AMOUNT_INFINITE;
		case NUM_FORM_SHORT:
			negative = (header & NUM_SHORT_NEG) != 0;
			dscale = (header & NUM_SHORT_DSCALE_MASK) >> NUM_SHORT_DSCALE_SHIFT;
			weight = header & NUM_SHORT_WEIGHT_MASK;
			if (header & NUM_SHORT_WEIGHT_NEG)
				weight |= ~NUM_SHORT_WEIGHT_MASK;
			break;
		default:
			{
				int16		w;

				negative = (header & NUM_FORM_MASK) == NUM_FORM_NEG;
				dscale = header & NUM_LONG_DSCALE_MASK;
				memcpy(&w, data, sizeof(int16));
				weight = w;
				data += sizeof(int16);
				len -= sizeof(int16);
			}
			break;
	}

	ndigits = len / (int) sizeof(int16);
	*scale = dscale;
	if (ndigits == 0)
	{
		*scaled = 0;			/* zero, of whatever scale */
		return dscale > AMOUNT_MAX_SCALE ? AMOUNT_OUT_OF_RANGE : AMOUNT_OK;
	}
	if (negative && !allow_negative)
		return AMOUNT_NEGATIVE;
	if (dscale > AMOUNT_MAX_SCALE)
		return AMOUNT_OUT_OF_RANGE;

	for (int i = 0; i < ndigits; i++)
	{
		int16		digit;
		int			e = NUM_BASE_DIGITS * (weight - i) + dscale;
		int64		term;

		memcpy(&digit, data + i * sizeof(int16), sizeof(int16));
		if (digit == 0)
			continue;
		if (e < 0)
		{
			/* digits past the display scale must be zeros */
			if (e <= -NUM_BASE_DIGITS || digit % pow10_int64[-e] != 0)
				return AMOUNT_OUT_OF_RANGE;
			term = digit / pow10_int64[-e];
		}
		else if (e > AMOUNT_MAX_SCALE ||
				 pg_mul_s64_overflow(digit, pow10_int64[e], &term))
			return AMOUNT_OUT_OF_RANGE;
		if (pg_add_s64_overflow(result, term, &result))
			return AMOUNT_OUT_OF_RANGE;
	}
	*scaled = negative ? -result : result;
	return AMOUNT_OK;
}

/*
 * Convert an amount of type smallint, integer, bigint or numeric to an
 * integer count of units of 10^-scale, scale being the value's own;
 * negative amounts only when allow_negative (a ledger's reversals).
 */
AmountStatus
amount_from_datum(Datum value, Oid type, bool allow_negative, int64 *scaled,
				  int *scale)
{
	int64		v;

	switch (type)
	{
		case INT2OID:
			v = DatumGetInt16(value);
			break;
		case INT4OID:
			v = DatumGetInt32(value);
			break;
		case INT8OID:
			v = DatumGetInt64(value);
			break;
		default:
			return numeric_to_scaled(value, allow_negative, scaled, scale);
	}
	*scale = 0;
	*scaled = v;
	return v < 0 && !allow_negative ? AMOUNT_NEGATIVE : AMOUNT_OK;
}

/*
 * Bring a scaled amount from one scale to a larger one; false when it
 * then does not fit.
 */
bool
amount_rescale(int64 *value, int from, int to)
{
	Assert(from <= to && to <= AMOUNT_MAX_SCALE);
	if (from == to)
		return true;
	return !pg_mul_s64_overflow(*value, pow10_int64[to - from], value);
}

/*
 * The numeric value of a scaled amount (of either sign, but not
 * PG_INT64_MIN), with that display scale, in the stored form described
 * above, without the varlena header:
 * written to buf (AMOUNT_NUMERIC_MAX bytes at least); returns its length.
 * It always fits the short form: an int64 at scale 0 to 18 has a weight of
 * -5 to 4.  Digits are stripped of leading and trailing zeros, as
 * PostgreSQL stores them.
 */
int
amount_numeric_body(int64 value, int scale, char *buf)
{
	int16		digits[(AMOUNT_NUMERIC_MAX - sizeof(uint16)) / sizeof(int16)];
	int			ndigits = 0;
	int			weight;
	int			pad = (NUM_BASE_DIGITS - scale % NUM_BASE_DIGITS) % NUM_BASE_DIGITS;
	int			nfrac = (scale + pad) / NUM_BASE_DIGITS;
	int			first;
	int			last;
	uint16		header;
	char	   *data = buf;
	bool		negative = (value < 0);

	Assert(value != PG_INT64_MIN && scale >= 0 && scale <= AMOUNT_MAX_SCALE);
	if (negative)
		value = -value;

	if (value <= padded_max[pad])
	{
		/*
		 * The usual case: the value with its fraction padded to whole
		 * groups fits an int64, whose groups are then the fraction groups
		 * followed by the integer groups (at least one), by divisions by a
		 * constant.
		 */
		uint64		v = (uint64) value * pow10_int64[pad];

		do
		{
			digits[ndigits++] = (int16) (v % 10000);
			v /= 10000;
		} while (v > 0 || ndigits <= nfrac);
	}
	else
	{
		int64		ipart = value / pow10_int64[scale];
		int64		fpart = value % pow10_int64[scale];

		/* fraction groups, least significant first; the last one padded */
		for (int i = 0; i < nfrac; i++)
		{
			if (i == 0 && pad > 0)
			{
				digits[ndigits++] = (int16) ((fpart % pow10_int64[NUM_BASE_DIGITS - pad]) *
											 pow10_int64[pad]);
				fpart /= pow10_int64[NUM_BASE_DIGITS - pad];
			}
			else
			{
				digits[ndigits++] = (int16) (fpart % 10000);
				fpart /= 10000;
			}
		}
		/* integer groups */
		do
		{
			digits[ndigits++] = (int16) (ipart % 10000);
			ipart /= 10000;
		} while (ipart > 0);
	}
	weight = ndigits - nfrac - 1;

	/* digits[] runs from least to most significant: strip zeros at both ends */
	last = 0;
	while (last < ndigits && digits[last] == 0)
		last++;
	first = ndigits - 1;
	while (first >= last && digits[first] == 0)
	{
		first--;
		weight--;
	}
	if (first < last)
	{
		weight = 0;				/* zero */
		ndigits = 0;
	}
	else
		ndigits = first - last + 1;

	header = NUM_FORM_SHORT | (negative && ndigits > 0 ? NUM_SHORT_NEG : 0) |
		(scale << NUM_SHORT_DSCALE_SHIFT) |
		(weight < 0 ? NUM_SHORT_WEIGHT_NEG : 0) |
		(weight & NUM_SHORT_WEIGHT_MASK);
	memcpy(data, &header, sizeof(uint16));
	data += sizeof(uint16);
	for (int i = 0; i < ndigits; i++)
	{
		int16		d = digits[first - i];

		memcpy(data + i * sizeof(int16), &d, sizeof(int16));
	}
	return sizeof(uint16) + ndigits * sizeof(int16);
}

/*
 * The numeric value of a scaled amount, as amount_numeric_body() describes
 * it, palloc'd.
 */
Datum
amount_to_numeric(int64 value, int scale)
{
	char		body[AMOUNT_NUMERIC_MAX];
	int			len = amount_numeric_body(value, scale, body);
	struct varlena *result = palloc(VARHDRSZ + len);

	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), body, len);
	return PointerGetDatum(result);
}
