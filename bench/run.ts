/**
 * `npm run bench`: builds the synthetic data set in a fresh PostgreSQL database, runs Tonet on it as a
 * child process, and measures ingest, search latency, CRUD throughput, memory and history paging, each
 * against what the same machine does with plain SQL. Progress goes to stderr; the results table and the
 * verdicts to stdout; the full record to bench/results/<timestamp>.json.
 */
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { firstSearches } from './first-search';
import { crudRequests, CrudResult, runCrud } from './crud';
import { RESOURCES_PER_PATIENT } from './dataset';
import { ingestPlan, ingestRaw, ingestServer } from './ingest';
import { measureHttpFloor, measureSearch, searchKinds, SearchResult } from './latency';
import { mllpBench } from './mllp';
import { loadOptions } from './options';
import { createRawSchema, databaseUrl, postgresInfo, recreateDatabase } from './postgres';
import { runPathwayPhase } from './pathway-phase';
import { log } from './progress';
import { regionalPhases } from './regional';
import { BenchResults, printReport, TARGETS, verdicts, writeResults } from './report';
import { startServer } from './server-process';
import { sourceVersion } from './source-version';
import { startSqlOverHttp } from './sql-over-http';
import { streamCheck } from './stream';

async function main(): Promise<number> {
  const options = loadOptions();
  const startedAt = new Date();
  const loadAtStart = os.loadavg();
  // Read now, beside the build that `npm run bench` just made: others may commit while the run goes on.
  const source = sourceVersion();
  if (loadAtStart[0] > 0.5) log(`warning: load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} before the run; other work on this machine will lower every figure (see "other CPU s")`);
  const resources = options.patients * RESOURCES_PER_PATIENT;
  log(`data set: ${options.patients.toLocaleString('en-US')} patients, ${resources.toLocaleString('en-US')} resources, seed ${options.seed}`);

  await recreateDatabase(options.postgresUrl, options.database);
  const url = databaseUrl(options.postgresUrl, options.database);
  const pool = new Pool({ connectionString: url, max: options.concurrentClients + 1 });
  const profileDir = options.cpuProfile ? path.resolve(__dirname, '../../bench/results/profiles') : undefined;
  const server = await startServer(url, profileDir);
  const serverStartRssMb = server.memory.rssMb();
  log(`Tonet pid ${server.pid} at ${server.url}, RSS ${serverStartRssMb} MB`);
  try {
    await createRawSchema(pool);
    const plan = ingestPlan(options);
    const raw = [await ingestRaw(options, pool, server, plan.single, 1), await ingestRaw(options, pool, server, plan.concurrent, options.concurrentClients)];
    const patientIds: string[] = new Array(options.patients);
    const ingested = await server.memory.during(async () => [
      await ingestServer(options, server, plan.single, 1, patientIds),
      await ingestServer(options, server, plan.concurrent, options.concurrentClients, patientIds),
    ]);
    log(`ingest: server RSS peak ${ingested.memory.peakRssMb} MB`);
    const firstSearch = await firstSearches(options, server, pool, searchKinds(options, patientIds));
    // Statistics and visibility maps for both sides alike, the state autovacuum reaches some time after a load.
    await pool.query('VACUUM ANALYZE');

    const httpFloor = await measureHttpFloor(options, server);
    const search: SearchResult[] = [];
    const sqlOverHttp = await startSqlOverHttp(pool);
    try {
      for (const kind of searchKinds(options, patientIds)) search.push(await measureSearch(options, server, pool, sqlOverHttp, kind));
    } finally {
      await sqlOverHttp.close();
    }

    const make = crudRequests(options, patientIds);
    const phaseSeconds = Math.max(3, Math.round(options.crudSeconds / 4));
    const crudRun = await server.memory.during(async () => {
      const out: CrudResult[] = [];
      for (const phase of ['read', 'search', 'create', 'update'] as const) out.push(await runCrud(options, server, phase, make, phaseSeconds));
      out.push(await runCrud(options, server, 'mixed', make, options.crudSeconds));
      return out;
    });

    const stream = await streamCheck(options, server, pool, patientIds);
    const mllp = options.mllp ? await mllpBench(options, server, pool) : undefined;
    const { regionalMemory, ...regional } = await regionalPhases(options, server, pool, patientIds, resources);
    const pathway = await runPathwayPhase(options);
    const serverPeakRssMb = server.memory.lifetimePeakMb;
    const results: BenchResults = {
      ingest: { server: ingested.result, raw },
      search,
      firstSearch,
      httpFloor,
      crud: crudRun.result,
      serverStartRssMb,
      serverPeakRssMb,
      crudPeakRssMb: crudRun.memory.peakRssMb,
      stream,
      mllp,
      ...regional,
      pathway,
    };
    const checks = verdicts(results);
    process.stdout.write('\n' + printReport(results, checks) + '\n');
    const file = writeResults(
      {
        startedAt: startedAt.toISOString(),
        seconds: (Date.now() - startedAt.getTime()) / 1000,
        machine: { loadAverageAtStart: loadAtStart, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
        postgres: await postgresInfo(pool),
        source,
        options: { ...options, postgresUrl: undefined },
        dataset: { patients: options.patients, resources, resourcesPerPatient: RESOURCES_PER_PATIENT },
        targets: TARGETS,
        results: { ...results, ingestMemory: ingested.memory, crudMemory: crudRun.memory, regionalMemory },
        verdicts: checks,
      },
      startedAt
    );
    log(`results written to ${path.relative(process.cwd(), file)}`);
    return 0;
  } finally {
    await server.stop();
    await pool.end();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  }
);
