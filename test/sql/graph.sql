-- graph: spread_activation against a brute-force reference of its definition
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;
SET extra_float_digits = 0;

-- The definition, iterated over every node with plain SQL: the oracle.
CREATE TABLE sa_edges (s bigint, d bigint, w float8);
CREATE FUNCTION sa_ref(directed bool, seeds bigint[], seed_w float8[], initial float8,
					   spread float8, decay float8, threshold float8, inhibition float8,
					   norm bool, max_it int, eps float8, max_nodes int)
RETURNS TABLE (node bigint, activation float8, iteration_reached int)
LANGUAGE plpgsql SET client_min_messages = warning AS $$
DECLARE
	change float8;
BEGIN
	DROP TABLE IF EXISTS pg_temp.ed, pg_temp.st, pg_temp.nx;
	CREATE TEMP TABLE ed AS
		SELECT s AS u, d AS v, w FROM sa_edges
		UNION ALL SELECT d, s, w FROM sa_edges WHERE NOT directed;
	CREATE TEMP TABLE st AS
		SELECT n, coalesce(sd.a, 0) AS a, CASE WHEN sd.a IS NOT NULL THEN 0 END AS reached
		FROM (SELECT u AS n FROM ed UNION SELECT v FROM ed) nodes
		LEFT JOIN (SELECT k, max(coalesce(sw, initial)) AS a
				   FROM unnest(seeds, seed_w) x(k, sw) GROUP BY k) sd ON sd.k = nodes.n;
	FOR t IN 1 .. max_it LOOP
		CREATE TEMP TABLE nx AS
		SELECT st.n, least(1, greatest(0, (1 - decay) * st.a + coalesce(sp.s, 0) - coalesce(ih.i, 0))) AS a
		FROM st
		LEFT JOIN (SELECT e.v, spread * sum(p.a * e.w / CASE WHEN norm THEN wt.total ELSE 1 END) AS s
				   FROM ed e JOIN st p ON p.n = e.u
				   JOIN (SELECT u, sum(w) AS total FROM ed GROUP BY u) wt ON wt.u = e.u
				   WHERE p.a >= threshold AND p.a > 0 AND (NOT norm OR wt.total > 0)
				   GROUP BY e.v) sp ON sp.v = st.n
		LEFT JOIN (SELECT e.v, inhibition * avg(p.a) AS i
				   FROM ed e JOIN st p ON p.n = e.u GROUP BY e.v) ih ON ih.v = st.n;
		SELECT max(abs(nx.a - st.a)) INTO change FROM nx JOIN st USING (n);
		UPDATE st SET a = nx.a,
			reached = coalesce(st.reached, CASE WHEN nx.a >= threshold AND nx.a > 0 THEN t END)
		FROM nx WHERE nx.n = st.n;
		DROP TABLE nx;
		EXIT WHEN change < eps;
	END LOOP;
	RETURN QUERY SELECT st.n, st.a, st.reached FROM st
		WHERE st.a >= threshold AND st.a > 0 ORDER BY st.a DESC, st.n LIMIT max_nodes;
END $$;

-- Compare parproc with the reference for one parameter set: rows in order,
-- activations within 1e-9, the same iteration_reached.
CREATE FUNCTION sa_check(g text, directed bool, seeds bigint[], seed_w float8[] DEFAULT NULL,
						 initial float8 DEFAULT 1.0, spread float8 DEFAULT 0.8,
						 decay float8 DEFAULT 0.2, threshold float8 DEFAULT 0.01,
						 inhibition float8 DEFAULT 0.0, norm bool DEFAULT true,
						 max_it int DEFAULT 10, eps float8 DEFAULT 1e-6, max_nodes int DEFAULT 100)
RETURNS text LANGUAGE sql AS $$
WITH a AS (SELECT row_number() OVER () AS i, * FROM parproc.spread_activation(g, seeds, initial, spread,
			decay, threshold, inhibition, norm, max_it, eps, max_nodes, seed_w)),
	 b AS (SELECT row_number() OVER () AS i, * FROM sa_ref(directed, seeds, seed_w, initial, spread,
			decay, threshold, inhibition, norm, max_it, eps, max_nodes))
SELECT CASE WHEN count(*) FILTER (WHERE a.node IS DISTINCT FROM b.node
									OR a.iteration_reached IS DISTINCT FROM b.iteration_reached
									OR abs(a.activation - b.activation) > 1e-9) = 0
			THEN 'ok, ' || count(*) || ' nodes'
			ELSE 'MISMATCH ' || string_agg(format('%s:%s/%s:%s', a.node, a.activation, b.node, b.activation), ' ') END
FROM a FULL JOIN b ON a.i = b.i
$$;

-- a small graph: cycles, a self-loop, parallel edges, a zero weight, a node
-- whose out-weights sum to 0, a sink, and a separate component
CREATE TABLE kg (src int, dst int, w float8);
INSERT INTO kg VALUES
	(1, 2, 1), (2, 3, 0.5), (2, 4, 2), (3, 1, 1), (4, 4, 0.7), (4, 5, 1), (4, 5, 1),
	(5, 6, 0), (6, 1, 0.3), (6, 7, 0.9), (7, 8, 1), (8, 6, 0.4), (9, 7, 1),
	(10, 11, 0), (11, 12, 1), (12, 10, 2), (3, 13, 1);
INSERT INTO sa_edges SELECT * FROM kg;
SELECT parproc.create_graph('kg', 'kg', 'src', 'dst', 'w');
SELECT parproc.create_graph('kg_undirected', 'kg', 'src', 'dst', 'w', directed => false);
SELECT name, edge_table, directed, nodes, edges, stale FROM parproc.graphs ORDER BY name;

SELECT * FROM parproc.spread_activation('kg', ARRAY[1]);
SELECT sa_check('kg', true, ARRAY[1]) AS defaults,
	   sa_check('kg', true, ARRAY[1, 9], threshold => 0.05, max_it => 20) AS two_seeds,
	   sa_check('kg', true, ARRAY[4], inhibition => 0.3) AS inhibition,
	   sa_check('kg', true, ARRAY[2], norm => false, spread => 0.5, decay => 0.5) AS unnormalized,
	   sa_check('kg', true, ARRAY[6, 10], seed_w => ARRAY[0.5, 1]) AS seed_weights,
	   sa_check('kg', true, ARRAY[1], max_it => 0) AS no_iterations,
	   sa_check('kg', true, ARRAY[1], eps => 0.2) AS early_stop,
	   sa_check('kg', true, ARRAY[1], threshold => 0.3, decay => 0) AS high_threshold,
	   sa_check('kg', true, ARRAY[1], max_nodes => 3) AS max_nodes,
	   sa_check('kg', true, ARRAY[13]) AS sink_seed;
SELECT sa_check('kg', true, ARRAY[1, 1, 4], seed_w => ARRAY[0.2, 0.9, 0.4]) AS repeated_seed,
	   sa_check('kg', true, ARRAY[3], threshold => 0, spread => 1.5, decay => 0.9) AS threshold_zero,
	   sa_check('kg', true, ARRAY[5]) AS zero_weight_source;
-- undirected: every edge counts both ways
TRUNCATE sa_edges;
INSERT INTO sa_edges SELECT * FROM kg;
SELECT sa_check('kg_undirected', false, ARRAY[1]) AS undirected,
	   sa_check('kg_undirected', false, ARRAY[4, 12], inhibition => 0.2, max_it => 30) AS undirected_inhibited,
	   sa_check('kg_undirected', false, ARRAY[7], norm => false, spread => 0.3) AS undirected_unnormalized;

-- a larger random graph: the frontier covers most of it, so the kernel
-- switches to pulling along in-edges; the answer must not change
SELECT setseed(0.1);
CREATE TABLE rg AS
SELECT (random() * 300)::bigint * 1000 - 5000 AS src, (random() * 300)::bigint * 1000 - 5000 AS dst,
	   round(random()::numeric, 3) AS w
FROM generate_series(1, 3000);
TRUNCATE sa_edges;
INSERT INTO sa_edges SELECT src, dst, w FROM rg;
SELECT parproc.create_graph('rg', 'rg', 'src', 'dst', 'w');
SELECT sa_check('rg', true, ARRAY[-5000, 100000, 295000], threshold => 0.001, max_nodes => 1000) AS random_graph,
	   sa_check('rg', true, ARRAY[1000], inhibition => 0.1, threshold => 0.0001, max_it => 15,
				max_nodes => 1000) AS random_inhibited;

-- a query that would run for ever is cancelled by statement_timeout, and
-- the next query (on scratch memory left mid-way) is still exact
SET statement_timeout = '200ms';
SELECT count(*) FROM parproc.spread_activation('rg', ARRAY[1000], epsilon => 0, max_iterations => 2147483647);
RESET statement_timeout;
SELECT sa_check('rg', true, ARRAY[-5000, 100000, 295000], threshold => 0.001, max_nodes => 1000) AS after_cancel;

-- seeds not in the graph: a notice
SELECT count(*) FROM parproc.spread_activation('kg', ARRAY[1, 77, 78]);

-- refresh: a changed edge table is stale until refreshed
INSERT INTO kg VALUES (13, 14, 1);
SELECT pg_stat_force_next_flush();
SELECT name, stale FROM parproc.graphs WHERE name = 'kg';
SELECT parproc.refresh_graph('kg');
SELECT name, nodes, edges, stale, queries FROM parproc.graphs WHERE name = 'kg';
SELECT node FROM parproc.spread_activation('kg', ARRAY[13]) ORDER BY node;

-- a partitioned edge table (read through a query) and a plain one (read
-- by scanning it) give the same graph
TRUNCATE sa_edges;
INSERT INTO sa_edges SELECT * FROM kg;
CREATE TABLE kg_part (src int, dst int, w float8) PARTITION BY RANGE (src);
CREATE TABLE kg_part_low PARTITION OF kg_part FOR VALUES FROM (MINVALUE) TO (6);
CREATE TABLE kg_part_high PARTITION OF kg_part FOR VALUES FROM (6) TO (MAXVALUE);
INSERT INTO kg_part SELECT * FROM kg;
SELECT parproc.create_graph('kg_part', 'kg_part', 'src', 'dst', 'w');
SELECT sa_check('kg_part', true, ARRAY[1]) AS partitioned,
	   sa_check('kg_part', true, ARRAY[6, 10], inhibition => 0.2) AS partitioned_inhibited;

-- row-level security: a role the policy shows fewer edges gets its own
-- copy of the graph, with only those edges; the owner's copy is shared
-- by every role that sees all rows
CREATE ROLE sa_limited;
GRANT USAGE ON SCHEMA parproc TO sa_limited;
CREATE TABLE kg_rls AS SELECT * FROM kg;
ALTER TABLE kg_rls ENABLE ROW LEVEL SECURITY;
CREATE POLICY low_sources ON kg_rls FOR SELECT TO sa_limited USING (src < 5);
GRANT SELECT ON kg_rls TO sa_limited;
SELECT parproc.create_graph('kg_rls', 'kg_rls', 'src', 'dst', 'w');
SELECT sa_check('kg_rls', true, ARRAY[1]) AS owner_sees_all;
SET ROLE sa_limited;
CREATE TEMP TABLE rls_got AS SELECT * FROM parproc.spread_activation('kg_rls', ARRAY[1]);
RESET ROLE;
TRUNCATE sa_edges;
INSERT INTO sa_edges SELECT * FROM kg WHERE src < 5;
SELECT count(*) AS nodes,
	   count(*) FILTER (WHERE g.node IS NULL OR r.node IS NULL OR abs(g.activation - r.activation) > 1e-9
						OR g.iteration_reached <> r.iteration_reached) AS mismatches
FROM rls_got g FULL JOIN sa_ref(true, ARRAY[1], NULL, 1.0, 0.8, 0.2, 0.01, 0.0, true, 10, 1e-6, 100) r
	USING (node);
SELECT name, nodes, edges, loaded_as FROM parproc.graphs WHERE name = 'kg_rls'
ORDER BY loaded_as NULLS FIRST;
SELECT parproc.drop_graph('kg_rls');
SELECT parproc.drop_graph('kg_part');
DROP TABLE kg_rls, kg_part, rls_got;
REVOKE USAGE ON SCHEMA parproc FROM sa_limited;
DROP ROLE sa_limited;

-- loading is interruptible: statement_timeout stops the load of a larger
-- graph (here defined directly, so the first query loads it), and leaves
-- nothing behind: the next query loads it once, and one step from one
-- seed without decay or normalization gives each out-neighbour the sum of
-- its edge weights (at most 1), as computed directly
CREATE TABLE big_edges AS
SELECT g % 200000 AS src, (g * 7919 + g / 200000 * 31) % 200000 AS dst, (g / 7 % 10) / 10.0::float8 AS w
FROM generate_series(1, 2000000::bigint) g;
INSERT INTO parproc.graph_defs (name, edges, source, target, weight, directed)
VALUES ('big', 'big_edges', 'src', 'dst', 'w', true);
SET statement_timeout = '100ms';
SELECT count(*) FROM parproc.spread_activation('big', ARRAY[1]);
RESET statement_timeout;
WITH a AS (SELECT node, activation
		   FROM parproc.spread_activation('big', ARRAY[1], spread => 1, decay => 0, threshold => 0,
										  normalize_weights => false, max_iterations => 1, max_nodes => 1000)),
	 b AS (SELECT 1::bigint AS node, 1::float8 AS activation
		   UNION ALL
		   SELECT dst, least(1, sum(w)) FROM big_edges WHERE src = 1 AND dst <> 1
		   GROUP BY dst HAVING sum(w) > 0)
SELECT count(*) AS nodes,
	   count(*) FILTER (WHERE a.node IS NULL OR b.node IS NULL OR abs(a.activation - b.activation) > 1e-9)
		   AS mismatches
FROM a FULL JOIN b USING (node);
SELECT nodes, edges, loads, queries FROM parproc.graphs WHERE name = 'big';
SELECT parproc.drop_graph('big');
DROP TABLE big_edges;

-- bad input
CREATE TABLE bad_edges (a bigint, b bigint, w float8, t text, f float8);
INSERT INTO bad_edges VALUES (1, 2, 1, 'x', 1), (2, NULL, 1, 'y', 1), (3, 4, -1, 'z', 'NaN');
SELECT parproc.create_graph('bad', 'bad_edges', 'a', 'b');
SELECT parproc.create_graph('bad', 'bad_edges', 'a', 'missing');
SELECT parproc.create_graph('bad', 'bad_edges', 'a', 't');
SELECT parproc.create_graph('bad', 'bad_edges', 'a', 'b', 't');
DELETE FROM bad_edges WHERE b IS NULL;
SELECT parproc.create_graph('bad', 'bad_edges', 'a', 'b', 'w');
SELECT parproc.create_graph('bad', 'bad_edges', 'a', 'b', 'f');
SELECT parproc.create_graph('kg', 'kg', 'src', 'dst');
SELECT parproc.create_graph(repeat('x', 64), 'kg', 'src', 'dst');
SELECT count(*) FROM parproc.spread_activation('nope', ARRAY[1]);
SELECT count(*) FROM parproc.spread_activation('kg', ARRAY[1], decay => 2);
SELECT count(*) FROM parproc.spread_activation('kg', ARRAY[1], spread => 'NaN');
SELECT count(*) FROM parproc.spread_activation('kg', ARRAY[1], max_iterations => -1);
SELECT count(*) FROM parproc.spread_activation('kg', ARRAY[1], seed_weights => ARRAY[1, 2]);
SELECT count(*) FROM parproc.spread_activation('kg', ARRAY[1], seed_weights => ARRAY[-1]);
SELECT count(*) FROM parproc.spread_activation('kg', ARRAY[1, NULL]);
SELECT parproc.drop_graph('nope');
SELECT parproc.refresh_graph('nope');

-- privileges: a role that cannot read the edge table can neither define
-- nor query a graph over it, and cannot drop another role's graph
CREATE ROLE sa_reader;
GRANT USAGE ON SCHEMA parproc TO sa_reader;
SET ROLE sa_reader;
SELECT count(*) FROM parproc.spread_activation('kg', ARRAY[1]);
SELECT parproc.create_graph('mine', 'kg', 'src', 'dst');
SELECT parproc.drop_graph('kg');
RESET ROLE;
GRANT SELECT ON kg TO sa_reader;
SET ROLE sa_reader;
SELECT count(*) FROM parproc.spread_activation('kg', ARRAY[1]);
SELECT parproc.create_graph('mine', 'kg', 'src', 'dst');
SELECT parproc.drop_graph('mine');
RESET ROLE;

-- other roles' graphs: a role that does not own a graph can neither
-- unload nor load it through the internal functions (drop_graph, which
-- deletes the definition first, still unloads); a definition written
-- directly gets a generation only the extension assigns, so it cannot
-- claim a version loaded for another definition; and an update cannot
-- point a definition at a table its writer may not read
CREATE ROLE sa_ann;
CREATE ROLE sa_ben;
GRANT USAGE ON SCHEMA parproc TO sa_ann, sa_ben;
CREATE TABLE ann_edges (a int, b int);
INSERT INTO ann_edges VALUES (5, 6), (6, 7), (7, 8);
ALTER TABLE ann_edges OWNER TO sa_ann;
CREATE TABLE ben_edges (a int, b int);
INSERT INTO ben_edges VALUES (5, 50);
ALTER TABLE ben_edges OWNER TO sa_ben;
SET ROLE sa_ann;
SELECT parproc.create_graph('ann_net', 'ann_edges', 'a', 'b');
SELECT parproc.create_graph('ann_web', 'ann_edges', 'a', 'b');
SET ROLE sa_ben;
SELECT parproc._graph_unload('ann_web');
SELECT name, nodes, edges FROM parproc.graphs WHERE name LIKE 'ann%' ORDER BY name;
-- ann deletes her definition while her graph is loaded; ben writes one of
-- the same name over his own table, with the generation of her version
SET ROLE sa_ann;
DELETE FROM parproc.graph_defs WHERE name = 'ann_net';
SET ROLE sa_ben;
SELECT generation AS ann_generation FROM parproc._graph_cache() WHERE name = 'ann_net' \gset
INSERT INTO parproc.graph_defs (name, edges, source, target, directed, generation)
VALUES ('ann_net', 'ben_edges', 'a', 'b', true, :ann_generation);
SELECT generation <> :ann_generation AS fresh_generation FROM parproc.graph_defs WHERE name = 'ann_net';
-- his query answers from his own edges: the nodes of ben_edges
SELECT (SELECT string_agg(node::text, ',' ORDER BY node)
		FROM parproc.spread_activation('ann_net', ARRAY[5], spread => 1, decay => 0, threshold => 0)) AS answered,
	   (SELECT string_agg(n::text, ',' ORDER BY n)
		FROM (SELECT a FROM ben_edges UNION SELECT b FROM ben_edges) u(n)) AS ben_nodes;
SELECT parproc.drop_graph('ann_net');
-- updates: a fresh generation whatever was written, and a new edge table
-- must be one the writer may read
SELECT parproc.create_graph('ben_net', 'ben_edges', 'a', 'b');
UPDATE parproc.graph_defs SET generation = :ann_generation WHERE name = 'ben_net'
RETURNING generation <> :ann_generation AS fresh_generation;
UPDATE parproc.graph_defs SET edges = 'ann_edges' WHERE name = 'ben_net';
SELECT name, edge_table FROM parproc.graphs WHERE name = 'ben_net';
-- a reader of ann's table may query her graph, but not load it on her behalf
SET ROLE sa_ann;
GRANT SELECT ON ann_edges TO sa_ben;
SELECT parproc._graph_unload('ann_web');
SET ROLE sa_ben;
SELECT parproc._graph_load('ann_web');
SELECT name, nodes FROM parproc.graphs WHERE name = 'ann_web';
SELECT count(*) FROM parproc.spread_activation('ann_web', ARRAY[5]);
SELECT parproc.drop_graph('ann_web');
SELECT parproc.drop_graph('ben_net');
SET ROLE sa_ann;
SELECT parproc.drop_graph('ann_web');
-- a partitioned edge table is read by a query run with the loader's
-- search_path, and its version is shared by every role: its casts are
-- schema-qualified, so a type of the loader's own cannot change the edges
-- that another role then reads
RESET ROLE;
CREATE TABLE ann_part (a int, b int) PARTITION BY RANGE (a);
CREATE TABLE ann_part_all PARTITION OF ann_part FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
INSERT INTO ann_part SELECT * FROM ann_edges;
ALTER TABLE ann_part OWNER TO sa_ann;
GRANT SELECT ON ann_part TO sa_ben;
CREATE SCHEMA sa_ben_types AUTHORIZATION sa_ben;
SET ROLE sa_ann;
INSERT INTO parproc.graph_defs (name, edges, source, target, directed)
VALUES ('ann_part', 'ann_part', 'a', 'b', true);
SET ROLE sa_ben;
CREATE TYPE sa_ben_types.int8 AS ENUM ('x');
CREATE FUNCTION sa_ben_types.to_x(integer) RETURNS sa_ben_types.int8
	LANGUAGE sql AS $$ SELECT 'x'::sa_ben_types.int8 $$;
CREATE CAST (integer AS sa_ben_types.int8) WITH FUNCTION sa_ben_types.to_x(integer);
SET search_path = sa_ben_types, pg_catalog, public;
SELECT count(*) FROM parproc.spread_activation('ann_part', ARRAY[5]);
RESET search_path;
SET ROLE sa_ann;
SELECT (SELECT string_agg(node::text, ',' ORDER BY node)
		FROM parproc.spread_activation('ann_part', ARRAY[5], spread => 1, decay => 0, threshold => 0)) AS answered,
	   (SELECT string_agg(n::text, ',' ORDER BY n)
		FROM (SELECT a FROM ann_part UNION SELECT b FROM ann_part) u(n)) AS ann_nodes;
SELECT parproc.drop_graph('ann_part');
RESET ROLE;
DROP CAST (integer AS sa_ben_types.int8);
DROP FUNCTION sa_ben_types.to_x(integer);
DROP TYPE sa_ben_types.int8;
DROP SCHEMA sa_ben_types;
DROP TABLE ann_part;
SELECT name FROM parproc.graphs WHERE name IN ('ann_net', 'ann_web', 'ben_net', 'ann_part');
DROP TABLE ann_edges, ben_edges;
REVOKE USAGE ON SCHEMA parproc FROM sa_ann, sa_ben;
DROP ROLE sa_ann, sa_ben;

-- a definition written directly must still name a table: a view's
-- functions would run as whoever queries the graph
CREATE VIEW kg_view AS SELECT * FROM kg;
INSERT INTO parproc.graph_defs (name, edges, source, target, directed) VALUES ('by_view', 'kg_view', 'src', 'dst', true);
SELECT count(*) FROM parproc.spread_activation('by_view', ARRAY[1]);
SELECT parproc.drop_graph('by_view');
DROP VIEW kg_view;

-- the edge table dropped under a graph
DROP TABLE rg;
SELECT count(*) FROM parproc.spread_activation('rg', ARRAY[1]);
SELECT parproc.drop_graph('rg');

SELECT parproc.drop_graph('kg');
SELECT parproc.drop_graph('kg_undirected');
SELECT name FROM parproc.graphs;
DROP TABLE kg, bad_edges, sa_edges;
DROP FUNCTION sa_check, sa_ref;
REVOKE USAGE ON SCHEMA parproc FROM sa_reader;
DROP ROLE sa_reader;
