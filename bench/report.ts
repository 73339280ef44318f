/** The verdicts against the targets, the results table on stdout, and the JSON record of the run. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ConsentCost } from './consent';
import type { CrudResult } from './crud';
import type { GraphqlResult } from './graphql';
import type { FirstSearch } from './first-search';
import type { IngestRun } from './ingest';
import type { SearchResult } from './latency';
import type { MllpResult, MllpRun } from './mllp';
import type { PathwayResult } from './pathway-phase';
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
  /** One search of each kind right after the load, before ANALYZE. */
  firstSearch: FirstSearch[];
  httpFloor: LatencySummary;
  crud: CrudResult[];
  /** Resident set once the server answered its first request, before any load. */
  serverStartRssMb: number;
  serverPeakRssMb: number;
  crudPeakRssMb: number;
  stream: StreamResult;
  /** Search latency as admin and as a clinician with grants (absent when BENCH_CONSENT=0). */
  consent?: ConsentCost;
  /** patientTimeline and cohortStatistics (absent when BENCH_GRAPHQL=0). */
  graphql?: GraphqlResult;
  /** bench/pathway.ts, run as a phase (absent when BENCH_PATHWAY=0). */
  pathway?: PathwayResult;
  /** Absent when BENCH_MLLP=0. */
  mllp?: MllpResult;
}

/** Issue 11's table where it names the measure (it replaced the earlier issues' 50% ingest, 1,000 requests/s, 400 MB and 1,000 messages/s). */
export const TARGETS = {
  /** Transaction bundles against raw multi-row INSERT (issue 11: ≥ 35%; `$import` NDJSON ≥ 50%, bench/import.ts). */
  ingestShareOfRaw: 0.35,
  searchP99OverRaw: 3,
  /** Issue 11: the first search after a bulk load, no ANALYZE run by anyone. */
  firstSearchMs: 100,
  crudRequestsPerSecond: 1500,
  peakRssMb: 300,
  /** Paging a history ten times longer may raise the peak resident set by at most this much more. */
  streamExtraGrowthMb: 32,
  /** Issue 5: search latency as a clinician whose grants cover the patients, over the same as admin, minus one. */
  consentOverhead: 0.2,
  /** Issue 6, at ≥ 200,000 resources: first timeline page of a 2,000-entry patient under 16 clients. */
  timelineP99Ms: 50,
  cohortSeconds: 2,
  /** Issue 7: overdue sweep of 100,000 enrolled patients; what the pathway rules add per ingested message. */
  pathwaySweepSeconds: 30,
  pathwayIngestOverhead: 0.1,
  /** HL7 v2 lab results over MLLP with the many-connection setting, original mode (ACK after mapping), all acknowledged AA. */
  mllpMessagesPerSecond: 300,
  /** ACK p99 when sending at about half the measured many-connection rate. */
  mllpAckP99Ms: 50,
  /** Server peak resident set while the connections flood messages without waiting for ACKs. */
  mllpFloodPeakRssMb: 500,
  /** Issue 11, enhanced acknowledgment mode: CA after the inbox write, many connections. */
  mllpEnhancedMessagesPerSecond: 1000,
  mllpEnhancedAckP99Ms: 50,
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
  for (const f of results.firstSearch) {
    out.push({
      target: `first search ${f.key} right after the load, no ANALYZE: ≤ ${TARGETS.firstSearchMs} ms`,
      measured: `${f.httpMs === null ? 'no answer in 20 s' : `${ms(f.httpMs)} ms`} (SQL on the raw table ${ms(f.sqlMs)} ms)`,
      pass: f.httpMs !== null && f.httpMs <= TARGETS.firstSearchMs,
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
  if (results.mllp) out.push(...mllpVerdicts(results.mllp));
  if (results.consent) out.push(...consentVerdicts(results.consent));
  if (results.graphql) out.push(...graphqlVerdicts(results.graphql));
  if (results.pathway) out.push(...pathwayVerdicts(results.pathway));
  return out;
}

function consentVerdicts(consent: ConsentCost): Verdict[] {
  return consent.searches.map((s) => ({
    target: `consent filter, search ${s.key}: clinician p50 and p99 ≤ ${pct(1 + TARGETS.consentOverhead)} of admin's`,
    measured: `p50 ${ms(s.admin.p50)} → ${ms(s.clinician.p50)} ms (${signed(s.p50Overhead)}), p99 ${ms(s.admin.p99)} → ${ms(s.clinician.p99)} ms (${signed(s.p99Overhead)})`,
    pass: s.p50Overhead <= TARGETS.consentOverhead && s.p99Overhead <= TARGETS.consentOverhead,
  }));
}

function graphqlVerdicts(graphql: GraphqlResult): Verdict[] {
  const { timeline, cohort } = graphql;
  const slowest = Math.max(...cohort.runs);
  return [
    {
      target: `patientTimeline, ${fmt(timeline.entries)} entries, first ${timeline.pageSize}, ${timeline.graphql.clients} clients: p99 ≤ ${TARGETS.timelineP99Ms} ms (at ${fmt(graphql.resources)} resources)`,
      measured: `p50 ${ms(timeline.graphql.latency.p50)} ms, p99 ${ms(timeline.graphql.latency.p99)} ms (REST per-type searches: p99 ${ms(timeline.rest.latency.p99)} ms)`,
      pass: timeline.graphql.latency.p99 <= TARGETS.timelineP99Ms,
    },
    {
      target: `cohortStatistics E11 + latest HbA1c ≥ 8.0 by ${cohort.groupBy.join(' × ')}: every run ≤ ${TARGETS.cohortSeconds} s (at ${fmt(graphql.resources)} resources)`,
      measured: `${cohort.runs.map((t) => (t / 1000).toFixed(2)).join(', ')} s (slowest ${(slowest / 1000).toFixed(2)} s), ${cohort.groups} groups`,
      pass: slowest <= TARGETS.cohortSeconds * 1000,
    },
  ];
}

function pathwayVerdicts(pathway: PathwayResult): Verdict[] {
  return [
    {
      target: `pathway overdue sweep, ${fmt(pathway.patients)} enrolled patients: ≤ ${TARGETS.pathwaySweepSeconds} s, a second run raises nothing`,
      measured: `${pathway.sweep.seconds.toFixed(1)} s for ${fmt(pathway.sweep.raised)} Flags; again ${pathway.sweep.secondRunSeconds.toFixed(1)} s, ${pathway.sweep.secondRunRaised} Flags`,
      pass: pathway.sweep.seconds <= TARGETS.pathwaySweepSeconds && pathway.sweep.secondRunRaised === 0,
    },
    {
      target: `pathway rules on ingest: ≤ ${pct(TARGETS.pathwayIngestOverhead)} more time per HL7 result`,
      measured: `${pathway.ingest.msPerMessageOffPathway.toFixed(2)} → ${pathway.ingest.msPerMessageOnPathway.toFixed(2)} ms/message (${signed(pathway.ingest.overheadPercent / 100)}), ${fmt(pathway.ingest.messagesEach)} messages each`,
      pass: pathway.ingest.overheadPercent <= TARGETS.pathwayIngestOverhead * 100,
    },
  ];
}

function mllpVerdicts(mllp: MllpResult): Verdict[] {
  const many = mllp.tonet[mllp.tonet.length - 1];
  const out: Verdict[] = [
    {
      target: `MLLP lab results, ${many.connections} connections: ≥ ${fmt(TARGETS.mllpMessagesPerSecond)} messages/s, every ACK AA`,
      measured: `${fmt(many.messagesPerSecond)} messages/s (${pct(many.messagesPerSecond / mllp.raw[mllp.raw.length - 1].messagesPerSecond)} of raw INSERT), non-AA ${many.nonAA}`,
      pass: many.messagesPerSecond >= TARGETS.mllpMessagesPerSecond && many.nonAA === 0,
    },
    {
      target: `MLLP ACK p99 ≤ ${TARGETS.mllpAckP99Ms} ms at half the ${many.connections}-connection rate (paced)`,
      measured: `p99 ${ms(mllp.paced.latency?.p99 ?? NaN)} ms at ${fmt(mllp.paced.messagesPerSecond)} messages/s (asked ${fmt(mllp.paced.targetRate)}), non-AA ${mllp.paced.nonAA}`,
      pass: (mllp.paced.latency?.p99 ?? Infinity) <= TARGETS.mllpAckP99Ms && mllp.paced.nonAA === 0,
    },
  ];
  out.push({
    target: `MLLP enhanced mode (MSH-15 AL), ${mllp.enhanced.connections} connections: ≥ ${fmt(TARGETS.mllpEnhancedMessagesPerSecond)} messages/s, CA p99 ≤ ${TARGETS.mllpEnhancedAckP99Ms} ms, every ACK CA`,
    measured: `${fmt(mllp.enhanced.messagesPerSecond)} messages/s, p99 ${ms(mllp.enhanced.latency?.p99 ?? NaN)} ms, non-CA ${mllp.enhanced.nonAA}; all mapped ${mllp.enhanced.mappedSeconds.toFixed(1)} s after the first was sent`,
    pass: mllp.enhanced.messagesPerSecond >= TARGETS.mllpEnhancedMessagesPerSecond && (mllp.enhanced.latency?.p99 ?? Infinity) <= TARGETS.mllpEnhancedAckP99Ms && mllp.enhanced.nonAA === 0,
  });
  if (mllp.flood) {
    out.push({
      target: `MLLP flood of ${fmt(mllp.flood.messages)} messages on ${mllp.flood.connections} connections: server peak RSS ≤ ${TARGETS.mllpFloodPeakRssMb} MB, every ACK AA`,
      measured: `${mllp.flood.memory.peakRssMb} MB (start ${mllp.flood.memory.startRssMb} MB) at ${fmt(mllp.flood.messagesPerSecond)} messages/s, non-AA ${mllp.flood.nonAA}, without ACK ${mllp.flood.unacknowledged}`,
      pass: mllp.flood.memory.peakRssMb <= TARGETS.mllpFloodPeakRssMb && mllp.flood.nonAA === 0 && mllp.flood.unacknowledged === 0,
    });
  }
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

  lines.push('Search latency, ms (Tonet over HTTP vs the same search in SQL on the raw table, alone and behind a bare Fastify server)');
  table(
    ['search', 'p50', 'p99', '_total=none p99', 'SQL p50', 'SQL p99', 'p99 ratio', 'SQL/HTTP p50', 'SQL/HTTP p99', 'ratio to SQL/HTTP', 'matches', 'n', 'other CPU s'],
    results.search.map((s) => [
      s.key, ms(s.http.p50), ms(s.http.p99), ms(s.httpNoTotal.p99), ms(s.sql.p50), ms(s.sql.p99), `${s.p99Ratio.toFixed(1)}×`, ms(s.sqlOverHttp.p50), ms(s.sqlOverHttp.p99), `${s.p99RatioOverHttp.toFixed(1)}×`, s.meanMatches.toFixed(1), String(s.http.samples), s.cpu.otherSeconds.toFixed(1),
    ])
  );

  lines.push(
    `First search after the load, before ANALYZE: ${results.firstSearch.map((f) => `${f.key} ${f.httpMs === null ? '> 20 s' : `${ms(f.httpMs)} ms`} (SQL ${ms(f.sqlMs)} ms)`).join('; ')}`,
    ''
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

  if (results.mllp) {
    const { mllp } = results;
    const row = (name: string, r: MllpRun): string[] => [
      name, String(r.connections), fmt(r.messagesPerSecond), fmt(r.messages), r.latency ? ms(r.latency.p50) : '', r.latency ? ms(r.latency.p99) : '', r.path === 'raw INSERT' ? '' : String(r.nonAA),
      r.seconds.toFixed(1), cpuMs(r.cpu.serverSeconds, r.messages), cpuMs(r.cpu.postgresSeconds, r.messages), r.cpu.benchSeconds.toFixed(1), r.cpu.otherSeconds.toFixed(1),
    ];
    lines.push(`HL7 v2 lab results (OUL^R22) over MLLP, ${fmt(mllp.patients)} patients; latency is send to ACK (paced: from the scheduled send time); CPU ms per message`);
    table(
      ['path', 'connections', 'messages/s', 'messages', 'p50 ms', 'p99 ms', 'non-AA', 'wall s', 'server CPU ms/msg', 'PostgreSQL CPU ms/msg', 'bench CPU s', 'other CPU s'],
      [
        row('Tonet warm-up, stale statistics', mllp.warmup),
        ...mllp.tonet.flatMap((r, i) => [row('raw INSERT', mllp.raw[i]), row('Tonet', r)]),
        row(`Tonet paced (${fmt(mllp.paced.targetRate)}/s asked)`, mllp.paced),
        row(`Tonet enhanced mode, CA (all mapped after ${mllp.enhanced.mappedSeconds.toFixed(1)} s)`, mllp.enhanced),
        ...(mllp.flood ? [row(`Tonet flood (peak RSS ${mllp.flood.memory.peakRssMb} MB)`, mllp.flood)] : []),
      ]
    );
  }

  if (results.consent) {
    const { consent } = results;
    lines.push(`Consent cost: admin (no filter) vs a clinician with grants for ${fmt(consent.linkedPatients)} of ${fmt(consent.patients)} patients (${fmt(consent.grants)} access grants), ms`);
    table(
      ['search', 'admin p50', 'clinician p50', 'p50 +', 'admin p99', 'clinician p99', 'p99 +', 'matches admin', 'matches clinician', 'n'],
      consent.searches.map((s) => [
        s.key, ms(s.admin.p50), ms(s.clinician.p50), signed(s.p50Overhead), ms(s.admin.p99), ms(s.clinician.p99), signed(s.p99Overhead), s.adminMeanMatches.toFixed(1), s.clinicianMeanMatches.toFixed(1), String(s.admin.samples),
      ])
    );
  }

  if (results.graphql) {
    const { timeline, cohort } = results.graphql;
    lines.push(`GraphQL: patientTimeline of a ${fmt(timeline.entries)}-entry patient (first ${timeline.pageSize}) vs the per-type REST searches sent together, ${timeline.graphql.clients} clients, ms`);
    table(
      ['request', 'p50', 'p90', 'p99', 'max', 'requests/s', 'n', 'server CPU s', 'PostgreSQL CPU s', 'other CPU s'],
      [['patientTimeline', timeline.graphql] as const, [`REST × ${timeline.rest.searches.length}`, timeline.rest] as const].map(([name, r]) => [
        name, ms(r.latency.p50), ms(r.latency.p90), ms(r.latency.p99), ms(r.latency.max), fmt(r.requestsPerSecond), String(r.latency.samples), r.cpu.serverSeconds.toFixed(1), r.cpu.postgresSeconds.toFixed(1), r.cpu.otherSeconds.toFixed(1),
      ])
    );
    lines.push(`cohortStatistics (researcher) ${JSON.stringify(cohort.criteria)} by ${cohort.groupBy.join(' × ')}: ${cohort.runs.map((t) => `${Math.round(t)} ms`).join(', ')}; ${cohort.groups} groups (${cohort.suppressedGroups} suppressed); CPU s server ${cohort.cpu.serverSeconds}, PostgreSQL ${cohort.cpu.postgresSeconds}`, '');
  }

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

/** Signed percentage: +12%, -3%. */
function signed(share: number): string {
  return `${share >= 0 ? '+' : ''}${Math.round(share * 100)}%`;
}

function cpuMs(seconds: number, messages: number): string {
  return ((seconds * 1000) / messages).toFixed(2);
}

function ms(n: number): string {
  return n.toFixed(2);
}
