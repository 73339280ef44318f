/**
 * The database turning read-only under a running server (a failover to a standby, a full disk remounted, an
 * operator's `default_transaction_read_only`): a write is answered 503 with Retry-After and an OperationOutcome
 * that says so, as is an HL7 message over HTTP; over MLLP a message is answered AR saying so (not kept, not
 * accepted) on a connection that stays open; each is stored when its sender sends it again after writes come back; the server recovers without a restart.
 * On PostgreSQL (DATABASE_URL) the scratch database is altered and its sessions ended, so that every new one is
 * read-only; on the embedded database, its one session is set read-only.
 */
import { Client as PgClient } from 'pg';
import { sql } from '../../src/core/sql';
import { labResultMessage } from '../support/hl7-messages';
import { startTestServer, TestServer } from '../support/server';
import { ackCode, createFacility, MllpClient } from './support';

let server: TestServer;
let databaseUrl: string | undefined;
let gatewayToken: string;

beforeAll(async () => {
  server = await startTestServer({}, { reach: (url) => (databaseUrl = url) });
  gatewayToken = await server.clientToken({ role: 'gateway', organization: await createFacility(server) });
});
afterAll(async () => {
  await readOnly(false).catch(() => undefined);
  await server?.close();
});

async function readOnly(on: boolean): Promise<void> {
  if (!databaseUrl) {
    await server.tonet.db.query(on ? sql`SET default_transaction_read_only = on` : sql`SET default_transaction_read_only = off`);
    return;
  }
  const admin = new PgClient({ connectionString: databaseUrl });
  await admin.connect();
  try {
    // This session too starts read-only once the database is.
    await admin.query('SET default_transaction_read_only = off');
    const name = (await admin.query('SELECT current_database() AS name')).rows[0].name as string;
    await admin.query(`ALTER DATABASE "${name}" SET default_transaction_read_only = ${on ? 'on' : 'off'}`);
    // Sessions read the setting when they start: end the server's, so that its pool opens new ones.
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  } finally {
    await admin.end();
  }
}

async function fhir(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${server.fhirUrl}/${path}`, { method, headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/fhir+json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** Repeats `attempt` until `done` holds (a pool reconnecting may first answer for the lost connection). */
async function until<T>(attempt: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T[]> {
  const seen: T[] = [];
  for (let i = 0; i < 100; i++) {
    seen.push(await attempt());
    if (done(seen[seen.length - 1])) return seen;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(seen.slice(-3)).slice(0, 500)}`);
}

const message = (controlId: string) =>
  labResultMessage({ controlId, patientId: 'READ-ONLY-1', orderNumber: `RO-${controlId}`, code: '3D046000001920402', name: 'HbA1c', value: '6.4', unit: '%', range: '4.6-6.2', observedAt: '202501021000', token: gatewayToken });

async function postHl7(text: string): Promise<string> {
  const res = await fetch(`${server.url}/hl7/v2`, { method: 'POST', headers: { authorization: `Bearer ${gatewayToken}`, 'content-type': 'x-application/hl7-v2+er7' }, body: text });
  return res.text();
}

const observations = async () => (await fhir('GET', 'Observation?subject:Patient.identifier=READ-ONLY-1&_total=accurate')).body.total;

test('a read-only database: writes 503 saying so, HL7 messages AR saying so, and all is stored once writes come back', async () => {
  expect((await fhir('POST', 'Patient', { resourceType: 'Patient', name: [{ family: '書込' }] })).status).toBe(201);
  await readOnly(true);

  const writes = await until(() => fhir('POST', 'Patient', { resourceType: 'Patient', name: [{ family: '読取専用' }] }), (w) => /read-only/.test(w.body.issue?.[0]?.diagnostics ?? ''), 'a write refused as read-only');
  expect(writes.map((w) => w.status).every((s) => s === 503)).toBe(true);
  const refused = writes[writes.length - 1];
  expect(refused.headers.get('retry-after')).toBe('5');
  expect(refused.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient' }] });

  // Over HTTP the transport says it: 503 with Retry-After, as for any write.
  const overHttp = await fetch(`${server.url}/hl7/v2`, { method: 'POST', headers: { authorization: `Bearer ${gatewayToken}`, 'content-type': 'x-application/hl7-v2+er7' }, body: message('RO-HTTP-1') });
  expect(overHttp.status).toBe(503);
  expect(overHttp.headers.get('retry-after')).toBe('5');
  expect(((await overHttp.json()) as any).issue[0].diagnostics).toMatch(/read-only/);

  const mllp = await MllpClient.connect(server.mllpPort);
  const overMllp = await mllp.send(Buffer.from(message('RO-MLLP-1'), 'utf8'));
  expect(ackCode(overMllp)).toBe('AR');
  expect(overMllp).toMatch(/MSA\|AR\|RO-MLLP-1\|/);
  expect(overMllp).toMatch(/read-only/);

  await readOnly(false);
  await until(() => fhir('POST', 'Patient', { resourceType: 'Patient', name: [{ family: '復旧' }] }), (w) => w.status === 201, 'a write accepted again');
  // Nothing was kept while read-only, and nothing is lost: the senders send again and both are stored.
  expect(await observations()).toBe(0);
  expect(ackCode(await postHl7(message('RO-HTTP-1')))).toBe('AA');
  expect(ackCode(await mllp.send(Buffer.from(message('RO-MLLP-1'), 'utf8')))).toBe('AA');
  mllp.close();
  expect(await observations()).toBe(2);
});
