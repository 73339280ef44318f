/**
 * Step 5: paging through a very long history must cost the server the same memory whatever the length.
 * Two Observations get histories of size/10 and size versions; both are read to the end through `next`
 * links, and the server's resident set is watched while it does.
 *
 * The versions are written with SQL straight into the server's history table: a hundred thousand PUTs of
 * one resource would only measure update latency again (step 4) and take minutes.
 */
import type { Bundle, Observation } from '@medplum/fhirtypes';
import type { Pool } from 'pg';
import { generatePatient } from './dataset';
import { BenchOptions } from './options';
import { Progress } from './progress';
import type { PhaseMemory, ServerProcess } from './server-process';
import { elapsedMs, percentile } from './stats';

export interface HistoryWalk {
  versions: number;
  pages: number;
  entriesRead: number;
  seconds: number;
  /** Page latency over the first and the last tenth of the walk, ms (p50). */
  firstPagesP50: number;
  lastPagesP50: number;
  memory: PhaseMemory;
  /** Peak resident set above the resident set at the start of the walk, MB. */
  peakGrowthMb: number;
}

export interface StreamResult {
  small: HistoryWalk;
  large: HistoryWalk;
}

export async function streamCheck(options: BenchOptions, server: ServerProcess, pool: Pool, patientIds: string[]): Promise<StreamResult> {
  const small = await walkHistory(options, server, pool, patientIds, Math.max(100, Math.round(options.historySize / 10)));
  const large = await walkHistory(options, server, pool, patientIds, options.historySize);
  return { small, large };
}

async function walkHistory(options: BenchOptions, server: ServerProcess, pool: Pool, patientIds: string[], versions: number): Promise<HistoryWalk> {
  const id = await createObservation(options, server, patientIds);
  await seedHistory(pool, id, versions);
  const progress = new Progress(`history of ${versions.toLocaleString('en-US')} versions`, versions, 'entries');
  const pageTimes: number[] = [];
  let entriesRead = 0;
  const started = process.hrtime.bigint();
  const { memory } = await server.memory.during(async () => {
    let next: string | undefined = `${server.fhirUrl}/Observation/${id}/_history?_count=${options.historyPageSize}`;
    while (next) {
      const start = process.hrtime.bigint();
      const res: Response = await fetch(next, { headers: { authorization: `Bearer ${server.token}` } });
      const text = await res.text();
      pageTimes.push(elapsedMs(start));
      if (res.status !== 200) throw new Error(`history page failed: HTTP ${res.status} ${text.slice(0, 300)}`);
      const page = JSON.parse(text) as Bundle;
      entriesRead += page.entry?.length ?? 0;
      next = page.link?.find((l) => l.relation === 'next')?.url;
      progress.update(entriesRead);
    }
  });
  if (entriesRead !== versions) throw new Error(`history walk read ${entriesRead} entries, expected ${versions}`);
  const tenth = Math.max(1, Math.floor(pageTimes.length / 10));
  const p50 = (list: number[]) => percentile([...list].sort((a, b) => a - b), 50);
  const walk: HistoryWalk = {
    versions,
    pages: pageTimes.length,
    entriesRead,
    seconds: elapsedMs(started) / 1000,
    firstPagesP50: p50(pageTimes.slice(0, tenth)),
    lastPagesP50: p50(pageTimes.slice(-tenth)),
    memory,
    peakGrowthMb: Math.round((memory.peakRssMb - memory.startRssMb) * 10) / 10,
  };
  progress.done(`${walk.pages} pages, first pages p50 ${walk.firstPagesP50.toFixed(1)} ms, last ${walk.lastPagesP50.toFixed(1)} ms, peak RSS +${walk.peakGrowthMb} MB`);
  return walk;
}

async function createObservation(options: BenchOptions, server: ServerProcess, patientIds: string[]): Promise<string> {
  const generated = generatePatient(options.seed, 0, 'id');
  const observation = generated.resources.find((r) => r.resource.resourceType === 'Observation')?.resource as Observation;
  const body: Observation = { ...observation, id: undefined, subject: { reference: `Patient/${patientIds[0]}` }, encounter: undefined };
  const res = await fetch(`${server.fhirUrl}/Observation`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`creating the history Observation failed: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as Observation).id as string;
}

/** Versions 2…n, each with its own versionId and value, one millisecond apart after version 1. */
async function seedHistory(pool: Pool, id: string, versions: number): Promise<void> {
  const progress = new Progress(`seeding ${versions.toLocaleString('en-US')} versions (SQL)`);
  await pool.query(
    `INSERT INTO resource_history (rid, resource_type, id, version_id, last_updated, deleted, content, compartments, source)
     SELECT h.rid, h.resource_type, h.id, v, h.last_updated + v * interval '1 millisecond', false,
            jsonb_set(jsonb_set(h.content::jsonb, '{meta,versionId}', to_jsonb(v::text)), '{valueQuantity,value}', to_jsonb(v))::text,
            h.compartments, h.source
     FROM resource_history h, generate_series(2, $2::int) v
     WHERE h.resource_type = 'Observation' AND h.id = $1 AND h.version_id = 1`,
    [id, versions]
  );
  await pool.query(
    `UPDATE resource r SET version_id = h.version_id, last_updated = h.last_updated, content = h.content
     FROM resource_history h WHERE r.resource_type = 'Observation' AND r.id = $1 AND h.rid = r.rid AND h.version_id = $2`,
    [id, versions]
  );
  await pool.query('ANALYZE resource_history');
  progress.done('seeded');
}
