/*-------------------------------------------------------------------------
 *
 * match_catalog.c
 *	  Resolving and checking the payment and accrual tables of
 *	  match_payments(): their names, columns and column types.
 *
 * Table names arrive as text and are resolved as relations (search_path
 * applies, schema-qualified names work), never pasted into SQL: the input
 * side queries the quoted schema and relation names of the resolved OID.
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
#include "utils/builtins.h"
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
AttrNumber
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
 * Whether index column i, the partition column, tells keys apart as the
 * merge does (its btree comparison under key_coll): the type's default
 * opclass, and, for a collatable type, both collations deterministic, so
 * that equal means identical.
 */
static bool
index_key_agrees(HeapTuple indextup, int i, Oid key_type, Oid key_coll)
{
	Datum		d;
	bool		isnull;
	oidvector  *opclasses;
	oidvector  *collations;

	d = SysCacheGetAttr(INDEXRELID, indextup, Anum_pg_index_indclass, &isnull);
	opclasses = (oidvector *) DatumGetPointer(d);
	if (isnull ||
		opclasses->values[i] != GetDefaultOpClass(key_type, BTREE_AM_OID))
		return false;
	if (!OidIsValid(key_coll))
		return true;

	d = SysCacheGetAttr(INDEXRELID, indextup, Anum_pg_index_indcollation,
						&isnull);
	collations = (oidvector *) DatumGetPointer(d);
	return !isnull && OidIsValid(collations->values[i]) &&
		get_collation_isdeterministic(collations->values[i]) &&
		get_collation_isdeterministic(key_coll);
}

/*
 * Whether a unique index proves that no two rows share an id (within a
 * partition key compared under key_coll, when there is one): a valid,
 * immediately checked unique index, without predicate or expressions,
 * whose columns are all among id and the partition column.  Then the input
 * need not check ids itself.  An index of a table with inheritance
 * children does not count: the query reads the children's rows too.
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
				proven = index_key_agrees(tup, i, t->key_type, key_coll);
			else
				proven = (attnum == t->id_attnum);
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
 * Resolve one input table by name and check its columns.
 */
void
match_resolve_table(MatchTable *t, const char *role, text *name,
					const char *partition_by)
{
	List	   *names = textToQualifiedNameList(name);
	RangeVar   *rv = makeRangeVarFromNameList(names);
	char		relkind;

	memset(t, 0, sizeof(MatchTable));
	t->role = role;
	t->is_payment = (strcmp(role, "payments") == 0);
	t->relid = RangeVarGetRelid(rv, AccessShareLock, true);
	if (!OidIsValid(t->relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist",
						NameListToString(names)),
				 errdetail("The %s argument names the %s table.", role,
						   t->is_payment ? "payment" : "accrual")));

	relkind = get_rel_relkind(t->relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_VIEW &&
		relkind != RELKIND_MATVIEW && relkind != RELKIND_FOREIGN_TABLE &&
		relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table or view",
						NameListToString(names))));

	t->relname = get_rel_name(t->relid);
	t->qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(t->relid)),
											 t->relname);

	t->id_attnum = match_lookup_column(t, "id", NULL, &t->id_type, NULL);
	if (t->id_type != INT2OID && t->id_type != INT4OID &&
		t->id_type != INT8OID)
		wrong_column_type(t, "id", t->id_type, "smallint, integer or bigint");

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
