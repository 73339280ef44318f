/** The verdicts against the targets, the results table on stdout, and the JSON record of the run. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CrudResult } from './crud';
import type { IngestRun } from './ingest';
import type { SearchResult } from './latency';
import type { LatencySummary } from './stats';
import type { StreamResult } from './stream';

export interface Verdict {
  target: string;
  measured: string;
  pass: boolean;
}

export interface BenchResults {
  ingest: { server: IngestRun[]; raw: IngestRun[] };
  search: SearchResult[];
  httpFloor: LatencySummary;
  crud: CrudResult[];
  /** Resident set once the server answered its first request, before any load. */
  serverStartRssMb: number;
  serverPeakRssMb: number;
  crudPeakRssMb: number;
  stream: StreamResult;
}

export const TARGETS = {
  ingestShareOfRaw: 0.5,
  searchP99OverRaw: 3,
  crudRequestsPerSecond: 1000,
  peakRssMb: 400,
  /** Paging a history ten times longer may raise the peak resident set by at most this much more. */
  streamExtraGrowthMb: 32,
};

export function verdicts(results: BenchResults): Verdict[] {
  const out: Verdict[] = [];
  results.ingest.server.forEach((run, i) => {
    const raw = results.ingest.raw[i];
    const share = run.resourcesPerSecond / raw.resourcesPerSecond;
    out.push({
      target: `ingest, ${run.clients} client(s): ≥ ${pct(TARGETS.ingestShareOfRaw)} of raw INSERT`,
      measured: `${fmt(run.resourcesPerSecond)} vs ${fmt(raw.resourcesPerSecond)} resources/s = ${pct(share)}`,
      pass: share >= TARGETS.ingestShareOfRaw,
    });
  });
  for (const s of results.search) {
    out.push({
      target: `search ${s.key}: p99 ≤ ${TARGETS.searchP99OverRaw}× raw SQL p99`,
      measured: `${ms(s.http.p99)} vs ${ms(s.sql.p99)} = ${s.p99Ratio.toFixed(1)}×`,
      pass: s.p99Ratio <= TARGETS.searchP99OverRaw,
    });
  }
  const mixed = results.crud.find((c) => c.phase === 'mixed');
  if (mixed) {
    out.push({
      target: `CRUD mixed, ${TARGETS.crudRequestsPerSecond.toLocaleString('en-US')}+ requests/s (all 2xx)`,
      measured: `${fmt(mixed.requestsPerSecond)} requests/s, non-2xx ${mixed.non2xx}, errors ${mixed.errors}`,
      pass: mixed.requestsPerSecond >= TARGETS.crudRequestsPerSecond && mixed.non2xx === 0 && mixed.errors === 0,
    });
  }
  out.push({
    target: `server peak RSS ≤ ${TARGETS.peakRssMb} MB (whole run, VmHWM)`,
    measured: `${results.serverPeakRssMb} MB (idle after start ${results.serverStartRssMb} MB, CRUD phases ${results.crudPeakRssMb} MB)`,
    pass: results.serverPeakRssMb <= TARGETS.peakRssMb,
  });
  const { small, large } = results.stream;
  out.push({
    target: `history paging: RSS growth does not grow with size (≤ +${TARGETS.streamExtraGrowthMb} MB from ${small.versions.toLocaleString('en-US')} to ${large.versions.toLocaleString('en-US')} versions)`,
    measured: `peak +${small.peakGrowthMb} MB vs +${large.peakGrowthMb} MB`,
    pass: large.peakGrowthMb <= small.peakGrowthMb + TARGETS.streamExtraGrowthMb,
  });
  return out;
}

export function printReport(results: BenchResults, checks: Verdict[]): string {
  const lines: string[] = [];
  const table = (header: string[], rows: string[][], leftColumns = 1) => {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    lines.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), '');
  };

  lines.push('Ingest (same resources; CPU seconds of each process during the phase; "other" is load from outside the benchmark)');
  table(
    ['path', 'clients', 'resources/s', 'resources', 'wall s', 'server CPU s', 'PostgreSQL CPU s', 'bench CPU s', 'other CPU s'],
    results.ingest.server.flatMap((run, i) =>
      [['raw INSERT', results.ingest.raw[i]] as const, ['Tonet bundles', run] as const].map(([name, r]) => [
        name, String(r.clients), fmt(r.resourcesPerSecond), fmt(r.resources), r.seconds.toFixed(1), r.cpu.serverSeconds.toFixed(1), r.cpu.postgresSeconds.toFixed(1), r.cpu.benchSeconds.toFixed(1), r.cpu.otherSeconds.toFixed(1),
      ])
    )
  );

  lines.push('Search latency, ms (Tonet over HTTP vs the same search in SQL on the raw table)');
  table(
    ['search', 'p50', 'p99', '_total=none p99', 'SQL p50', 'SQL p99', 'p99 ratio', 'matches', 'n', 'other CPU s'],
    results.search.map((s) => [
      s.key, ms(s.http.p50), ms(s.http.p99), ms(s.httpNoTotal.p99), ms(s.sql.p50), ms(s.sql.p99), `${s.p99Ratio.toFixed(1)}×`, s.meanMatches.toFixed(1), String(s.http.samples), s.cpu.otherSeconds.toFixed(1),
    ])
  );

  lines.push(`HTTP floor (GET /healthz, no auth, no database): p50 ${ms(results.httpFloor.p50)} ms, p99 ${ms(results.httpFloor.p99)} ms`, '');

  lines.push('CRUD (autocannon)');
  table(
    ['phase', 'requests/s', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'errors', 'server CPU s', 'PostgreSQL CPU s', 'bench CPU s', 'other CPU s'],
    results.crud.map((c) => [
      c.phase, fmt(c.requestsPerSecond), String(c.latencyP50), String(c.latencyP99), fmt(c.requests), String(c.non2xx), String(c.errors),
      c.cpu.serverSeconds.toFixed(1), c.cpu.postgresSeconds.toFixed(1), c.cpu.benchSeconds.toFixed(1), c.cpu.otherSeconds.toFixed(1),
    ])
  );

  const { small, large } = results.stream;
  lines.push('History paging (server RSS)');
  table(
    ['versions', 'pages', 'seconds', 'first pages p50 ms', 'last pages p50 ms', 'RSS start MB', 'peak MB', 'growth MB'],
    [small, large].map((w) => [fmt(w.versions), fmt(w.pages), w.seconds.toFixed(1), w.firstPagesP50.toFixed(1), w.lastPagesP50.toFixed(1), String(w.memory.startRssMb), String(w.memory.peakRssMb), `+${w.peakGrowthMb}`])
  );

  lines.push('Targets');
  table(['', 'target', 'measured'], checks.map((c) => [c.pass ? 'PASS' : 'FAIL', c.target, c.measured]), 3);
  return lines.join('\n');
}

/** bench/results/<timestamp>.json beside the sources (the compiled file runs from dist/bench). */
export function writeResults(record: unknown, startedAt: Date): string {
  const dir = path.resolve(__dirname, '../../bench/results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
  return file;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function ms(n: number): string {
  return n.toFixed(2);
}
