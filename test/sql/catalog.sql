-- The extension describes itself: every object it owns has a comment (for
-- \df+, \dT+, \dv+), and every parproc setting a description, its unit
-- where it has one, and bounds
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;
SELECT pg_describe_object(classid, objid, 0) AS without_comment
FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'parproc')
  AND obj_description(objid, classid::regclass::name) IS NULL
  -- the array types and tables' row types PostgreSQL makes (members from 17)
  AND NOT EXISTS (SELECT FROM pg_type t LEFT JOIN pg_class c ON c.oid = t.typrelid
				  WHERE classid = 'pg_type'::regclass AND t.oid = objid
					AND (t.typcategory = 'A' OR c.relkind IN ('r', 'v', 'm', 'p', 'f')))
ORDER BY 1;
SELECT obj_description(oid, 'pg_extension') <> '' AS extension_comment FROM pg_extension WHERE extname = 'parproc';
LOAD 'parproc';
SELECT name, unit, vartype, min_val, max_val, context, short_desc <> '' AS described
FROM pg_settings WHERE name LIKE 'parproc.%' ORDER BY name;
