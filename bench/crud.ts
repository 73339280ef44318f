/**
 * Step 4: CRUD throughput with many concurrent clients (autocannon): reads, searches, creates and updates,
 * each alone and then mixed in equal parts. Request bodies are prepared up front and only varied by a
 * counter, so that the load generator (which shares the machine) spends its time sending, not building.
 */
import autocannon = require('autocannon');
import type { Observation, Patient } from '@medplum/fhirtypes';
import { CpuMeter, CpuSplit, describeCpu } from './cpu';
import { generatePatient } from './dataset';
import { BenchOptions } from './options';
import { Prng } from './prng';
import { log } from './progress';
import type { ServerProcess } from './server-process';

export type CrudOperation = 'read' | 'search' | 'create' | 'update';

export interface CrudResult {
  phase: CrudOperation | 'mixed';
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  latencyP50: number;
  latencyP99: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  cpu: CpuSplit;
}

interface Prepared {
  method: string;
  path: string;
  body?: string;
}

/** Patients whose records are prepared as request material (enough to spread locks and cache hits). */
const POOL = 400;

export function crudRequests(options: BenchOptions, patientIds: string[]): Record<CrudOperation, () => Prepared> {
  const rng = new Prng(options.seed ^ 0x5eed);
  const pool = Array.from({ length: Math.min(POOL, options.patients) }, () => {
    const index = rng.int(0, options.patients - 1);
    const generated = generatePatient(options.seed, index, 'id');
    const id = patientIds[index];
    const patient = { ...(generated.resources[0].resource as Patient), id };
    const observation = generated.resources.find((r) => r.resource.resourceType === 'Observation')?.resource as Observation;
    const code = observation.code?.coding?.[0];
    // A new Observation for the same patient: no id, and no encounter (the generated one is a raw-table uuid).
    const newObservation: Observation = { ...observation, id: undefined, subject: { reference: `Patient/${id}` }, encounter: undefined };
    return {
      id,
      searchPath: `/fhir/Observation?subject=Patient/${id}&code=${encodeURIComponent(`${code?.system}|${code?.code}`)}&_sort=-date&_count=20`,
      observationBody: JSON.stringify(newObservation),
      // The telecom number changes on every update, so each PUT writes a new version instead of a no-op.
      patientTemplate: JSON.stringify({ ...patient, telecom: [{ system: 'phone', value: '__PHONE__', use: 'home' }] }),
    };
  });
  let counter = 0;
  const any = () => pool[Math.floor(rng.next() * pool.length)];
  return {
    read: () => ({ method: 'GET', path: `/fhir/Patient/${any().id}` }),
    search: () => ({ method: 'GET', path: any().searchPath }),
    create: () => ({ method: 'POST', path: '/fhir/Observation', body: any().observationBody }),
    update: () => {
      const p = any();
      return { method: 'PUT', path: `/fhir/Patient/${p.id}`, body: p.patientTemplate.replace('__PHONE__', `090-${String(counter++ % 100_000_000).padStart(8, '0')}`) };
    },
  };
}

export async function runCrud(options: BenchOptions, server: ServerProcess, phase: CrudOperation | 'mixed', make: Record<CrudOperation, () => Prepared>, seconds: number): Promise<CrudResult> {
  const operations: CrudOperation[] = phase === 'mixed' ? ['read', 'search', 'create', 'update'] : [phase];
  let turn = 0;
  const cpu = new CpuMeter(server.pid, options.database);
  log(`CRUD ${phase}: ${options.crudConnections} connections for ${seconds} s`);
  const result = await autocannon({
    url: server.url,
    connections: options.crudConnections,
    duration: seconds,
    requests: [
      {
        setupRequest: (request) => {
          const prepared = make[operations[turn++ % operations.length]]();
          return {
            ...request,
            method: prepared.method,
            path: prepared.path,
            body: prepared.body,
            headers: { authorization: `Bearer ${server.token}`, ...(prepared.body ? { 'content-type': 'application/fhir+json' } : {}) },
          };
        },
      },
    ],
  });
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  const crud: CrudResult = {
    phase,
    seconds: result.duration,
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    statusCodes,
    cpu: cpu.read(),
  };
  log(`CRUD ${phase}: ${Math.round(crud.requestsPerSecond)} requests/s, p99 ${crud.latencyP99} ms, non-2xx ${crud.non2xx}, errors ${crud.errors}; ${describeCpu(crud.cpu)}`);
  return crud;
}
