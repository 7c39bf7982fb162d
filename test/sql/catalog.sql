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
ORDER BY 1;
SELECT obj_description(oid, 'pg_extension') <> '' AS extension_comment FROM pg_extension WHERE extname = 'parproc';
LOAD 'parproc';
SELECT name, unit, vartype, min_val, max_val, context, short_desc <> '' AS described
FROM pg_settings WHERE name LIKE 'parproc.%' ORDER BY name;
