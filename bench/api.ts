/**
 * Calls to the running server as the region's different clients: facilities (Organizations with their
 * 10-digit code and facility type), client registration through /admin/clients, FHIR and GraphQL requests
 * with any client's bearer token, and a driver that keeps a number of clients busy at once.
 */
import type { Bundle } from '@medplum/fhirtypes';
import { FACILITY_TYPE_SYSTEM } from '../src/consent/model';
import { INSTITUTION_NUMBER_SYSTEM } from '../src/ingest/facility';
import type { ServerProcess } from './server-process';
import { elapsedMs } from './stats';

export interface Answer<T = unknown> {
  status: number;
  body: T;
}

/** A request below the server root (`/fhir/Patient`, `/graphql`), JSON in and out. */
export async function call<T = any>(server: ServerProcess, token: string, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json, application/json', ...(body === undefined ? {} : { 'content-type': path.startsWith('/fhir') ? 'application/fhir+json' : 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Like `call`, but anything other than the expected status is an error that names the request. */
export async function expectStatus<T = any>(expected: number, server: ServerProcess, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const answer = await call<T>(server, token, method, path, body);
  if (answer.status !== expected) throw new Error(`${method} ${path}: HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 500)}`);
  return answer.body;
}

export async function createFacility(server: ServerProcess, code: string, type: string, name: string): Promise<string> {
  const created = await expectStatus<{ id: string }>(201, server, server.token, 'POST', '/fhir/Organization', {
    resourceType: 'Organization',
    name,
    identifier: [{ system: INSTITUTION_NUMBER_SYSTEM, value: code }],
    type: [{ coding: [{ system: FACILITY_TYPE_SYSTEM, code: type }] }],
  });
  return `Organization/${created.id}`;
}

/** Registers a client with the admin token and returns a bearer token for it. */
export async function clientToken(server: ServerProcess, client: { name: string; role: string; organization?: string }): Promise<string> {
  const created = await expectStatus<{ client_id: string; client_secret: string }>(201, server, server.token, 'POST', '/admin/clients', client);
  const res = await fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: created.client_id, client_secret: created.client_secret }),
  });
  if (res.status !== 200) throw new Error(`token for ${client.name}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** A transaction bundle of `entries`; the response bundle. */
export async function transaction(server: ServerProcess, token: string, entries: NonNullable<Bundle['entry']>): Promise<Bundle> {
  return expectStatus<Bundle>(200, server, token, 'POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: entries });
}

/** GET of a FHIR search, timed; how many entries the page held. */
export async function timedSearch(server: ServerProcess, token: string, path: string): Promise<{ ms: number; count: number }> {
  const start = process.hrtime.bigint();
  const res = await fetch(`${server.fhirUrl}/${path}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' } });
  const text = await res.text();
  const ms = elapsedMs(start);
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return { ms, count: ((JSON.parse(text) as Bundle).entry ?? []).length };
}

/** POST /graphql, timed; GraphQL errors are failures here (the benchmark asks only valid questions). */
export async function timedGraphql<T = any>(server: ServerProcess, token: string, query: string, variables: Record<string, unknown>): Promise<{ ms: number; data: T }> {
  const start = process.hrtime.bigint();
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const text = await res.text();
  const ms = elapsedMs(start);
  const body = JSON.parse(text) as { data?: T; errors?: { message: string }[] };
  if (res.status !== 200 || body.errors?.length || !body.data) throw new Error(`GraphQL: HTTP ${res.status} ${text.slice(0, 500)}`);
  return { ms, data: body.data };
}

/** Runs `task(i)` for i in [0, total) from `clients` concurrent workers; each task returns the latency it measured. */
export async function concurrently(clients: number, total: number, task: (i: number) => Promise<number>): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) times.push(await task(next++));
  };
  await Promise.all(Array.from({ length: clients }, worker));
  return times;
}

/** Size knobs of the phases beside the core run, from the environment (BENCH_… names, like bench/options.ts). */
export function envInt(name: string, fallback: number, min = 0): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${text}"`);
  return value;
}
