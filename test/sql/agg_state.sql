-- Partial states as values: what Citus does with them.  Citus runs an
-- aggregate's transition function on each shard, sends the state as text
-- (the state type's output function), reads it back on the coordinator
-- (the input function) and combines the states there.  The same here:
-- aggregates without a final function give the state of some rows, which
-- goes through text, is combined and finished, and must give the answer
-- of the aggregate over all the rows (approx_percentile: of the merged
-- sketches of the parts).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;
CREATE TABLE s (i int, part int, x float8, v float8[], k bigint);
INSERT INTO s
SELECT i, i % 3,
	   CASE WHEN i % 41 = 0 THEN NULL ELSE (i * 7919 % 10007) / 100.0 - 10 END,
	   ARRAY[i % 5, i % 7, CASE WHEN i % 11 = 0 THEN NULL ELSE i % 13 END],
	   i * 31 % 257
FROM generate_series(1, 3000) i;
INSERT INTO s VALUES (0, 0, 'NaN', NULL, NULL), (-1, 1, 'Infinity', NULL, NULL),
	(-2, 2, '-Infinity', NULL, NULL);

CREATE AGGREGATE pct_state(float8, float8) (SFUNC = parproc.percentile_accum, STYPE = parproc.agg_state);
CREATE AGGREGATE pct_state(float8, float8[]) (SFUNC = parproc.percentile_accum, STYPE = parproc.agg_state);
CREATE AGGREGATE median_state(float8) (SFUNC = parproc.median_accum, STYPE = parproc.agg_state);
CREATE AGGREGATE apx_state(float8, float8[]) (SFUNC = parproc.approx_percentile_accum, STYPE = parproc.agg_state);
CREATE AGGREGATE hist_state(float8, float8, float8, int) (SFUNC = parproc.histogram_accum, STYPE = parproc.agg_state);
CREATE AGGREGATE vsum_state(float8[]) (SFUNC = parproc.vec_sum_accum, STYPE = parproc.agg_state);
CREATE AGGREGATE vmin_state(float8[]) (SFUNC = parproc.vec_min_accum, STYPE = parproc.agg_state);
CREATE AGGREGATE topk_state(bigint, int) (SFUNC = parproc.topk_accum, STYPE = parproc.topk);
-- the coordinator's side: combine states read from text, then finish
CREATE AGGREGATE combine_pct(parproc.agg_state) (SFUNC = parproc.percentile_union, STYPE = parproc.agg_state);
CREATE AGGREGATE combine_apx(parproc.agg_state) (SFUNC = parproc.approx_percentile_union, STYPE = parproc.agg_state);
CREATE AGGREGATE combine_hist(parproc.agg_state) (SFUNC = parproc.histogram_union, STYPE = parproc.agg_state);
CREATE AGGREGATE combine_vec(parproc.agg_state) (SFUNC = parproc.vec_union, STYPE = parproc.agg_state);

-- states per part, as text
CREATE TABLE shard_states AS
SELECT part,
	   pct_state(x, 0.37)::text AS p1,
	   pct_state(x, ARRAY[[0, 0.5], [NULL, 1]])::text AS pm,
	   median_state(x)::text AS med,
	   apx_state(x, ARRAY[0.01, 0.5, 0.99])::text AS apx,
	   -- (width_bucket refuses NaN)
	   hist_state(x, -10, 90, 7) FILTER (WHERE x <> 'NaN')::text AS hist,
	   vsum_state(v)::text AS vsum,
	   vmin_state(v)::text AS vmin,
	   topk_state(k, 300)::text AS topk,
	   parproc.qsketch_agg(x)::text AS qs
FROM s GROUP BY part;

SELECT parproc.percentile_cont_final(combine_pct(p1::parproc.agg_state))
		   IS NOT DISTINCT FROM (SELECT parproc.percentile_cont(x, 0.37) FROM s) AS cont,
	   parproc.percentile_disc_final(combine_pct(p1::parproc.agg_state))
		   IS NOT DISTINCT FROM (SELECT percentile_disc(0.37) WITHIN GROUP (ORDER BY x) FROM s) AS disc,
	   parproc.percentile_cont_multi_final(combine_pct(pm::parproc.agg_state))
		   IS NOT DISTINCT FROM (SELECT parproc.percentile_cont(x, ARRAY[[0, 0.5], [NULL, 1]]) FROM s) AS cont_multi,
	   parproc.percentile_cont_final(combine_pct(med::parproc.agg_state))
		   IS NOT DISTINCT FROM (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM s) AS median,
	   parproc.approx_percentile_multi_final(combine_apx(apx::parproc.agg_state))
		   IS NOT DISTINCT FROM parproc.quantile(parproc.merge_agg(qs::parproc.qsketch), ARRAY[0.01, 0.5, 0.99]) AS approx,
	   parproc.histogram_final(combine_hist(hist::parproc.agg_state))
		   IS NOT DISTINCT FROM (SELECT parproc.histogram(x, -10, 90, 7) FILTER (WHERE x <> 'NaN') FROM s) AS histogram,
	   parproc.vec_final(combine_vec(vsum::parproc.agg_state))
		   IS NOT DISTINCT FROM (SELECT parproc.vec_sum(v) FROM s) AS vec_sum,
	   parproc.vec_avg_final(combine_vec(vsum::parproc.agg_state))
		   IS NOT DISTINCT FROM (SELECT parproc.vec_avg(v) FROM s) AS vec_avg,
	   parproc.vec_final(combine_vec(vmin::parproc.agg_state))
		   IS NOT DISTINCT FROM (SELECT parproc.vec_min(v) FROM s) AS vec_min,
	   parproc.merge_agg(topk::parproc.topk)::text
		   = (SELECT parproc.topk_agg(k, 300)::text FROM s) AS topk
FROM shard_states;

-- the text form: base64 of the bytes, the first four naming the aggregate
SELECT median_state(x) FROM (VALUES (1.5::float8), (NULL), (-2)) v(x);
SELECT hist_state(x, 0, 1, 2) FROM (VALUES (0.5::float8), (7)) v(x);
SELECT vsum_state(v) FROM (VALUES ('{1,NULL}'::float8[]), ('{2,3}')) v(v);
SELECT left(apx_state(x, ARRAY[0.5])::text, 20) FROM (VALUES (1::float8)) v(x);

-- states that do not decode are refused: invalid text representation
-- (22P02) for the input, datatype mismatch (42804) for one aggregate's
-- functions given another's state
CREATE FUNCTION refused(query text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE query;
	RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT refused(q) FROM unnest(ARRAY[
	$q$SELECT 'not base64!'::parproc.agg_state$q$,
	$q$SELECT 'eHl6dwAA'::parproc.agg_state$q$,
	-- a median state of two values that claims three
	$q$SELECT 'cGN0MQEAAAAAAADgPwMAAAAAAAAAAAAAAAAA+D8AAAAAAAAAwA=='::parproc.agg_state$q$,
	-- fraction 1.5
	$q$SELECT 'cGN0MQEAAAAAAAD4PwAAAAAAAAAA'::parproc.agg_state$q$,
	-- a histogram whose bucket count disagrees with its counters
	$q$SELECT 'aHN0MQAAAAAAAAAAP/AAAAAAAAAAAAADAAAAAAAAAAEAAAAAAAAAAA=='::parproc.agg_state$q$,
	-- a vector state of an unknown kind
	$q$SELECT 'dmVjMQkAAAAAAAAA'::parproc.agg_state$q$,
	$q$SELECT parproc.histogram_final(median_state(x)) FROM (VALUES (1::float8)) v(x)$q$,
	$q$SELECT parproc.percentile_disc_final(pct_state(x, ARRAY[0.5])) FROM (VALUES (1::float8)) v(x)$q$,
	$q$SELECT parproc.vec_final(parproc.vec_union(vsum_state(v), vmin_state(v))) FROM (VALUES ('{1}'::float8[])) v(v)$q$]) q;

-- a state through COPY's binary format (send and receive)
CREATE TABLE st (s parproc.agg_state);
INSERT INTO st SELECT pct_state(x, 0.37) FROM s;
COPY st TO '/tmp/parproc_agg_state.bin' WITH (FORMAT binary);
CREATE TABLE st2 (s parproc.agg_state);
COPY st2 FROM '/tmp/parproc_agg_state.bin' WITH (FORMAT binary);
SELECT parproc.percentile_cont_final(s) = (SELECT parproc.percentile_cont(x, 0.37) FROM s) AS binary_round_trip FROM st2;
