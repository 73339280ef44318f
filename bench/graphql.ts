/**
 * GraphQL (issue 6). patientTimeline: one linked patient is given BENCH_TIMELINE_ENTRIES (2,000) entries
 * through transaction bundles, and the clinic's clinician asks for its first page (50 entries, all kinds)
 * from BENCH_CONNECTIONS (16) clients at once, beside the REST searches a client would make instead (one
 * per type, sorted by date, 50 each, sent together; the time is that of the slowest). cohortStatistics: a
 * researcher counts type 2 diabetes (ICD-10 E11…) with the latest HbA1c ≥ 8.0 by municipality and age band
 * over the whole data set, BENCH_COHORT_RUNS (5) times one after the other.
 */
import { clientToken, concurrently, envInt, timedGraphql, timedSearch, transaction } from './api';
import { JLAC10 } from './codes';
import { CpuMeter, CpuSplit, describeCpu } from './cpu';
import { donatedRecords, RESOURCES_PER_PATIENT } from './dataset';
import { BenchOptions } from './options';
import { log } from './progress';
import type { ServerProcess } from './server-process';
import { LatencySummary, summarize } from './stats';

export const TIMELINE_QUERY = `query($id: ID!, $first: Int) {
  patientTimeline(patientId: $id, first: $first) {
    edges { at kind title sourceFacility abnormal resource }
    pageInfo { endCursor hasNextPage }
  }
}`;

export const COHORT_QUERY = `query($c: CohortCriteria!, $g: [CohortDimension!]!) {
  cohortStatistics(criteria: $c, groupBy: $g) { suppressedGroups groups { key count suppressed mean quartiles } }
}`;

const HBA1C = JLAC10[0].code;
const PAGE = 50;

export interface LoadedLatency {
  clients: number;
  latency: LatencySummary;
  requestsPerSecond: number;
  cpu: CpuSplit;
}

export interface GraphqlResult {
  resources: number;
  timeline: {
    patientId: string;
    entries: number;
    pageSize: number;
    graphql: LoadedLatency;
    /** The four per-type searches, sent together; latency of the set. */
    rest: LoadedLatency & { searches: string[] };
  };
  cohort: {
    criteria: Record<string, unknown>;
    groupBy: string[];
    runs: number[];
    groups: number;
    suppressedGroups: number;
    cohortSize: number;
    cpu: CpuSplit;
  };
}

export async function measureGraphql(options: BenchOptions, server: ServerProcess, clinicianToken: string, patientId: string, resources: number): Promise<GraphqlResult> {
  const entries = await growTimeline(options, server, patientId, envInt('BENCH_TIMELINE_ENTRIES', 2000, 1));
  const requests = envInt('BENCH_GRAPHQL_REQUESTS', Math.max(200, options.samples * 4), 1);
  const clients = options.crudConnections;
  const warm = () => concurrently(clients, clients * 2, async () => (await timedGraphql(server, clinicianToken, TIMELINE_QUERY, { id: patientId, first: PAGE })).ms);

  await warm();
  const graphql = await loaded(options, server, clients, requests, async () => {
    const answer = await timedGraphql<{ patientTimeline: { edges: unknown[] } }>(server, clinicianToken, TIMELINE_QUERY, { id: patientId, first: PAGE });
    if (answer.data.patientTimeline.edges.length !== PAGE) throw new Error(`timeline page held ${answer.data.patientTimeline.edges.length} entries, not ${PAGE}`);
    return answer.ms;
  });
  log(`patientTimeline (${entries} entries, first ${PAGE}), ${clients} clients: p50 ${graphql.latency.p50.toFixed(1)} ms, p99 ${graphql.latency.p99.toFixed(1)} ms; ${describeCpu(graphql.cpu)}`);

  const subject = `subject=Patient/${patientId}`;
  const searches = [
    `Encounter?${subject}&_sort=-date&_count=${PAGE}`,
    `Condition?${subject}&_sort=-recorded-date&_count=${PAGE}`,
    `MedicationRequest?${subject}&_sort=-authoredon&_count=${PAGE}`,
    `Observation?${subject}&_sort=-date&_count=${PAGE}`,
  ];
  const restSet = async () => {
    const start = performance.now();
    await Promise.all(searches.map((s) => timedSearch(server, clinicianToken, s)));
    return performance.now() - start;
  };
  await concurrently(clients, clients * 2, restSet);
  const rest = await loaded(options, server, clients, requests, restSet);
  log(`REST equivalent (${searches.length} searches together), ${clients} clients: p50 ${rest.latency.p50.toFixed(1)} ms, p99 ${rest.latency.p99.toFixed(1)} ms; ${describeCpu(rest.cpu)}`);

  const researcherToken = await clientToken(server, { name: 'bench researcher', role: 'researcher' });
  const criteria = { icd10Prefix: 'E11', labCode: HBA1C, labMin: 8.0 };
  const groupBy = ['MUNICIPALITY', 'AGE_BAND'];
  const cohortCpu = new CpuMeter(server.pid, options.database);
  const runs: number[] = [];
  let last: { groups: { count: number | null }[]; suppressedGroups: number } | undefined;
  for (let run = 0; run < envInt('BENCH_COHORT_RUNS', 5, 1); run++) {
    const answer = await timedGraphql<{ cohortStatistics: NonNullable<typeof last> }>(server, researcherToken, COHORT_QUERY, { c: criteria, g: groupBy });
    runs.push(answer.ms);
    last = answer.data.cohortStatistics;
  }
  const cpu = cohortCpu.read();
  const cohortSize = (last?.groups ?? []).reduce((sum, g) => sum + (g.count ?? 0), 0);
  log(`cohortStatistics E11 + HbA1c ≥ 8.0 by municipality × age band: ${runs.map((ms) => `${Math.round(ms)} ms`).join(', ')}; ${last?.groups.length} groups, ${cohortSize} persons in unsuppressed cells; ${describeCpu(cpu)}`);

  return {
    resources,
    timeline: { patientId, entries, pageSize: PAGE, graphql, rest: { ...rest, searches } },
    cohort: { criteria, groupBy, runs, groups: last?.groups.length ?? 0, suppressedGroups: last?.suppressedGroups ?? 0, cohortSize, cpu },
  };
}

async function loaded(options: BenchOptions, server: ServerProcess, clients: number, requests: number, task: () => Promise<number>): Promise<LoadedLatency> {
  const cpu = new CpuMeter(server.pid, options.database);
  const started = performance.now();
  const times = await concurrently(clients, requests, task);
  const seconds = (performance.now() - started) / 1000;
  return { clients, latency: summarize(times), requestsPerSecond: requests / seconds, cpu: cpu.read() };
}

/**
 * Gives the patient the clinical records of further generated patients (all but their Patient), one
 * transaction each, with the subject rewritten to this patient; returns how many entries its timeline then has.
 */
async function growTimeline(options: BenchOptions, server: ServerProcess, patientId: string, target: number): Promise<number> {
  const perPatient = RESOURCES_PER_PATIENT - 1;
  const extra = Math.max(0, Math.round((target - perPatient) / perPatient));
  for (let k = 0; k < extra; k++) await transaction(server, server.token, donatedRecords(options.seed, options.patients + k, `Patient/${patientId}`));
  // Its own records, the donors', and the clinic's visit on the linked local record.
  const entries = (extra + 1) * perPatient + 1;
  log(`timeline patient Patient/${patientId}: ${entries.toLocaleString('en-US')} entries`);
  return entries;
}
