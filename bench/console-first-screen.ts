/**
 * `npm run bench:console` (issue 16): how long the console takes to show the first screen of a patient's
 * timeline when the patient has BENCH_CONSOLE_ENTRIES (2,000) entries from four facilities, in Debian's
 * Chromium. Tonet runs as users start it (bin/tonet serve), on the embedded database, or on PostgreSQL when
 * DATABASE_URL names a server (a database `tonet_console_bench` is made beside it, fresh each run).
 *
 * The console has no address per patient: a clinician opens the console, finds the patient and opens the
 * record. Each of BENCH_CONSOLE_LOADS (10) loads reloads the signed-in console (a navigation; the browser's
 * HTTP cache is warm, as in a clinician's browser), finds the patient by the clinic's patient number and
 * opens the record. Marks taken inside the page, on the page's clock, give two intervals:
 *   - console start: navigation start → the patient search painted;
 *   - open record: the click on 開く → the first page of timeline rows (50) laid out and painted;
 * their sum is the first screen without the time a person spends typing. Beside each load, the same
 * patientTimeline page is asked from Node, so the browser's own cost shows as the difference.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page, Request } from 'playwright-core';
import { launchBrowser, signedInPage } from '../tests/console/browser';
import { envInt, timedGraphql } from './api';
import { seedPatient, type SeededPatient } from './console-patient';
import { TIMELINE_QUERY } from './graphql';
import { loadOptions } from './options';
import { databaseUrl, recreateDatabase } from './postgres';
import { log } from './progress';
import { startServer, type ServerProcess } from './server-process';
import { sourceVersion } from './source-version';
import { percentile } from './stats';

const TARGET_MS = 1000;
/** The console's timeline page (PAGE_SIZE in console/src/clinician/timeline.ts). */
const FIRST_PAGE = 50;
const DATABASE = 'tonet_console_bench';

interface Spread {
  p50: number;
  p95: number;
  max: number;
}

/** One GraphQL request the page sent after the click, from the browser's network timing. */
interface PageRequest {
  query: string;
  /** When it was sent and when its answer had arrived, ms after the click. */
  sentMs: number;
  answeredMs: number;
}

interface Load {
  consoleStartMs: number;
  openMs: number;
  firstScreenMs: number;
  /** Where the first row was laid out (px from the top of the viewport) and the viewport's height. */
  firstRowTop: number;
  viewportHeight: number;
  requests: PageRequest[];
  /** The same patientTimeline page asked from Node right after the load. */
  nodeTimelineMs: number;
}

async function main(): Promise<number> {
  const loads = envInt('BENCH_CONSOLE_LOADS', 10, 1);
  const entries = envInt('BENCH_CONSOLE_ENTRIES', 2000, FIRST_PAGE);
  const seed = loadOptions([]).seed;
  const postgresUrl = process.env.DATABASE_URL;
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const loadAtStart = os.loadavg();
  const source = sourceVersion(['src', 'migrations', 'console', 'bench/*.ts']);

  let dataDir: string | undefined;
  let url = '';
  if (postgresUrl) {
    await recreateDatabase(postgresUrl, DATABASE);
    url = databaseUrl(postgresUrl, DATABASE);
  } else {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonet-console-bench-'));
    process.env.TONET_DATA_DIR = dataDir;
  }
  const database = postgresUrl ? 'postgres' : 'embedded';
  log(`console first screen: ${entries.toLocaleString('en-US')} entries, ${loads} loads on ${postgresUrl ? 'PostgreSQL' : 'the embedded database (PGlite)'}; load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  const server = await startServer(url);
  try {
    const patient = await seedPatient(server, seed, entries);
    const traceFile = process.env.BENCH_CONSOLE_TRACE === '1' ? path.resolve(__dirname, '../../bench/results/profiles', `console-open-record-${stamp}.json`) : undefined;
    const measured = await measureLoads(server, patient, loads, traceFile);
    const result = {
      startedAt: startedAt.toISOString(),
      database,
      source,
      loadAtStart,
      loadAtEnd: os.loadavg(),
      cpus: os.cpus().length,
      entries: patient.entries,
      byKind: patient.byKind,
      byFacility: patient.byFacility,
      firstPage: FIRST_PAGE,
      browser: measured.browserVersion,
      targetMs: TARGET_MS,
      consoleStart: spread(measured.loads.map((l) => l.consoleStartMs)),
      openRecord: spread(measured.loads.map((l) => l.openMs)),
      firstScreen: spread(measured.loads.map((l) => l.firstScreenMs)),
      nodeTimeline: spread(measured.loads.map((l) => l.nodeTimelineMs)),
      pageTimeline: spread(measured.loads.map((l) => answeredMs(l, 'patientTimeline'))),
      pass: false,
      loads: measured.loads,
    };
    result.pass = result.firstScreen.p95 <= TARGET_MS;
    const file = path.resolve(__dirname, '../../bench/results', `console-first-screen-${stamp}.json`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    console.log(report(result));
    log(`results: ${path.relative(process.cwd(), file)}`);
    return result.pass ? 0 : 1;
  } finally {
    await server.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Marks taken in the page on its own clock (ms since navigation start), installed before any of the
 * console's scripts run: when the patient search is painted, when 開く is clicked, and when the first page
 * of timeline rows is laid out and painted. "Painted" is the first task after the next animation frame,
 * which runs once the frame holding the change has been drawn.
 */
const MARKS_SCRIPT = (rows: number) => `(() => {
  const marks = (window.__firstScreen = {});
  const afterPaint = (key) => requestAnimationFrame(() => setTimeout(() => { marks[key] = performance.now(); }));
  document.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button') : null;
    if (button && button.textContent.trim() === '開く' && marks.openedAt === undefined) marks.openedAt = event.timeStamp;
  }, true);
  new MutationObserver(() => {
    if (marks.searchSeen === undefined && [...document.querySelectorAll('h2')].some((h) => h.textContent === '患者検索')) {
      marks.searchSeen = performance.now();
      afterPaint('searchShown');
    }
    if (marks.openedAt !== undefined && marks.rowsSeen === undefined) {
      const found = document.querySelectorAll('[data-testid="timeline"] tbody tr');
      if (found.length >= ${rows} && found[0].getBoundingClientRect().height > 0) {
        marks.rowsSeen = performance.now();
        marks.firstRowTop = Math.round(found[0].getBoundingClientRect().top);
        marks.viewportHeight = innerHeight;
        afterPaint('rowsShown');
      }
    }
  }).observe(document, { childList: true, subtree: true });
})();`;

interface Marks {
  searchShown?: number;
  openedAt?: number;
  rowsShown?: number;
  firstRowTop?: number;
  viewportHeight?: number;
}

/** `traceFile`: where to write a Chromium trace (chrome://tracing, Perfetto) of the last load's open record. */
async function measureLoads(server: ServerProcess, patient: SeededPatient, loads: number, traceFile?: string): Promise<{ loads: Load[]; browserVersion: string }> {
  const browser = await launchBrowser();
  if (traceFile) fs.mkdirSync(path.dirname(traceFile), { recursive: true });
  try {
    const page = await signedInPage(browser, server.url, patient.viewerToken);
    await page.context().addInitScript({ content: MARKS_SCRIPT(Math.min(FIRST_PAGE, patient.entries)) });
    const graphqlTraffic = new GraphqlTraffic(page);
    const measured: Load[] = [];
    // A traced load is one more, not counted: tracing slows the page it watches.
    for (let n = 0; n < loads + (traceFile ? 1 : 0); n++) {
      await page.reload();
      await page.waitForFunction('typeof window.__firstScreen?.searchShown === "number"').catch(failed('the patient search after the reload'));
      const search = page.getByRole('region', { name: '患者検索' });
      await search.getByLabel('施設患者番号').fill(patient.viewerLocalId);
      await search.getByRole('button', { name: '検索', exact: true }).click();
      const open = search.getByRole('button', { name: '開く' });
      await open.waitFor().catch(failed(`the search result for ${patient.viewerLocalId}`));
      graphqlTraffic.start();
      const traced = traceFile !== undefined && n === loads;
      if (traced) await browser.startTracing(page, { path: traceFile, screenshots: true });
      await open.click();
      await page.waitForFunction('typeof window.__firstScreen?.rowsShown === "number"').catch(failed(`the first ${FIRST_PAGE} timeline rows`));
      await graphqlTraffic.settled().catch(failed('the record screen\'s GraphQL requests'));
      if (traced) {
        await browser.stopTracing();
        log(`Chromium trace of an extra load's open record (not counted): ${path.relative(process.cwd(), traceFile)}`);
        continue;
      }
      const marks = (await page.evaluate('window.__firstScreen')) as Marks;
      const timeOrigin = (await page.evaluate('performance.timeOrigin')) as number;
      const consoleStartMs = marks.searchShown as number;
      const openMs = (marks.rowsShown as number) - (marks.openedAt as number);
      const clickedAt = timeOrigin + (marks.openedAt as number);
      const requests = graphqlTraffic.finished.map((r) => ({ query: r.query, sentMs: round(r.startedAt - clickedAt), answeredMs: round(r.startedAt + r.durationMs - clickedAt) }));

      const node = await timedGraphql<{ patientTimeline: { edges: unknown[] } }>(server, patient.viewerToken, TIMELINE_QUERY, { id: patient.regionalId, first: FIRST_PAGE });
      if (node.data.patientTimeline.edges.length !== Math.min(FIRST_PAGE, patient.entries)) throw new Error(`patientTimeline from Node held ${node.data.patientTimeline.edges.length} entries`);
      const load: Load = { consoleStartMs: round(consoleStartMs), openMs: round(openMs), firstScreenMs: round(consoleStartMs + openMs), firstRowTop: marks.firstRowTop as number, viewportHeight: marks.viewportHeight as number, requests, nodeTimelineMs: round(node.ms) };
      measured.push(load);
      log(`load ${n + 1}/${loads}: console start ${load.consoleStartMs} ms, open record ${load.openMs} ms (patientTimeline answered at ${answeredMs(load, 'patientTimeline')} ms; from Node ${load.nodeTimelineMs} ms), first screen ${load.firstScreenMs} ms`);
    }
    return { loads: measured, browserVersion: browser.version() };
  } finally {
    await browser.close();
  }
}

/** The page's GraphQL requests since `start()`, with the browser's timing of each; `settled()` once none is in flight. */
class GraphqlTraffic {
  finished: { query: string; startedAt: number; durationMs: number }[] = [];
  private inFlight = new Set<Request>();

  constructor(page: Page) {
    const isGraphql = (request: Request) => request.method() === 'POST' && new URL(request.url()).pathname === '/graphql';
    page.on('request', (request) => isGraphql(request) && this.inFlight.add(request));
    page.on('requestfailed', (request) => this.inFlight.delete(request));
    page.on('requestfinished', (request) => {
      if (!this.inFlight.delete(request)) return;
      const timing = request.timing();
      this.finished.push({ query: queryName(request.postData() ?? ''), startedAt: timing.startTime, durationMs: timing.responseEnd });
    });
  }

  start(): void {
    this.finished = [];
    this.inFlight.clear();
  }

  async settled(): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (this.inFlight.size > 0 || this.finished.length === 0) {
      if (Date.now() > deadline) throw new Error(`${this.inFlight.size} GraphQL requests still in flight after 20 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** The first field a GraphQL request asks for (the console's queries are unnamed). */
function queryName(body: string): string {
  try {
    const query = (JSON.parse(body) as { query?: string }).query ?? '';
    return /{\s*(\w+)/.exec(query)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function answeredMs(load: Load, query: string): number {
  return load.requests.find((r) => r.query === query)?.answeredMs ?? NaN;
}

/** A failed wait names what the page did not show. */
function failed(what: string) {
  return (err: Error): never => {
    throw new Error(`the console did not show ${what}: ${err.message.split('\n')[0]}`);
  };
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted[sorted.length - 1] };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

function report(result: { database: string; entries: number; loadAtStart: number[]; loads: Load[]; consoleStart: Spread; openRecord: Spread; firstScreen: Spread; pageTimeline: Spread; nodeTimeline: Spread; pass: boolean }): string {
  const tops = result.loads.map((l) => l.firstRowTop);
  const row = (label: string, s: Spread) => `${label.padEnd(52)}${[s.p50, s.p95, s.max].map((v) => `${Math.round(v)}`.padStart(8)).join('')}`;
  return [
    `console first screen: ${result.entries.toLocaleString('en-US')} timeline entries, ${result.loads.length} loads on ${result.database}, load average at start ${result.loadAtStart.map((l) => l.toFixed(2)).join(' ')}`,
    `${'ms'.padEnd(52)}${['p50', 'p95', 'max'].map((h) => h.padStart(8)).join('')}`,
    row('console start (navigation → patient search painted)', result.consoleStart),
    row(`open record (click Open → first ${FIRST_PAGE} rows painted)`, result.openRecord),
    row('first screen (the two together)', result.firstScreen),
    row('  patientTimeline answered in the page, after click', result.pageTimeline),
    row('  patientTimeline from Node alone', result.nodeTimeline),
    `first timeline row laid out ${Math.min(...tops)}–${Math.max(...tops)} px from the top of a ${result.loads[0].viewportHeight} px viewport${Math.min(...tops) >= result.loads[0].viewportHeight ? ' (below the fold: the screen shows what is above it)' : ''}`,
    `target: first screen p95 ≤ ${TARGET_MS.toLocaleString('en-US')} ms: ${result.pass ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench:console failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  }
);
