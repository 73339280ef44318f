/**
 * Step 2: the same patients written twice: through Tonet as 250-entry transaction bundles (POST entries
 * linked by urn:uuid), and as raw multi-row INSERTs of the same JSON into the raw table. Both run the same
 * split: the first share of bundles from one client, the rest from several at once.
 */
import type { Bundle } from '@medplum/fhirtypes';
import type { Pool } from 'pg';
import { generatePatient, GeneratedResource, PATIENTS_PER_BUNDLE, RESOURCES_PER_PATIENT } from './dataset';
import { CpuMeter, CpuSplit, describeCpu } from './cpu';
import { BenchOptions } from './options';
import { insertRaw } from './postgres';
import { Progress } from './progress';
import type { ServerProcess } from './server-process';

export interface IngestRun {
  clients: number;
  bundles: number;
  resources: number;
  seconds: number;
  resourcesPerSecond: number;
  cpu: CpuSplit;
}

/** Which bundles each phase writes: [first, end) bundle indexes. */
export interface IngestPlan {
  single: [number, number];
  concurrent: [number, number];
}

export function ingestPlan(options: BenchOptions): IngestPlan {
  const bundles = options.patients / PATIENTS_PER_BUNDLE;
  const single = Math.max(1, Math.round(bundles * options.singleClientShare));
  return { single: [0, single], concurrent: [single, bundles] };
}

function bundleResources(options: BenchOptions, bundle: number, style: 'urn' | 'id'): GeneratedResource[] {
  const out: GeneratedResource[] = [];
  for (let p = 0; p < PATIENTS_PER_BUNDLE; p++) out.push(...generatePatient(options.seed, bundle * PATIENTS_PER_BUNDLE + p, style).resources);
  return out;
}

export async function ingestRaw(options: BenchOptions, pool: Pool, server: ServerProcess, range: [number, number], clients: number): Promise<IngestRun> {
  return runBundles(`raw INSERT, ${clients} connection(s)`, new CpuMeter(server.pid, options.database), range, clients, async (bundle) => {
    await insertRaw(pool, bundleResources(options, bundle, 'id'));
  });
}

/**
 * Sends the bundles and records the id the server gave each patient (entry order is kept in the response),
 * which the search phase needs to name patients.
 */
export async function ingestServer(options: BenchOptions, server: ServerProcess, range: [number, number], clients: number, patientIds: string[]): Promise<IngestRun> {
  return runBundles(`Tonet transaction bundles, ${clients} client(s)`, new CpuMeter(server.pid, options.database), range, clients, async (bundle) => {
    const resources = bundleResources(options, bundle, 'urn');
    const body: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: resources.map(({ uuid, resource }) => ({ fullUrl: `urn:uuid:${uuid}`, resource, request: { method: 'POST', url: resource.resourceType } })),
    };
    const res = await fetch(server.fhirUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${server.token}` },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`bundle ${bundle} failed: HTTP ${res.status} ${text.slice(0, 500)}`);
    const response = JSON.parse(text) as Bundle;
    for (let p = 0; p < PATIENTS_PER_BUNDLE; p++) {
      const location = response.entry?.[p * RESOURCES_PER_PATIENT]?.response?.location ?? '';
      const m = /Patient\/([^/]+)/.exec(location);
      if (!m) throw new Error(`bundle ${bundle}: no Patient location in entry ${p * RESOURCES_PER_PATIENT} ("${location}")`);
      patientIds[bundle * PATIENTS_PER_BUNDLE + p] = m[1];
    }
  });
}

/** `resourcesAfter`: how many resources `done` sends have written (one bundle each unless told). */
async function runBundles(phase: string, cpu: CpuMeter, [first, end]: [number, number], clients: number, send: (bundle: number) => Promise<void>, resourcesAfter = (done: number) => done * PATIENTS_PER_BUNDLE * RESOURCES_PER_PATIENT): Promise<IngestRun> {
  const bundles = end - first;
  const progress = new Progress(phase, resourcesAfter(bundles), 'resources');
  let next = first;
  let done = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < end) {
      const bundle = next++;
      await send(bundle);
      done++;
      progress.update(resourcesAfter(done));
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const resources = resourcesAfter(bundles);
  const run = { clients, bundles, resources, seconds, resourcesPerSecond: resources / seconds, cpu: cpu.read() };
  progress.done(`${Math.round(run.resourcesPerSecond).toLocaleString('en-US')} resources/s; ${describeCpu(run.cpu)}`);
  return run;
}

/** Bundles of patients per $import body: 5,000 resources (about 5 MB), well inside the server's body limit. */
const BUNDLES_PER_IMPORT_BODY = 20;

/**
 * The same patients as NDJSON through POST /fhir/$import (ids and references by id, as a Bulk Data export
 * has them), one body of BUNDLES_PER_IMPORT_BODY bundles at a time from `clients` clients; the server's
 * ids are the export's, so no patient ids are collected.
 */
export async function ingestImport(options: BenchOptions, server: ServerProcess, [first, end]: [number, number], clients: number): Promise<IngestRun> {
  const bodies: [number, number][] = [];
  for (let b = first; b < end; b += BUNDLES_PER_IMPORT_BODY) bodies.push([b, Math.min(end, b + BUNDLES_PER_IMPORT_BODY)]);
  const resourcesAfter = (done: number) => Math.min(done * BUNDLES_PER_IMPORT_BODY, end - first) * PATIENTS_PER_BUNDLE * RESOURCES_PER_PATIENT;
  const run = await runBundles(`Tonet $import NDJSON, ${clients} client(s)`, new CpuMeter(server.pid, options.database), [0, bodies.length], clients, async (body) => {
    const [from, to] = bodies[body];
    const lines: string[] = [];
    for (let bundle = from; bundle < to; bundle++) for (const { resource } of bundleResources(options, bundle, 'id')) lines.push(JSON.stringify(resource));
    const res = await fetch(`${server.fhirUrl}/$import`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+ndjson', authorization: `Bearer ${server.token}` },
      body: lines.join('\n'),
    });
    const text = await res.text();
    if (res.status !== 200 || Number(/(\d+) imported/.exec(text)?.[1]) !== lines.length) throw new Error(`$import body ${body} failed: HTTP ${res.status} ${text.slice(0, 500)}`);
  }, resourcesAfter);
  return { ...run, bundles: end - first };
}
