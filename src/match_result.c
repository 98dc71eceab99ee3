/*-------------------------------------------------------------------------
 *
 * match_result.c
 *	  The result rows of match_payments(), allocate_payments() and
 *	  allocation_corrections(): their store, and rows copied from
 *	  templates with the ids written in.
 *
 * Forming a tuple column by column (sizes, alignment, varlena headers) for
 * each of millions of result rows cost more than everything else done to
 * write them; so a template is formed once per kind of row and copied,
 * with the ids written in place.  The ids are the leading columns: for a
 * fixed-length id type (the integers, uuid) they lie at fixed offsets of
 * the tuple's data, and the columns after them where they lie for any
 * ids.  Ids of a varlena type (text, numeric) of up to 126 bytes are
 * stored with a 1-byte header and no alignment, as are the amount and the
 * texts after them: such a row is composed of the template's header, the
 * ids, the amount and the template's tail.  Other rows are formed from
 * their values.
 *
 *-------------------------------------------------------------------------
 */
#include "match.h"

#include "access/htup_details.h"
#include "access/tupmacs.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/memutils.h"

/* The least memory a result store may use before it goes to disk. */
#define MATCH_RESULT_MIN_KB	64

/*
 * Replace the result store that InitMaterializedSRF() made with one of
 * our own, before any row is put: its tuples live in a generation
 * context, whose chunks carry a smaller header than those of the default
 * allocator and are not rounded up to a power of two, and it may hold in
 * memory what work_mem leaves beside held, the bytes of the row arrays,
 * which cannot go to disk: what does not fit goes to a temporary file.
 */
void
match_result_store(ReturnSetInfo *rsinfo, Size held)
{
	MemoryContext per_query = rsinfo->econtext->ecxt_per_query_memory;
	MemoryContext store_cxt;
	MemoryContext old;
	int64		max_kb = (int64) work_mem - (int64) (held / 1024);

	store_cxt = GenerationContextCreate(per_query, "accmatch result",
										ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(store_cxt);
	tuplestore_end(rsinfo->setResult);
	rsinfo->setResult =
		tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
							  false, (int) Max(max_kb, MATCH_RESULT_MIN_KB));
	MemoryContextSwitchTo(old);
}

/*
 * Check a result row type (natts columns: payment_id and accrual_id of one
 * type, then with an amount a numeric) and note how its ids are written.
 */
void
match_result_ids(ResultIds *ids, TupleDesc desc, int natts, bool with_amount,
				 const char *fname)
{
	Form_pg_attribute pay = TupleDescAttr(desc, 0);

	if (desc->natts != natts ||
		TupleDescAttr(desc, 1)->atttypid != pay->atttypid ||
		(with_amount && TupleDescAttr(desc, 2)->atttypid != NUMERICOID))
		elog(ERROR, "unexpected result row type of %s()", fname);
	ids->type = pay->atttypid;
	ids->typlen = pay->attlen;
	ids->typbyval = pay->attbyval;
	ids->typalign = pay->attalign;
	ids->in_place = (pay->attlen > 0);
	ids->composed = (pay->attlen == -1);
	ids->acc_offset = ids->in_place ?
		att_align_nominal(pay->attlen, pay->attalign) : 0;
}

/*
 * Form a template of result rows from values and nulls (of a row type
 * checked by match_result_ids()), for rows that differ from it only in
 * their ids (values[0] and values[1] are not read) and, when numeric_col
 * (a column number) is not 0, in the digits of that numeric column, whose
 * stored form then keeps the length it has in values.  For ids written
 * per row, values and nulls are kept (values must outlive the template).
 * The last column is partition_key, whose text a template keeps in place
 * to be changed for another key of the same length (match_result_rekey()).
 */
void
match_result_form(ResultTemplate *t, const ResultIds *ids, TupleDesc desc,
				  Datum *values, bool *nulls, int numeric_col)
{
	int			key_col = desc->natts;
	union
	{
		char		data[VARHDRSZ + 1];
		int32		align;
	}			placeholder;

	t->formed = true;
	t->numeric = NULL;
	t->key = NULL;
	t->key_len = -1;
	t->tail = NULL;
	t->desc = desc;
	t->values = palloc(desc->natts * sizeof(Datum));
	t->nulls = palloc(desc->natts * sizeof(bool));
	memcpy(t->nulls, nulls, desc->natts * sizeof(bool));

	/* placeholder ids: zeros of the type, or a varlena of one byte */
	if (ids->typbyval)
		values[0] = (Datum) 0;
	else if (ids->in_place)
		values[0] = PointerGetDatum(palloc0(ids->typlen));
	else
	{
		SET_VARSIZE(placeholder.data, VARHDRSZ + 1);
		placeholder.data[VARHDRSZ] = '0';
		values[0] = PointerGetDatum(placeholder.data);
	}
	values[1] = values[0];
	memcpy(t->values, values, desc->natts * sizeof(Datum));
	if (!ids->in_place && !ids->composed)
		return;
	t->tuple = heap_form_tuple(desc, values, nulls);
	if (ids->in_place && !ids->typbyval)
		pfree(DatumGetPointer(values[0]));
	t->ids = (char *) t->tuple->t_data + t->tuple->t_data->t_hoff;
	if (ids->in_place && numeric_col != 0)
	{
		bool		isnull;
		Pointer		stored = DatumGetPointer(heap_getattr(t->tuple, numeric_col,
														  desc, &isnull));

		Assert(!isnull);
		if (VARSIZE_ANY_EXHDR(stored) !=
			VARSIZE_ANY_EXHDR(DatumGetPointer(values[numeric_col - 1])))
			elog(ERROR, "unexpected stored form of a numeric result column");
		t->numeric = VARDATA_ANY(stored);
	}
	if (!nulls[key_col - 1])
	{
		bool		isnull;
		Pointer		stored = DatumGetPointer(heap_getattr(t->tuple, key_col,
														  desc, &isnull));

		t->key = VARDATA_ANY(stored);
		t->key_len = VARSIZE_ANY_EXHDR(stored);
	}
	if (ids->composed)
	{
		/* every varlena short, none aligned: the tail starts after them */
		char	   *data = t->ids;
		int			len = (int) (t->tuple->t_len - t->tuple->t_data->t_hoff);
		int			off = 0;
		int			tail = -1;

		for (int i = 0; i < desc->natts && off >= 0; i++)
		{
			if (i == (numeric_col != 0 ? numeric_col : 2))
				tail = off;
			if (nulls[i])
				continue;
			if (TupleDescAttr(desc, i)->attlen != -1 ||
				!VARATT_IS_SHORT(data + off))
				off = -1;
			else
				off += VARSIZE_SHORT(data + off);
		}
		if (off == len && tail >= 0)
		{
			t->hoff = t->tuple->t_data->t_hoff;
			t->tail = data + tail;
			t->tail_len = len - tail;
		}
	}
}

/*
 * Make a formed template's partition_key the given key (NULL for none), in
 * place: possible when the template is written in place and the key has
 * the length of the one it holds.  False, changing nothing, otherwise:
 * then the caller forms the template anew.
 */
bool
match_result_rekey(ResultTemplate *t, const char *key)
{
	if (!t->formed || t->tuple == NULL || t->ids == NULL)
		return false;
	if (key == NULL || t->key == NULL)
		return key == NULL && t->key == NULL;
	if ((int) strlen(key) != t->key_len)
		return false;
	memcpy(t->key, key, t->key_len);
	return true;
}

/*
 * Write an id at ptr, in place, as the result column stores it.
 */
static inline void
put_id(char *ptr, const ResultIds *ids, const MatchIds *tids, int64 id)
{
	Datum		d;

	if (ids->type == INT8OID)
	{
		/* bigint columns: the integer ids rows keep */
		memcpy(ptr, &id, sizeof(int64));
		return;
	}
	d = match_ids_datum(tids, id);
	if (ids->typbyval)
		store_att_byval(ptr, d, ids->typlen);
	else if (ids->typlen == 16)
		memcpy(ptr, DatumGetPointer(d), 16);	/* uuid, inlined */
	else
		memcpy(ptr, DatumGetPointer(d), ids->typlen);
}

/*
 * Copy len bytes, few as ids are: two overlapping moves of a fixed size
 * where they fit, which cost less than a copy of any length.
 */
static inline void
copy_short(char *dst, const char *src, int len)
{
	if (len >= 16 && len <= 32)
	{
		memcpy(dst, src, 16);
		memcpy(dst + len - 16, src + len - 16, 16);
	}
	else if (len >= 8 && len < 16)
	{
		memcpy(dst, src, 8);
		memcpy(dst + len - 8, src + len - 8, 8);
	}
	else
		memcpy(dst, src, len);
}

/*
 * Write a varlena id (of a plain 4-byte header, as match_ids.c keeps
 * them) with a 1-byte header at p; returns the bytes written, or -1 when
 * it is too long for a 1-byte header.
 */
static inline int
put_short(char *p, Datum value)
{
	int			len = VARSIZE(DatumGetPointer(value)) - VARHDRSZ;

	if (len > (int) (VARATT_SHORT_MAX - VARHDRSZ_SHORT))
		return -1;
	SET_VARSIZE_SHORT(p, VARHDRSZ_SHORT + len);
	copy_short(p + VARHDRSZ_SHORT, VARDATA(DatumGetPointer(value)), len);
	return VARHDRSZ_SHORT + len;
}

/*
 * Compose a row of varlena ids from the template t (see the top of the
 * file): its header, the ids, the amount (t->num_body) and its tail.
 * False when an id is too long to be stored with a 1-byte header.
 */
static bool
put_composed(Tuplestorestate *store, ResultTemplate *t, Datum pay, Datum acc,
			 bool has_acc)
{
	int			need = t->hoff + 2 * VARHDRSZ + 2 * VARSIZE(DatumGetPointer(pay)) +
		(has_acc ? VARSIZE(DatumGetPointer(acc)) : 0) +
		VARHDRSZ_SHORT + t->num_len + t->tail_len;
	char	   *p;
	int			w;
	HeapTupleData tuple;

	if (need > t->buf_len)
	{
		t->buf_len = Max(need, 2 * t->buf_len);
		if (t->buf)
			pfree(t->buf);
		t->buf = palloc(t->buf_len);
	}
	memcpy(t->buf, t->tuple->t_data, t->hoff);
	p = t->buf + t->hoff;
	if ((w = put_short(p, pay)) < 0)
		return false;
	p += w;
	if (has_acc)
	{
		if ((w = put_short(p, acc)) < 0)
			return false;
		p += w;
	}
	if (t->num_body)
	{
		SET_VARSIZE_SHORT(p, VARHDRSZ_SHORT + t->num_len);
		memcpy(p + VARHDRSZ_SHORT, t->num_body, t->num_len);
		p += VARHDRSZ_SHORT + t->num_len;
	}
	memcpy(p, t->tail, t->tail_len);
	p += t->tail_len;
	tuple.t_len = p - t->buf;
	tuple.t_data = (HeapTupleHeader) t->buf;
	HeapTupleHeaderSetDatumLength(tuple.t_data, tuple.t_len);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuplestore_puttuple(store, &tuple);
	return true;
}

/*
 * Append a row of a template to the result, with the ids of payment pay
 * and accrual acc (NULL when the template's accrual_id is NULL) of group.
 * The caller has written the numeric's stored form, if any, to
 * t->numeric (in place), or set t->num_body (composed) or its value in
 * t->values (formed per row).
 */
void
match_result_put(Tuplestorestate *store, ResultTemplate *t,
				 const ResultIds *ids, const MatchGroup *group,
				 const MatchRow *pay, const MatchRow *acc)
{
	if (ids->in_place)
	{
		put_id(t->ids, ids, group->pay_ids, pay->id);
		if (acc)
			put_id(t->ids + ids->acc_offset, ids, group->acc_ids, acc->id);
		tuplestore_puttuple(store, t->tuple);
		return;
	}
	t->values[0] = match_ids_datum(group->pay_ids, pay->id);
	if (acc)
		t->values[1] = match_ids_datum(group->acc_ids, acc->id);
	if (t->tail &&
		put_composed(store, t, t->values[0], t->values[1], acc != NULL))
		return;
	tuplestore_putvalues(store, t->desc, t->values, t->nulls);
}

/*
 * Free a template, if formed, and mark it not formed.
 */
void
match_result_free(ResultTemplate *t)
{
	if (t->tuple)
		heap_freetuple(t->tuple);
	if (t->values)
	{
		pfree(t->values);
		pfree(t->nulls);
	}
	if (t->buf)
		pfree(t->buf);
	memset(t, 0, sizeof(ResultTemplate));
}
