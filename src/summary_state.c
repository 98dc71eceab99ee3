/*-------------------------------------------------------------------------
 *
 * summary_state.c
 *	  The type action_summary_state: an action summary as a value, which
 *	  can be stored, sent between servers and merged later.  Its input,
 *	  output, receive and send functions, and its in-memory form.
 *
 * Stored, a state is a varlena holding the binary form of summary_binary.c;
 * as text it is the form of summary_text.c.  While an aggregate runs, its
 * state is an expanded object (utils/expandeddatum.h): an ActionSummary
 * (summary.c) followed by the object's header, in one allocation, updated
 * in place row after row.  The executor keeps such a state without copying
 * it when the transition function returns a read/write pointer to an
 * object whose memory context is a child of the aggregate's context; it
 * flattens the object (action_summary_binary_write) only when the state
 * leaves the aggregate: stored, sent to the leader of a parallel plan,
 * output.
 *
 * An expanded object normally owns a memory context of its own, but a
 * context costs a kilobyte or more, and an aggregate keeps one state per
 * group.  So the states of one aggregate context share one child context,
 * the arena; each state costs one allocation there, as in 1.1.  The arena
 * of a context is found through a small cache, whose entry the arena
 * clears when it goes (with its parent's reset or deletion).  Since an
 * object does not own its context, deleting or moving one would delete or
 * move every state of the arena: a read/write pointer must therefore never
 * leave the aggregate's support functions, which update their first
 * argument in place and return it, and hand out read-only pointers only
 * (action_summary_state_finish).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"

#include "compat.h"
#include "summary_int.h"

PG_FUNCTION_INFO_V1(action_summary_state_in);
PG_FUNCTION_INFO_V1(action_summary_state_out);
PG_FUNCTION_INFO_V1(action_summary_state_recv);
PG_FUNCTION_INFO_V1(action_summary_state_send);

/* What a stored or received state is called in errors. */
#define STATE_WHAT		"binary action_summary_state value"

/* Number of aggregate contexts whose arena is remembered. */
#define ARENA_CACHE_SIZE	8

/* A state while an aggregate runs: the expanded object. */
typedef struct SummaryObject
{
	ExpandedObjectHeader hdr;
	ActionSummary *summary;		/* just before this header */
} SummaryObject;

/* An aggregate context and the arena of states under it. */
typedef struct ArenaCacheEntry
{
	MemoryContext aggcxt;
	MemoryContext arena;
} ArenaCacheEntry;

/* The arena of a state, and what clears its cache entry when it goes. */
typedef struct ArenaCallback
{
	MemoryContextCallback callback;
	MemoryContext arena;
} ArenaCallback;

static Size summary_get_flat_size(ExpandedObjectHeader *eohptr);
static void summary_flatten_into(ExpandedObjectHeader *eohptr,
								 void *result, Size allocated_size);

static const ExpandedObjectMethods summary_methods = {
	summary_get_flat_size,
	summary_flatten_into
};

/*
 * The arenas known, by aggregate context.  Entries are static, not in the
 * function's fn_extra: Citus calls the transition function through an
 * FmgrInfo of its own each time.
 */
static ArenaCacheEntry arena_cache[ARENA_CACHE_SIZE];
static int	arena_cache_next;

/* Size of the flat form of a state: the expanded object's method. */
static Size
summary_get_flat_size(ExpandedObjectHeader *eohptr)
{
	SummaryObject *obj = (SummaryObject *) eohptr;

	Assert(obj->hdr.eoh_methods == &summary_methods);
	return VARHDRSZ + action_summary_binary_size(obj->summary);
}

/* Write the flat form of a state: the expanded object's method. */
static void
summary_flatten_into(ExpandedObjectHeader *eohptr, void *result,
					 Size allocated_size)
{
	SummaryObject *obj = (SummaryObject *) eohptr;

	Assert(obj->hdr.eoh_methods == &summary_methods);
	SET_VARSIZE(result, allocated_size);
	action_summary_binary_write(obj->summary, VARDATA(result),
								allocated_size - VARHDRSZ);
}

/*
 * Forget an arena that is reset or deleted: the reset callback of the
 * arena itself.
 */
static void
arena_forget(void *arg)
{
	ArenaCallback *cb = (ArenaCallback *) arg;
	int			i;

	for (i = 0; i < ARENA_CACHE_SIZE; i++)
	{
		if (arena_cache[i].arena == cb->arena)
		{
			arena_cache[i].aggcxt = NULL;
			arena_cache[i].arena = NULL;
		}
	}
}

/*
 * The arena of the states of an aggregate context: a child of it, made on
 * first use.  A context whose arena fell out of the cache gets another one,
 * which costs memory but nothing else.
 */
static MemoryContext
state_arena(MemoryContext aggcxt)
{
	MemoryContext arena;
	ArenaCallback *cb;
	ArenaCacheEntry *entry;
	int			i;

	for (i = 0; i < ARENA_CACHE_SIZE; i++)
	{
		if (arena_cache[i].aggcxt == aggcxt &&
			MemoryContextGetParent(arena_cache[i].arena) == aggcxt)
			return arena_cache[i].arena;
	}

	arena = AllocSetContextCreate(aggcxt, "action_summary states",
								  ALLOCSET_DEFAULT_SIZES);
	cb = MemoryContextAlloc(arena, sizeof(ArenaCallback));
	cb->callback.func = arena_forget;
	cb->callback.arg = cb;
	cb->arena = arena;
	MemoryContextRegisterResetCallback(arena, &cb->callback);

	entry = &arena_cache[arena_cache_next];
	arena_cache_next = (arena_cache_next + 1) % ARENA_CACHE_SIZE;
	entry->aggcxt = aggcxt;
	entry->arena = arena;
	return arena;
}

/*
 * A new empty state of an aggregate running in aggcxt, as a read/write
 * pointer to its expanded object; *summary is set to its summary.
 */
Datum
action_summary_state_create(MemoryContext aggcxt, ActionSummary **summary)
{
	MemoryContext arena = state_arena(aggcxt);
	SummaryObject *obj;

	*summary = action_summary_create_with_trailer(arena, sizeof(SummaryObject),
												  (void **) &obj);
	EOH_init_header(&obj->hdr, &summary_methods, arena);
	obj->summary = *summary;
	return EOHPGetRWDatum(&obj->hdr);
}

/*
 * The expanded object of a state, or NULL for a flat state.
 */
static inline SummaryObject *
state_object(Datum state)
{
	ExpandedObjectHeader *eoh;

	if (!VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(state)))
		return NULL;
	eoh = DatumGetEOHP(state);
	if (eoh->eoh_methods != &summary_methods)
		elog(ERROR, "expanded object is not an action summary state");
	return (SummaryObject *) eoh;
}

/*
 * The summary of a state the caller may update in place: that of a
 * read/write pointer to an expanded object, or NULL for any other form.
 */
ActionSummary *
action_summary_state_writable(Datum state)
{
	if (!VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(state)))
		return NULL;
	return state_object(state)->summary;
}

/*
 * The summary of a state in any form, to read: an expanded object's own,
 * or one built in CurrentMemoryContext from a flat state.
 */
const ActionSummary *
action_summary_state_read(Datum state)
{
	SummaryObject *obj = state_object(state);
	ActionSummary *summary;
	struct varlena *flat;

	if (obj != NULL)
		return obj->summary;

	flat = PG_DETOAST_DATUM_PACKED(state);
	summary = action_summary_create(CurrentMemoryContext);
	action_summary_add_binary(summary, VARDATA_ANY(flat),
							  VARSIZE_ANY_EXHDR(flat), STATE_WHAT);
	return summary;
}

/*
 * Add every count of a state in any form to a summary.
 */
void
action_summary_state_add_to(ActionSummary *summary, Datum state)
{
	SummaryObject *obj = state_object(state);
	struct varlena *flat;

	if (obj != NULL)
	{
		action_summary_merge(summary, obj->summary);
		return;
	}
	flat = PG_DETOAST_DATUM_PACKED(state);
	action_summary_add_binary(summary, VARDATA_ANY(flat),
							  VARSIZE_ANY_EXHDR(flat), STATE_WHAT);
}

/*
 * A state as the result of a function: a read-only pointer for an expanded
 * object, so that no caller can take it over, else the flat value itself.
 */
Datum
action_summary_state_read_only(Datum state)
{
	SummaryObject *obj = state_object(state);

	return obj != NULL ? EOHPGetRODatum(&obj->hdr) : state;
}

/*
 * The flat state of a summary, palloc'd.
 */
Datum
action_summary_state_flat(const ActionSummary *summary)
{
	Size		size = action_summary_binary_size(summary);
	struct varlena *result = palloc(VARHDRSZ + size);

	SET_VARSIZE(result, VARHDRSZ + size);
	action_summary_binary_write(summary, VARDATA(result), size);
	return PointerGetDatum(result);
}

/*
 * Input function: a state from its text form (summary_text.c), checked.
 */
Datum
action_summary_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	action_summary_text_parse(str, &buf);
	SET_VARSIZE(buf.data, buf.len);
	PG_RETURN_POINTER(buf.data);
}

/*
 * Output function: the text form of a state, the same whatever the
 * session's settings.
 */
Datum
action_summary_state_out(PG_FUNCTION_ARGS)
{
	const ActionSummary *summary;

	summary = action_summary_state_read(PG_GETARG_DATUM(0));
	PG_RETURN_CSTRING(action_summary_text_format(summary));
}

/*
 * Receive function: a state from its binary form, checked in full before
 * it is copied, every length against the bytes that remain.
 */
Datum
action_summary_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	const char *data = buf->data + buf->cursor;
	int			len = buf->len - buf->cursor;
	ActionSummaryReader reader;
	const char *name;
	int			namelen;
	ActionCounter c;
	struct varlena *result;

	action_summary_reader_init(&reader, data, len, STATE_WHAT);
	while (action_summary_reader_next(&reader, &name, &namelen, &c))
		;

	result = palloc(VARHDRSZ + len);
	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), data, len);
	buf->cursor = buf->len;
	PG_RETURN_POINTER(result);
}

/*
 * Send function: the binary form of a state, which is what a flat state
 * holds.
 */
Datum
action_summary_state_send(PG_FUNCTION_ARGS)
{
	Datum		state = PG_GETARG_DATUM(0);
	SummaryObject *obj = state_object(state);
	struct varlena *flat;
	bytea	   *result;

	if (obj != NULL)
		PG_RETURN_DATUM(action_summary_state_flat(obj->summary));

	flat = PG_DETOAST_DATUM_PACKED(state);
	result = palloc(VARHDRSZ + VARSIZE_ANY_EXHDR(flat));
	SET_VARSIZE(result, VARHDRSZ + VARSIZE_ANY_EXHDR(flat));
	memcpy(VARDATA(result), VARDATA_ANY(flat), VARSIZE_ANY_EXHDR(flat));
	PG_RETURN_BYTEA_P(result);
}
