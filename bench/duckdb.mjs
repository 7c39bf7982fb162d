// bench/duckdb.mjs: the bench/vectorize transform (filter value > 10;
// value * 2, sqrt(value), ts_text::timestamptz) in an in-memory DuckDB, as
// CREATE TABLE AS, for comparison with parproc.  Run by bench/vectorize,
// which installs @duckdb/node-api and exports the source table to CSV.
//
//   node bench/duckdb.mjs --csv FILE [--threads 2] [--runs 5] [--tz UTC]
//        [--modules DIR]
//
// FILE holds bench_vevents (id, value, ts_text, cat) as written by
// COPY ... TO STDOUT (FORMAT csv).  DIR is where npm installed
// @duckdb/node-api (default bench/out/duckdb).  Prints, one per line:
//   load_ms MS           loading the CSV (not part of the comparison)
//   run_ms MS            one per run of CREATE TABLE AS
//   check COUNT SUM_V2 SUM_S SUM_TS_US
// where the check line aggregates the last run's table: the row count, the
// sums of the two float columns and the exact sum of ts in microseconds
// since the epoch, for the caller to compare with PostgreSQL's.

import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
	options: {
		csv: { type: 'string' },
		threads: { type: 'string', default: '2' },
		runs: { type: 'string', default: '5' },
		tz: { type: 'string', default: 'UTC' },
		modules: {
			type: 'string',
			default: fileURLToPath(new URL('out/duckdb/', import.meta.url)),
		},
	},
});
if (!opt.csv) {
	console.error('usage: node bench/duckdb.mjs --csv FILE [--threads N] [--runs R] [--tz ZONE] [--modules DIR]');
	process.exit(2);
}

// The package lives under bench/out, not beside this file, so resolve it
// from there.
const require = createRequire(resolve(opt.modules) + '/');
const { DuckDBInstance } = await import(
	pathToFileURL(require.resolve('@duckdb/node-api')).href);

// A SQL string literal.
const lit = (s) => `'${s.replaceAll("'", "''")}'`;

// Milliseconds since a monotonic start.
const now = () => Number(process.hrtime.bigint()) / 1e6;

const db = await DuckDBInstance.create(':memory:', { threads: opt.threads });
const con = await db.connect();

// ICU is built into the bindings: it gives TIMESTAMPTZ its time zones and
// makes the text cast read a time without an offset as local time in the
// session's zone, as PostgreSQL does.  An unknown zone is an error.
await con.run(`SET TimeZone = ${lit(opt.tz)}`);

let t0 = now();
await con.run(`CREATE TABLE events (id BIGINT, value DOUBLE, ts_text VARCHAR, cat VARCHAR)`);
await con.run(`COPY events FROM ${lit(opt.csv)}
	(FORMAT csv, HEADER false, DELIMITER ',', QUOTE '"', ESCAPE '"', AUTO_DETECT false)`);
console.log(`load_ms ${(now() - t0).toFixed(1)}`);

for (let i = 0; i < Number(opt.runs); i++) {
	t0 = now();
	await con.run(`CREATE OR REPLACE TABLE clean AS
		SELECT id, value * 2 AS v2, sqrt(value) AS s, ts_text::TIMESTAMPTZ AS ts, cat
		FROM events WHERE value > 10`);
	console.log(`run_ms ${(now() - t0).toFixed(1)}`);
}

// epoch_us is exact (BIGINT, summed as HUGEINT); the float sums depend on
// summation order, so the caller compares them with a tolerance.
const reader = await con.runAndReadAll(`SELECT count(*), sum(v2), sum(s), sum(epoch_us(ts)) FROM clean`);
console.log(`check ${reader.getRows()[0].map(String).join(' ')}`);

con.closeSync();
db.closeSync();
