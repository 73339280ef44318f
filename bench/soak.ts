/**
 * `npm run soak` (issue 13): Tonet as users start it (bin/tonet serve, its shipped heap bounds) under a mixed
 * load for SOAK_MINUTES (30) — HL7 v2 lab results over MLLP at a steady rate, FHIR timeline searches,
 * GraphQL patientTimeline, and live GraphQL subscriptions over WebSocket that must hear the new results —
 * with the server's resident set (/proc) and V8 heap (/metrics) sampled every SOAK_SAMPLE_SECONDS (30) beside
 * each window's latencies. The verdict asks for no growth trend (the least-squares slope of RSS and heap
 * over the second half, when start-up and caches have settled) and a p99 that does not drift (last third
 * against first third). SOAK_DATABASE=embedded runs it on PGlite instead of PostgreSQL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { call, clientToken, envInt } from './api';
import { TIMELINE_QUERY } from './graphql';
import { labMessageSource } from './lab-messages';
import { createGateway, MllpConnection } from './mllp';
import { loadOptions } from './options';
import { databaseUrl, recreateDatabase } from './postgres';
import { log } from './progress';
import { startServer, type ServerProcess } from './server-process';
import { elapsedMs, summarize, type LatencySummary } from './stats';

/** Patients the lab results are drawn over (each message picks one from its seeded stream). */
const SOAK_PATIENTS = 40;
/** Set-up messages: enough that nearly every patient has arrived before the load asks about them. */
const SETUP_MESSAGES = 200;

interface Sample {
  minute: number;
  rssMb: number;
  heapUsedMb: number;
  search: LatencySummary;
  graphql: LatencySummary;
  mllpAck: LatencySummary;
  acked: number;
  events: number;
  errors: number;
}

/** What one window saw; emptied at every sample. */
class Window {
  search: number[] = [];
  graphql: number[] = [];
  mllpAck: number[] = [];
  acked = 0;
  events = 0;
  errors: string[] = [];
}

async function main(): Promise<number> {
  const options = loadOptions([]);
  const minutes = envInt('SOAK_MINUTES', 30, 1);
  const sampleSeconds = envInt('SOAK_SAMPLE_SECONDS', 30, 5);
  // Offered load at fixed rates (a closed loop's latency would move with whatever else runs on the machine).
  const mllpRate = envInt('SOAK_MLLP_RATE', 10, 1);
  const searchRate = envInt('SOAK_SEARCH_RATE', 20, 1);
  const graphqlRate = envInt('SOAK_GRAPHQL_RATE', 4, 1);
  const searchClients = envInt('SOAK_SEARCH_CLIENTS', 4, 1);
  const graphqlClients = envInt('SOAK_GRAPHQL_CLIENTS', 2, 1);
  const subscribers = envInt('SOAK_SUBSCRIBERS', 4, 1);
  const embedded = process.env.SOAK_DATABASE === 'embedded';

  let dataDir: string | undefined;
  let url = '';
  if (embedded) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonet-soak-'));
    process.env.TONET_DATA_DIR = dataDir;
  } else {
    await recreateDatabase(options.postgresUrl, 'tonet_soak');
    url = databaseUrl(options.postgresUrl, 'tonet_soak');
  }
  const startedAt = new Date();
  const loadAtStart = os.loadavg();
  const server = await startServer(url);
  log(`soak: ${minutes} min on ${embedded ? 'the embedded database (PGlite)' : 'PostgreSQL'}; Tonet pid ${server.pid}, RSS ${server.memory.rssMb()} MB; load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);

  const source = labMessageSource(options.seed, SOAK_PATIENTS);
  const gateway = await createGateway(server);
  let token = await gateway.token();
  let nextMessage = 0;
  const setup = await MllpConnection.connect(server.mllpPort);
  for (; nextMessage < SETUP_MESSAGES; nextMessage++) {
    const ack = await setup.send(source.message(nextMessage, token)).ack;
    if (!ack.includes('|AA|')) throw new Error(`set-up message ${nextMessage} was not accepted: ${ack.replace(/\r/g, '\n')}`);
  }
  setup.close();
  const clinician = await clientToken(server, { name: 'soak clinician', role: 'clinician', organization: gateway.organization });
  const patients = await call<{ entry?: { resource: { id: string } }[] }>(server, clinician, 'GET', `/fhir/Patient?_count=${SOAK_PATIENTS}&_elements=id`);
  const patientIds = (patients.body.entry ?? []).map((e) => e.resource.id);
  if (patientIds.length < subscribers) throw new Error(`${SETUP_MESSAGES} set-up messages made ${patientIds.length} patients, fewer than the ${subscribers} subscribers`);
  const pick = (i: number) => patientIds[i % patientIds.length];

  let window = new Window();
  const endAt = Date.now() + minutes * 60_000;
  const running = () => Date.now() < endAt;
  const failed = (what: string) => (err: unknown) => {
    window.errors.push(`${what}: ${err instanceof Error ? err.message : describe(err)}`.slice(0, 300));
  };

  const searchers = Array.from({ length: searchClients }, async (_, c) => {
    for (let i = c, due = Date.now(); running(); i += searchClients, due = await pace(due, searchClients / searchRate)) {
      const start = process.hrtime.bigint();
      const answer = await call(server, clinician, 'GET', `/fhir/Observation?subject=Patient/${pick(i)}&_sort=-date&_count=20`).catch(failed('search'));
      if (answer && answer.status !== 200) failed('search')(new Error(`HTTP ${answer.status}`));
      else if (answer) window.search.push(elapsedMs(start));
    }
  });
  const graphqlers = Array.from({ length: graphqlClients }, async (_, c) => {
    for (let i = c, due = Date.now(); running(); i += graphqlClients, due = await pace(due, graphqlClients / graphqlRate)) {
      const start = process.hrtime.bigint();
      const answer = await call<{ errors?: unknown[] }>(server, clinician, 'POST', '/graphql', { query: TIMELINE_QUERY, variables: { id: pick(i), first: 50 } }).catch(failed('graphql'));
      if (answer && (answer.status !== 200 || answer.body.errors)) failed('graphql')(new Error(`HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`));
      else if (answer) window.graphql.push(elapsedMs(start));
    }
  });
  // Each subscriber watches one patient whose results keep arriving (messages go round the patients).
  const live = Array.from({ length: subscribers }, (_, s) => {
    const client = createClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${clinician}` }, retryAttempts: 0, connectionAckWaitTimeout: 30_000 });
    client.subscribe(
      { query: `subscription($p: ID!) { resourceChanged(patientId: $p) }`, variables: { p: pick(s) } },
      { next: () => window.events++, error: failed('subscription'), complete: () => running() && failed('subscription')(new Error('ended by the server')) }
    );
    return client;
  });
  const senders = Array.from({ length: 2 }, async () => {
    const connection = await MllpConnection.connect(server.mllpPort);
    for (let due = Date.now(); running(); due = await pace(due, 2 / mllpRate)) {
      const start = process.hrtime.bigint();
      const ack = await connection.send(source.message(nextMessage++, token)).ack.catch(failed('mllp'));
      if (ack && !ack.includes('|AA|')) failed('mllp')(new Error(ack.split('\r').find((s) => s.startsWith('ERR')) ?? 'not AA'));
      else if (ack) {
        window.mllpAck.push(elapsedMs(start));
        window.acked++;
      }
    }
    connection.close();
  });
  // Tokens last an hour; a soak longer than that renews the gateway's, as a gateway does.
  const renew = setInterval(() => void gateway.token().then((t) => (token = t), failed('token')), 30 * 60_000);

  const samples: Sample[] = [];
  const firstErrors: string[] = [];
  const sampler = (async () => {
    const began = Date.now();
    while (running()) {
      await new Promise((r) => setTimeout(r, Math.min(sampleSeconds * 1000, Math.max(0, endAt - Date.now()))));
      const seen = window;
      window = new Window();
      const sample: Sample = {
        minute: Math.round((Date.now() - began) / 600) / 100,
        rssMb: server.memory.rssMb(),
        heapUsedMb: await heapUsedMb(server),
        search: summarize(seen.search),
        graphql: summarize(seen.graphql),
        mllpAck: summarize(seen.mllpAck),
        acked: seen.acked,
        events: seen.events,
        errors: seen.errors.length,
      };
      samples.push(sample);
      firstErrors.push(...seen.errors.slice(0, Math.max(0, 10 - firstErrors.length)));
      log(
        `${sample.minute.toFixed(1)} min: RSS ${sample.rssMb} MB, heap ${sample.heapUsedMb} MB; p99 search ${sample.search.p99.toFixed(1)} ms (${seen.search.length}), ` +
          `GraphQL ${sample.graphql.p99.toFixed(1)} ms (${seen.graphql.length}), MLLP ACK ${sample.mllpAck.p99.toFixed(1)} ms (${seen.acked}); ${seen.events} live events; ${seen.errors.length} errors`
      );
    }
  })();

  await Promise.all([...searchers, ...graphqlers, ...senders, sampler]);
  clearInterval(renew);
  await Promise.all(live.map((c) => c.dispose()));
  const rssAfter = server.memory.rssMb();
  await server.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });

  const verdict = judge(samples);
  const result = { startedAt: startedAt.toISOString(), minutes, database: embedded ? 'embedded' : 'postgres', loadAtStart, loadAtEnd: os.loadavg(), load: { searchRate, searchClients, graphqlRate, graphqlClients, subscribers, mllpRate }, samples, rssAfter, verdict, firstErrors };
  const file = path.resolve(__dirname, '../../bench/results', `soak-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(report(result));
  log(`results: ${path.relative(process.cwd(), file)}`);
  return verdict.pass ? 0 : 1;
}

/** Waits until `seconds` after the last due time (at once when behind: a slow answer is not made up for by a burst). */
async function pace(due: number, seconds: number): Promise<number> {
  const next = Math.max(due + seconds * 1000, Date.now());
  await new Promise((r) => setTimeout(r, next - Date.now()));
  return next;
}

/** graphql-ws reports a socket's failure as its event: a CloseEvent (code, reason) or an ErrorEvent (message). */
function describe(value: unknown): string {
  const event = value as { code?: number; reason?: string; message?: string; type?: string };
  if (event && (event.code !== undefined || event.message !== undefined)) return `${event.type ?? 'event'} ${event.code ?? ''} ${event.reason ?? event.message ?? ''}`.trim();
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** V8's used heap of the server, from its /metrics (prom-client's default metrics; local access is allowed). */
async function heapUsedMb(server: ServerProcess): Promise<number> {
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.token}` } });
  const text = await res.text();
  const line = text.split('\n').find((l) => l.startsWith('nodejs_heap_size_used_bytes '));
  return line ? Math.round(Number(line.split(' ')[1]) / 1048576) : NaN;
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const sxx = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return sxx ? points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0) / sxx : 0;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * No growth: over the second half, RSS and heap would grow by less than 10% of their median if the slope
 * held for a whole hour more. No drift: the last third's median p99 is within twice the first third's
 * (p99 on a shared 2-core machine moves with its neighbours; a leak or a growing table doubles it and goes on).
 */
function judge(samples: Sample[]) {
  const half = samples.slice(Math.floor(samples.length / 2));
  const third = Math.max(1, Math.floor(samples.length / 3));
  const growth = (pick: (s: Sample) => number) => {
    const perMinute = slope(half.map((s) => [s.minute, pick(s)]));
    return { perMinute: Math.round(perMinute * 100) / 100, median: median(half.map(pick)), ok: perMinute * 60 < 0.1 * median(half.map(pick)) };
  };
  const drift = (pick: (s: Sample) => number) => {
    const first = median(samples.slice(0, third).map(pick));
    const last = median(samples.slice(-third).map(pick));
    return { firstThirdMs: Math.round(first * 10) / 10, lastThirdMs: Math.round(last * 10) / 10, ok: last <= 2 * first };
  };
  const rss = growth((s) => s.rssMb);
  const heap = growth((s) => s.heapUsedMb);
  const searchP99 = drift((s) => s.search.p99);
  const graphqlP99 = drift((s) => s.graphql.p99);
  const errors = samples.reduce((n, s) => n + s.errors, 0);
  const eventsInLastThird = samples.slice(-third).reduce((n, s) => n + s.events, 0);
  return { rss, heap, searchP99, graphqlP99, errors, eventsInLastThird, pass: rss.ok && heap.ok && searchP99.ok && graphqlP99.ok && errors === 0 && eventsInLastThird > 0 };
}

function report(result: { minutes: number; database: string; samples: Sample[]; verdict: ReturnType<typeof judge> }): string {
  const v = result.verdict;
  const total = (pick: (s: Sample) => number) => result.samples.reduce((n, s) => n + pick(s), 0);
  const first = result.samples[0];
  const last = result.samples[result.samples.length - 1];
  return [
    `soak, ${result.minutes} min on ${result.database}: ${total((s) => s.search.samples)} searches, ${total((s) => s.graphql.samples)} GraphQL timelines, ${total((s) => s.acked)} HL7 messages acknowledged, ${total((s) => s.events)} live events, ${v.errors} errors`,
    `RSS ${first.rssMb} → ${last.rssMb} MB (second half ${v.rss.perMinute} MB/min around ${v.rss.median} MB) ${v.rss.ok ? 'no growth' : 'GROWS'}`,
    `heap ${first.heapUsedMb} → ${last.heapUsedMb} MB (second half ${v.heap.perMinute} MB/min around ${v.heap.median} MB) ${v.heap.ok ? 'no growth' : 'GROWS'}`,
    `p99 search ${v.searchP99.firstThirdMs} → ${v.searchP99.lastThirdMs} ms ${v.searchP99.ok ? 'stable' : 'DRIFTS'}; GraphQL ${v.graphqlP99.firstThirdMs} → ${v.graphqlP99.lastThirdMs} ms ${v.graphqlP99.ok ? 'stable' : 'DRIFTS'}`,
    `live subscriptions heard ${v.eventsInLastThird} events in the last third; verdict ${v.pass ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  }
);
