/*-------------------------------------------------------------------------
 *
 * match_catalog.c
 *	  Resolving and checking the payment and accrual tables of
 *	  match_payments(): their names, columns and column types; and the
 *	  settings the queries reading them are planned and run under.
 *
 * Tables arrive as regclass (bound when a view is created) or, from the
 * functions kept for 1.1's views, as text names resolved as relations
 * (search_path applies, schema-qualified names work); never pasted into
 * SQL: the input side queries the quoted schema and relation names of the
 * resolved OID.
 *
 *-------------------------------------------------------------------------
 */
#include "match.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_am.h"
#include "catalog/namespace.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/varlena.h"

/*
 * Report an input column whose type is not one accmatch can use.
 */
static void
wrong_column_type(MatchTable *t, const char *column, Oid found,
				  const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column \"%s\" of relation \"%s\" has type %s",
					column, t->relname, format_type_be(found)),
			 errdetail("The %s table's \"%s\" column must be %s.",
					   t->is_payment ? "payment" : "accrual", column,
					   expected)));
}

/*
 * Look up a user column of the table by its name, taken literally: case is
 * kept and quotes are part of the name, as pg_get_serial_sequence() takes
 * its column argument.  argument is the name of the SQL argument that gave
 * the column (partition_by, amount_column), or NULL for the fixed columns
 * id, date and month.  Reports the column missing otherwise; returns its
 * number, and sets its base type (domains are looked through) and, when
 * collation is not NULL, its collation.
 */
static AttrNumber
match_lookup_column(MatchTable *t, const char *column, const char *argument,
					Oid *type, Oid *collation)
{
	AttrNumber	attnum = get_attnum(t->relid, column);
	Oid			typid;
	int32		typmod;
	Oid			collid;

	if (attnum <= 0 && argument != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						column, t->relname),
				 errdetail("The %s column must exist in both tables.",
						   argument),
				 column[0] == '"' ?
				 errhint("Column names are taken literally, without quotes.") : 0));
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						column, t->relname),
				 errdetail("The %s table must have columns \"id\", \"date\" and \"month\".",
						   t->is_payment ? "payment" : "accrual")));

	get_atttypetypmodcoll(t->relid, attnum, &typid, &typmod, &collid);
	if (collation)
		*collation = OidIsValid(collid) ? collid : DEFAULT_COLLATION_OID;
	*type = getBaseType(typid);
	return attnum;
}

/*
 * Check that a month or partition column's type has what matching needs: a
 * default btree operator class, for equality and order.
 */
static void
check_comparable(MatchTable *t, const char *column, Oid type)
{
	TypeCacheEntry *tc = lookup_type_cache(type,
										   TYPECACHE_EQ_OPR |
										   TYPECACHE_BTREE_OPFAMILY |
										   TYPECACHE_CMP_PROC);

	if (!OidIsValid(tc->btree_opf) || !OidIsValid(tc->eq_opr) ||
		!OidIsValid(tc->cmp_proc))
		wrong_column_type(t, column, type,
						  "a type with a default btree operator class");
}

/*
 * Whether index column i, on a column of the given type and collation,
 * tells values apart as the input does (the type's btree comparison under
 * that collation): the type's default btree operator class, and for a
 * collatable type the column's collation or two deterministic ones (then
 * equal means identical under both).  An index of another operator class
 * proves nothing: its comparison may call equal what ours does not.
 */
static bool
index_column_agrees(HeapTuple indextup, int i, Oid type, Oid collation)
{
	Datum		d;
	bool		isnull;
	oidvector  *opclasses;
	oidvector  *collations;
	Oid			indcoll;

	d = SysCacheGetAttr(INDEXRELID, indextup, Anum_pg_index_indclass, &isnull);
	opclasses = (oidvector *) DatumGetPointer(d);
	if (isnull ||
		opclasses->values[i] != GetDefaultOpClass(type, BTREE_AM_OID))
		return false;
	if (!OidIsValid(collation))
		return true;

	d = SysCacheGetAttr(INDEXRELID, indextup, Anum_pg_index_indcollation,
						&isnull);
	collations = (oidvector *) DatumGetPointer(d);
	if (isnull)
		return false;
	indcoll = collations->values[i];
	return indcoll == collation ||
		(OidIsValid(indcoll) && get_collation_isdeterministic(indcoll) &&
		 get_collation_isdeterministic(collation));
}

/*
 * Whether a unique index proves that no two rows share an id (within a
 * partition key compared under key_coll, when there is one): a valid,
 * immediately checked unique index, without predicate or expressions,
 * whose columns are all among id and the partition column, each of its
 * type's default btree operator class (see index_column_agrees()).  Then
 * the input need not check ids itself.  An index of a table with
 * inheritance children does not count: the query reads the children's
 * rows too.
 */
bool
match_ids_proven_unique(MatchTable *t, Oid key_coll)
{
	Relation	rel;
	List	   *indexes;
	ListCell   *lc;
	bool		proven = false;

	if (get_rel_relkind(t->relid) == RELKIND_RELATION &&
		has_subclass(t->relid))
		return false;

	rel = relation_open(t->relid, NoLock);
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		HeapTuple	tup = SearchSysCache1(INDEXRELID,
										  ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index index;

		if (!HeapTupleIsValid(tup))
			elog(ERROR, "cache lookup failed for index %u", lfirst_oid(lc));
		index = (Form_pg_index) GETSTRUCT(tup);
		proven = index->indisunique && index->indimmediate &&
			index->indisvalid &&
			heap_attisnull(tup, Anum_pg_index_indpred, NULL) &&
			heap_attisnull(tup, Anum_pg_index_indexprs, NULL);
		for (int i = 0; proven && i < index->indnkeyatts; i++)
		{
			AttrNumber	attnum = index->indkey.values[i];

			if (attnum == t->key_attnum && attnum != InvalidAttrNumber)
				proven = index_column_agrees(tup, i, t->key_type, key_coll);
			else
				proven = (attnum == t->id_attnum &&
						  index_column_agrees(tup, i, t->id_type,
											  t->id_coll));
		}
		ReleaseSysCache(tup);
		if (proven)
			break;
	}
	list_free(indexes);
	relation_close(rel, NoLock);
	return proven;
}

/*
 * Whether a type is one of the integer types whose ids rows keep as they
 * are (and the untyped functions return as bigint).
 */
bool
match_is_integer_type(Oid type)
{
	return type == INT2OID || type == INT4OID || type == INT8OID;
}

/*
 * A table named by text: resolved as a relation name in a query is,
 * through search_path, locked in ACCESS SHARE mode.  1.1's functions take
 * their tables this way, and do so still for the views built on them.
 */
static Oid
relation_by_name(text *name, const char *argument)
{
	List	   *names = textToQualifiedNameList(name);
	RangeVar   *rv = makeRangeVarFromNameList(names);
	Oid			relid = RangeVarGetRelid(rv, AccessShareLock, true);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist",
						NameListToString(names)),
				 errdetail("The %s argument names the %s table.", argument,
						   strcmp(argument, "payments") == 0 ? "payment" :
						   strcmp(argument, "accruals") == 0 ? "accrual" :
						   "ledger")));
	return relid;
}

/*
 * The relation of argument argno of the SQL function fname: a regclass
 * (or oid), or a text name (see relation_by_name()).  NULL is an error;
 * the relation is locked in ACCESS SHARE mode and must exist.
 */
Oid
match_relation_arg(FunctionCallInfo fcinfo, int argno, const char *name,
				   const char *fname)
{
	Oid			argtype = get_fn_expr_argtype(fcinfo->flinfo, argno);
	Oid			relid;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" of %s must not be null",
						name, fname)));
	if (argtype == TEXTOID || argtype == VARCHAROID || !OidIsValid(argtype))
		return relation_by_name(PG_GETARG_TEXT_PP(argno), name);

	relid = PG_GETARG_OID(argno);
	LockRelationOid(relid, AccessShareLock);
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid),
				 errdetail("The %s argument of %s names no relation.", name,
						   fname)));
	return relid;
}

/*
 * Resolve one input table, given its OID, and check its columns.
 */
void
match_resolve_table(MatchTable *t, const char *role, Oid relid,
					const char *partition_by)
{
	char		relkind;

	memset(t, 0, sizeof(MatchTable));
	t->role = role;
	t->is_payment = (strcmp(role, "payments") == 0);
	t->relid = relid;
	t->relname = get_rel_name(t->relid);

	relkind = get_rel_relkind(t->relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_VIEW &&
		relkind != RELKIND_MATVIEW && relkind != RELKIND_FOREIGN_TABLE &&
		relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table or view", t->relname)));

	t->qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(t->relid)),
											 t->relname);

	t->id_attnum = match_lookup_column(t, "id", NULL, &t->id_type,
									   &t->id_coll);
	check_comparable(t, "id", t->id_type);
	if (!type_is_collatable(t->id_type))
		t->id_coll = InvalidOid;

	match_lookup_column(t, "date", NULL, &t->date_type, NULL);
	if (t->date_type != DATEOID && t->date_type != TIMESTAMPOID &&
		t->date_type != TIMESTAMPTZOID)
		wrong_column_type(t, "date", t->date_type,
						  "date, timestamp or timestamp with time zone");

	match_lookup_column(t, "month", NULL, &t->month_type, &t->month_coll);
	check_comparable(t, "month", t->month_type);

	if (partition_by)
	{
		t->key_attnum = match_lookup_column(t, partition_by, "partition_by",
											&t->key_type, &t->key_coll);
		check_comparable(t, partition_by, t->key_type);
	}
}

/*
 * Check the tables' id types against the type of the result's id columns.
 * The untyped functions (typed false) return ids as bigint: the ids must
 * be of the integer types, each table its own.  The _typed functions
 * return them as the type of their id_type argument, result_type, which
 * must be the id type of both tables (or a domain's base type of it);
 * bigint also takes any integer ids, as the untyped functions do.  fname
 * names the untyped function, for messages.
 */
void
match_check_id_types(MatchTable *pay, MatchTable *acc, Oid result_type,
					 bool typed, const char *fname)
{
	MatchTable *tables[2] = {pay, acc};

	for (int i = 0; i < 2; i++)
	{
		MatchTable *t = tables[i];

		if (result_type == INT8OID && match_is_integer_type(t->id_type))
			continue;
		if (!typed)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"id\" of relation \"%s\" has type %s",
							t->relname, format_type_be(t->id_type)),
					 errdetail("%s() returns ids as bigint: the ids must be smallint, integer or bigint.",
							   fname),
					 errhint("For ids of another type call %s_typed(NULL::%s, ...), which returns them as they are.",
							 fname, format_type_be(t->id_type))));
		if (getBaseType(result_type) != t->id_type)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"id\" of relation \"%s\" has type %s, not %s",
							t->relname, format_type_be(t->id_type),
							format_type_be(result_type)),
					 errdetail("The type of the id_type argument of %s_typed() must be the type of the ids of both tables.",
							   fname),
					 errhint("Pass NULL::%s as id_type.",
							 format_type_be(t->id_type))));
	}
}

/*
 * Resolve the amount column of allocate_payments(), named literally like
 * partition_by: smallint, integer, bigint or numeric, each table its own.
 */
void
match_resolve_amount(MatchTable *t, const char *amount_column)
{
	AttrNumber	attnum;
	Oid			typid;
	int32		typmod;
	Oid			collid;

	attnum = match_lookup_column(t, amount_column, "amount_column",
								 &t->amount_type, NULL);
	if (t->amount_type != INT2OID && t->amount_type != INT4OID &&
		t->amount_type != INT8OID && t->amount_type != NUMERICOID)
		wrong_column_type(t, amount_column, t->amount_type,
						  "smallint, integer, bigint or numeric");
	t->amount_column = amount_column;

	/*
	 * The scale every amount has, when the column fixes it: 0 for integers,
	 * s for numeric(p, s) (0 for a negative s); unknown (-1) for plain
	 * numeric and for a domain, whose column carries no typmod.
	 */
	get_atttypetypmodcoll(t->relid, attnum, &typid, &typmod, &collid);
	if (t->amount_type != NUMERICOID)
		t->amount_scale = 0;
	else if (typid == NUMERICOID && typmod >= (int32) VARHDRSZ)
	{
		/* the scale is the low 11 bits of typmod - VARHDRSZ, signed */
		int			scale = (((typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024;

		t->amount_scale = Max(scale, 0);
	}
	else
		t->amount_scale = -1;
}

/*
 * Report a column whose type differs between the two tables.
 */
static void
check_same_type(MatchTable *pay, MatchTable *acc, const char *column,
				Oid pay_type, Oid acc_type)
{
	if (pay_type != acc_type)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" has type %s in relation \"%s\" but %s in relation \"%s\"",
						column, format_type_be(pay_type), pay->relname,
						format_type_be(acc_type), acc->relname),
				 errdetail("Payments and accruals must use the same type for \"%s\".",
						   column)));
}

/*
 * The two tables must agree on the types of date, month and the partition
 * column, since their values are compared with each other.
 */
void
match_check_same_types(MatchTable *pay, MatchTable *acc,
					   const char *partition_by)
{
	check_same_type(pay, acc, "date", pay->date_type, acc->date_type);
	check_same_type(pay, acc, "month", pay->month_type, acc->month_type);
	if (partition_by)
	{
		check_same_type(pay, acc, partition_by, pay->key_type, acc->key_type);
		acc->key_coll = pay->key_coll;
	}
}

/*
 * Plan and run the queries that read the tables (and the ledger) without
 * JIT, until match_reads_end(nest_level): each is one scan of every row,
 * which JIT compiles at a cost of about 50 MB of memory at 10M rows, for
 * no speed we could measure.  An error in between unwinds the setting
 * with the (sub)transaction, as a function's SET clause is.
 */
int
match_reads_begin(void)
{
	int			nest_level = NewGUCNestLevel();

	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nest_level;
}

void
match_reads_end(int nest_level)
{
	AtEOXact_GUC(true, nest_level);
}
