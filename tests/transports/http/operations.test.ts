/**
 * What operators configure: /metrics (Prometheus text, route patterns without ids, ingest by ACK code, inbox
 * depth, audit lag; loopback or an administrator only by default), CORS for configured origins only, and
 * trustProxy: a forged X-Forwarded-For is ignored unless the proxy is trusted, and then the AuditEvent
 * records the forwarded client address.
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../../src/config';
import { sql } from '../../../src/core/sql';
import { Metrics } from '../../../src/transports/http/metrics';
import { routePattern } from '../../../src/transports/http/route-pattern';
import { createFacility } from '../../ingest/support';
import { labResultMessage } from '../../support/hl7-messages';
import { startTestServer, TestServer } from '../../support/server';

const CONSOLE_ORIGIN = 'https://console.example.jp';
let plain: TestServer;
let proxied: TestServer;

beforeAll(async () => {
  plain = await startTestServer();
  proxied = await startTestServer({ TONET_TRUST_PROXY: 'loopback', TONET_CORS_ORIGINS: `${CONSOLE_ORIGIN},http://localhost:5173`, TONET_METRICS: 'admin' });
});
afterAll(async () => {
  await plain?.close();
  await proxied?.close();
});

async function metrics(server: TestServer, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${server.url}/metrics`, { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** The value of one sample line, e.g. sample(text, 'tonet_ingest_messages_total{transport="http",ack="AA"}'). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no sample ${series} in\n${text.slice(0, 3000)}`);
  return Number(line.slice(series.length + 1));
}

test('/metrics answers Prometheus text with requests by route pattern, never a raw URL', async () => {
  const patientId = `metrics-${randomUUID()}`;
  const read = await fetch(`${plain.fhirUrl}/Patient/${patientId}?_elements=name`, { headers: { authorization: `Bearer ${plain.adminToken}` } });
  expect(read.status).toBe(404);
  const search = await fetch(`${plain.fhirUrl}/Patient?family=${encodeURIComponent('山田')}`, { headers: { authorization: `Bearer ${plain.adminToken}` } });
  expect(search.status).toBe(200);
  await fetch(`${plain.fhirUrl}/NotAType/${patientId}`, { headers: { authorization: `Bearer ${plain.adminToken}` } });

  const scraped = await metrics(plain);
  expect(scraped.status).toBe(200);
  expect(scraped.type).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(sample(scraped.text, 'tonet_http_request_duration_seconds_count{method="GET",route="/fhir/Patient/{id}",status="404"}')).toBeGreaterThanOrEqual(1);
  expect(sample(scraped.text, 'tonet_http_request_duration_seconds_count{method="GET",route="/fhir/Patient",status="200"}')).toBeGreaterThanOrEqual(1);
  expect(sample(scraped.text, 'tonet_http_request_duration_seconds_count{method="GET",route="/fhir/{type}/{id}",status="404"}')).toBeGreaterThanOrEqual(1);
  expect(scraped.text).toMatch(/tonet_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/fhir\/Patient",status="200"\}/);
  // Nothing the caller sent beyond the shape: no id, no search value, no unknown type name.
  expect(scraped.text).not.toContain(patientId);
  expect(scraped.text).not.toContain('山田');
  expect(scraped.text).not.toContain('NotAType');
  expect(scraped.text).toMatch(/^process_cpu_seconds_total /m);
});

test('HL7 v2 messages are counted by transport and ACK code; the inbox depth and the audit lag are there', async () => {
  const before = await metrics(plain);
  const organization = await createFacility(plain);
  const gateway = await plain.clientToken({ role: 'gateway', organization });
  const send = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${plain.url}/hl7/v2`, { method: 'POST', headers: { authorization: `Bearer ${gateway}`, 'content-type': 'x-application/hl7-v2+er7', ...headers }, body });
  const accepted = await send(labResultMessage({ controlId: 'MET1', patientId: 'M-1', orderNumber: 'MO-1', code: '3D046000001920402', name: 'HbA1c', value: '6.0', unit: '%', range: '4.6-6.2', observedAt: '202501011000' }));
  expect(accepted.headers.get('x-ack-code')).toBe('AA');
  const refused = await send('this is not HL7');
  expect(refused.headers.get('x-ack-code')).toBe('AR');
  // Refused by the transport before the pipeline (a file name outside the SS-MIX2 layout), and counted alike.
  const misplaced = await send(labResultMessage({ controlId: 'MET2', patientId: 'M-1', orderNumber: 'MO-2', code: '3D046000001920402', name: 'HbA1c', value: '6.1', unit: '%', range: '4.6-6.2', observedAt: '202501021000' }), { 'x-ssmix2-file': 'not-a-storage-file' });
  expect(misplaced.headers.get('x-ack-code')).toBe('AR');

  const after = await metrics(plain);
  const delta = (series: string) => sample(after.text, series) - sample(before.text, series);
  expect(delta('tonet_ingest_messages_total{transport="http",ack="AA"}')).toBe(1);
  expect(delta('tonet_ingest_messages_total{transport="http",ack="AR"}')).toBe(2);
  expect(delta('tonet_ingest_messages_total{transport="mllp",ack="AE"}')).toBe(0);
  expect(delta('tonet_inbox_rejected_messages')).toBe(2);
  expect(sample(after.text, 'tonet_audit_backlog_entries')).toBeGreaterThanOrEqual(0);
  expect(sample(after.text, 'tonet_audit_backlog_oldest_seconds')).toBeGreaterThanOrEqual(0);
});

test('database pool use: busy while a transaction holds a connection, callers waiting behind it on the embedded database', async () => {
  const db = plain.tonet.db;
  const max = db.kind === 'pglite' ? 1 : 16;
  const scraped = await metrics(plain);
  expect(sample(scraped.text, 'tonet_db_pool_max_connections')).toBe(max);
  expect(sample(scraped.text, 'tonet_db_pool_connections{state="busy"}') + sample(scraped.text, 'tonet_db_pool_connections{state="idle"}')).toBeLessThanOrEqual(max);
  expect(sample(scraped.text, 'tonet_db_pool_waiting')).toBe(0);

  let release!: () => void;
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  const transaction = db.transaction(() => new Promise<void>((resolve) => (holding(), (release = resolve))));
  await held;
  const queued = db.query(sql`SELECT 1`);
  const usage = db.poolUsage();
  expect(usage.busy).toBeGreaterThanOrEqual(1);
  if (db.kind === 'pglite') expect(usage).toEqual({ max: 1, busy: 1, idle: 0, waiting: 1 });
  release();
  await Promise.all([transaction, queued]);
  expect(db.poolUsage().waiting).toBe(0);
});

test('by default /metrics needs the loopback address or an administrator; a forwarded request is not local', async () => {
  expect((await metrics(plain)).status).toBe(200);
  const throughProxy = await metrics(plain, { 'x-forwarded-for': '198.51.100.20' });
  expect(throughProxy.status).toBe(401);
  expect(JSON.parse(throughProxy.text).resourceType).toBe('OperationOutcome');
  expect((await metrics(plain, { 'x-forwarded-for': '198.51.100.20', authorization: `Bearer ${plain.adminToken}` })).status).toBe(200);
  const clinician = await plain.clientToken({ role: 'clinician', organization: 'Organization/somewhere' });
  expect((await metrics(plain, { 'x-forwarded-for': '198.51.100.20', authorization: `Bearer ${clinician}` })).status).toBe(403);
  // TONET_METRICS=admin: the loopback address alone is not enough.
  expect((await metrics(proxied)).status).toBe(401);
  expect((await metrics(proxied, { authorization: `Bearer ${proxied.adminToken}` })).status).toBe(200);
});

/** Reads Organization with a forwarded-for header and answers the source address its AuditEvent recorded. */
async function auditedAddress(server: TestServer, forwardedFor: string): Promise<{ column: string; agent: string }> {
  const requestId = `fwd-${randomUUID()}`;
  const res = await fetch(`${server.fhirUrl}/Patient?family=audit`, { headers: { authorization: `Bearer ${server.adminToken}`, 'x-forwarded-for': forwardedFor, 'x-request-id': requestId } });
  expect(res.status).toBe(200);
  const [row] = await server.tonet.db.query<{ remote_address: string; event: string }>(sql`SELECT remote_address, event FROM audit_event WHERE event LIKE ${`%${requestId}%`}`);
  const event = JSON.parse(row.event) as { agent: { requestor: boolean; network?: { address: string } }[] };
  return { column: row.remote_address, agent: event.agent.find((a) => a.requestor)?.network?.address ?? '' };
}

test('without TONET_TRUST_PROXY a forged X-Forwarded-For is ignored; with it the audit records the forwarded client', async () => {
  expect(await auditedAddress(plain, '203.0.113.66')).toEqual({ column: '127.0.0.1', agent: '127.0.0.1' });
  // Behind a trusted proxy (here on the loopback address) the client is the last address the proxy added.
  expect(await auditedAddress(proxied, '10.1.2.3, 203.0.113.66')).toEqual({ column: '203.0.113.66', agent: '203.0.113.66' });
});

test('CORS answers the configured origins only; none are configured by default', async () => {
  const preflight = (server: TestServer, origin: string) =>
    fetch(`${server.fhirUrl}/Patient`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
  const allowed = await preflight(proxied, CONSOLE_ORIGIN);
  expect(allowed.status).toBe(204);
  expect(allowed.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
  expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
  expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();

  const read = await fetch(`${proxied.fhirUrl}/metadata`, { headers: { origin: CONSOLE_ORIGIN } });
  expect(read.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
  expect(read.headers.get('access-control-expose-headers')).toContain('X-Request-Id');

  expect((await preflight(proxied, 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  expect((await fetch(`${proxied.fhirUrl}/metadata`, { headers: { origin: 'https://evil.example' } })).headers.get('access-control-allow-origin')).toBeNull();
  expect((await fetch(`${plain.fhirUrl}/metadata`, { headers: { origin: CONSOLE_ORIGIN } })).headers.get('access-control-allow-origin')).toBeNull();
  expect((await preflight(plain, CONSOLE_ORIGIN)).headers.get('access-control-allow-origin')).toBeNull();
});

test('the settings are checked at start and a mistake names the variable', () => {
  expect(() => loadConfig({ TONET_CORS_ORIGINS: 'https://console.example.jp/' })).toThrow(/TONET_CORS_ORIGINS.*no path/);
  expect(() => loadConfig({ TONET_CORS_ORIGINS: 'console.example.jp' })).toThrow(/TONET_CORS_ORIGINS/);
  expect(loadConfig({ TONET_CORS_ORIGINS: ' https://a.example , http://localhost:5173' }).corsOrigins).toEqual(['https://a.example', 'http://localhost:5173']);
  expect(loadConfig({}).corsOrigins).toEqual([]);
  expect(loadConfig({}).trustProxy).toBe(false);
  expect(loadConfig({ TONET_TRUST_PROXY: '1' }).trustProxy).toBe(1);
  expect(loadConfig({ TONET_TRUST_PROXY: '10.0.0.0/8, loopback, ::1' }).trustProxy).toEqual(['10.0.0.0/8', 'loopback', '::1']);
  expect(() => loadConfig({ TONET_TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TONET_TRUST_PROXY.*10\.0\.0\.0\/33/);
  expect(() => loadConfig({ TONET_TRUST_PROXY: 'proxy.example' })).toThrow(/TONET_TRUST_PROXY/);
  expect(loadConfig({}).metrics).toBe('local');
  expect(() => loadConfig({ TONET_METRICS: 'public' })).toThrow(/TONET_METRICS must be local, admin, open or off/);
});

test('FHIR route patterns keep the shape and drop what the caller chose', () => {
  const names = { isResourceType: (n: string) => ['Patient', 'Observation'].includes(n), isOperation: (n: string) => n === 'everything' };
  const pattern = (path: string) => routePattern('/fhir/*', path, names);
  expect(pattern('/fhir/Observation/abc/_history/3')).toBe('/fhir/Observation/{id}/_history/{vid}');
  expect(pattern('/fhir/Patient/p1/$everything?_count=5')).toBe('/fhir/Patient/{id}/$everything');
  expect(pattern('/fhir/Patient/p1/$secret-op')).toBe('/fhir/Patient/{id}/{operation}');
  expect(pattern('/fhir/Patient/_search')).toBe('/fhir/Patient/_search');
  expect(pattern('/fhir/a/b/c/d/e')).toBe('/fhir/{unknown}');
  expect(routePattern('/fhir', '/fhir', names)).toBe('/fhir');
  expect(routePattern('/admin/clients/:id/:change', '/admin/clients/x/rotate', names)).toBe('/admin/clients/:id/:change');
  expect(routePattern(undefined, '/nowhere/12345', names)).toBe('unmatched');
});

test('a scrape still answers while the database is unreachable, the inbox depth as NaN', async () => {
  const metricsWithoutDatabase = new Metrics({
    pool: () => ({ max: 16, busy: 0, idle: 0, waiting: 3 }),
    auditBacklog: () => ({ entries: 7, oldestSeconds: 12.5 }),
    inboxRejected: () => Promise.reject(new Error('connection refused')),
    fhirNames: { isResourceType: () => false, isOperation: () => false },
  });
  const text = await metricsWithoutDatabase.registry.metrics();
  expect(sample(text, 'tonet_inbox_rejected_messages')).toBeNaN();
  expect(sample(text, 'tonet_db_pool_waiting')).toBe(3);
  expect(sample(text, 'tonet_audit_backlog_entries')).toBe(7);
  expect(sample(text, 'tonet_audit_backlog_oldest_seconds')).toBe(12.5);
});
