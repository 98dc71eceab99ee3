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

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
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
 * Look up a user column of the table; report it missing otherwise.
 * Returns its base type (domains are looked through) and its collation.
 */
static Oid
column_type(MatchTable *t, const char *column, bool is_key, Oid *collation)
{
	AttrNumber	attnum = get_attnum(t->relid, column);
	Oid			typid;
	int32		typmod;
	Oid			collid;

	if (attnum <= 0)
	{
		if (is_key)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" does not exist",
							column, t->relname),
					 errdetail("The partition_by column must exist in both tables.")));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						column, t->relname),
				 errdetail("The %s table must have columns \"id\", \"date\" and \"month\".",
						   t->is_payment ? "payment" : "accrual")));
	}

	get_atttypetypmodcoll(t->relid, attnum, &typid, &typmod, &collid);
	if (collation)
		*collation = OidIsValid(collid) ? collid : DEFAULT_COLLATION_OID;
	return getBaseType(typid);
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

	t->id_type = column_type(t, "id", false, NULL);
	if (t->id_type != INT2OID && t->id_type != INT4OID &&
		t->id_type != INT8OID)
		wrong_column_type(t, "id", t->id_type, "smallint, integer or bigint");

	t->date_type = column_type(t, "date", false, NULL);
	if (t->date_type != DATEOID && t->date_type != TIMESTAMPOID &&
		t->date_type != TIMESTAMPTZOID)
		wrong_column_type(t, "date", t->date_type,
						  "date, timestamp or timestamp with time zone");

	t->month_type = column_type(t, "month", false, &t->month_coll);
	check_comparable(t, "month", t->month_type);

	if (partition_by)
	{
		t->key_type = column_type(t, partition_by, true, &t->key_coll);
		check_comparable(t, partition_by, t->key_type);
	}
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
