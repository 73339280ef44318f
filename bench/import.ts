/**
 * `npm run bench:import`: the $import phase alone (issue 11's target: $import NDJSON ≥ 50% of raw multi-row
 * INSERT), beside raw INSERTs of the same patients in the same run, both from one client, on a fresh
 * database dropped afterwards. BENCH_PATIENTS sets the size (default 2,000 as for `npm run bench`). Not yet
 * a phase of bench/run.ts: importing there would double the data every later phase searches.
 */
import os from 'node:os';
import { Pool } from 'pg';
import { ingestImport, ingestPlan, ingestRaw } from './ingest';
import { loadOptions } from './options';
import { createRawSchema, databaseUrl, recreateDatabase } from './postgres';
import { log } from './progress';
import { startServer } from './server-process';

async function main(): Promise<void> {
  const options = { ...loadOptions(), database: 'tonet_bench_import' };
  const loadAtStart = os.loadavg();
  await recreateDatabase(options.postgresUrl, options.database);
  const url = databaseUrl(options.postgresUrl, options.database);
  const pool = new Pool({ connectionString: url, max: 2 });
  const server = await startServer(url);
  try {
    await createRawSchema(pool);
    const all: [number, number] = [0, ingestPlan(options).concurrent[1]];
    const raw = await ingestRaw(options, pool, server, all, 1);
    const imported = await ingestImport(options, server, all, 1);
    const share = imported.resourcesPerSecond / raw.resourcesPerSecond;
    process.stdout.write(
      `${imported.resources} resources, 1 client, load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}, now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n` +
        `raw multi-row INSERT: ${Math.round(raw.resourcesPerSecond)} res/s\n$import NDJSON: ${Math.round(imported.resourcesPerSecond)} res/s (${(share * 100).toFixed(0)}% of raw; target ≥ 50%)\n`
    );
  } finally {
    await server.stop();
    await pool.end();
    await dropDatabase(options.postgresUrl, options.database);
  }
}

async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  const admin = new Pool({ connectionString: serverUrl, max: 1 });
  await admin.query(`DROP DATABASE IF EXISTS ${database}`);
  await admin.end();
  log(`dropped ${database}`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
