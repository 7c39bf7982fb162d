/* parproc 0.1 -> 0.2 */
\echo Use "ALTER EXTENSION parproc UPDATE TO '0.2'" to load this file. \quit

-- hardening (issue 13) -------------------------------------------------------

-- graphs ---------------------------------------------------------------------

-- A loaded graph is cached under its definition's generation (with its
-- edge table and owner), so only the extension may assign generations: a
-- fresh one for every row inserted or updated, whatever was written.
CREATE FUNCTION parproc._graph_defs_generation() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	NEW.generation := nextval('parproc.graph_generation');
	RETURN NEW;
END $$;
CREATE TRIGGER graph_defs_generation BEFORE INSERT OR UPDATE ON parproc.graph_defs
	FOR EACH ROW EXECUTE FUNCTION parproc._graph_defs_generation();
-- definitions written before this version get fresh generations too (the
-- trigger overwrites whatever is set)
UPDATE parproc.graph_defs SET generation = 0;
COMMENT ON TABLE parproc.graph_defs IS
'graph definitions of parproc.create_graph; generation is assigned afresh at every insert and update of a row';

-- a changed definition, like a new one, must name a table its writer may read
ALTER POLICY graph_defs_change ON parproc.graph_defs
	WITH CHECK (pg_catalog.pg_has_role(owner, 'MEMBER')
				AND pg_catalog.has_table_privilege(edges, 'SELECT'));

-- trigger functions are for the triggers only; _graph_load and
-- _graph_unload stay callable (create_graph, refresh_graph and drop_graph
-- run as the caller) and check in C that the caller is a member of the
-- graph's owner; _graph_cache stays behind the parproc.graphs view
REVOKE EXECUTE ON FUNCTION parproc._graph_defs_generation() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION parproc._graph_defs_changed() FROM PUBLIC;

-- pipelines ------------------------------------------------------------------
