--
-- cleanup: runs last.  Drops the helpers of the setup test; every test
-- drops what it created, so nothing of the tests is left in public.
--
DROP FUNCTION actions_rows(jsonb), summary_rows(jsonb), try_doc(text),
	try(text), try_sql(text);

SELECT c.relkind, c.relname
FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace
ORDER BY 1, 2;

SELECT p.oid::regprocedure
FROM pg_proc p
WHERE p.pronamespace = 'public'::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
				  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
					AND d.deptype = 'e')
ORDER BY 1;

SELECT nspname
FROM pg_namespace
WHERE nspname NOT LIKE 'pg\_%' AND nspname NOT IN ('public', 'information_schema')
ORDER BY 1;
