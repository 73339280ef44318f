/**
 * The office's client registry: listing shows what a client is without its secret; deactivation ends the
 * client's tokens at once on every transport (REST, GraphQL, a new WebSocket subscription, MLLP); rotation
 * answers a new secret once and ends the old secret and its tokens; secrets are kept as digests only; every
 * change is audited; refusals are OperationOutcomes.
 */
import { createClient, Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ClientStore, newSecret } from '../../src/auth/clients';
import { AuthClients } from '../../src/store/clients';
import { GuessAttempts } from '../../src/store/guess-attempts';
import { sql } from '../../src/core/sql';
import { ackCode, createFacility, MllpClient } from '../ingest/support';
import { labResultMessage } from '../support/hl7-messages';
import { ADMIN_ID, startTestServer, TestServer } from '../support/server';
import { connectionTo } from '../../src/store/connection';

let server: TestServer;
let organization: string;
const sockets: WsClient[] = [];

beforeAll(async () => {
  server = await startTestServer();
  organization = await createFacility(server);
});
afterAll(async () => {
  for (const socket of sockets) await socket.dispose();
  await server?.close();
});

async function admin(method: string, path: string, body?: unknown, token = server.adminToken): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

async function newClient(input: Record<string, string>): Promise<{ id: string; secret: string }> {
  const created = await admin('POST', '/admin/clients', input);
  expect(created.status).toBe(201);
  return { id: created.body.client_id, secret: created.body.client_secret };
}

async function tokenStatus(id: string, secret: string): Promise<number> {
  const res = await fetch(`${server.url}/oauth2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: secret }) });
  return res.status;
}

const fhirStatus = async (token: string) => (await fetch(`${server.fhirUrl}/Organization`, { headers: { authorization: `Bearer ${token}` } })).status;
const graphqlStatus = async (token: string) =>
  (await fetch(`${server.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ OrganizationList { id } }' }) })).status;

/** Opens a subscription and resolves with the first thing the server says about it: an error, or that it runs. */
function subscriptionOutcome(socket: WsClient): Promise<string> {
  return new Promise((resolve) => {
    socket.subscribe(
      { query: 'subscription { resourceChanged(patientId: "nobody") }' },
      { next: () => resolve('event'), error: (err) => resolve(`error: ${JSON.stringify(err)}`), complete: () => resolve('complete') }
    );
    // A subscription that started waits for events; nothing arrives, so after a moment it is known to run.
    setTimeout(() => resolve('running'), 1500);
  });
}

function connect(token: string): Promise<WsClient> {
  const socket = createClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, lazy: false, retryAttempts: 0, onNonLazyError: () => undefined });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.on('connected', () => resolve(socket));
    socket.on('closed', (event) => reject(new Error(`closed ${(event as { code?: number }).code}`)));
  });
}

test('the list shows id, name, role, facility, active and created, never a secret or digest', async () => {
  const gateway = await newClient({ name: 'Toro gateway', role: 'gateway', organization });
  const listed = await admin('GET', '/admin/clients');
  expect(listed.status).toBe(200);
  const row = listed.body.clients.find((c: any) => c.client_id === gateway.id);
  expect(row).toEqual({ client_id: gateway.id, name: 'Toro gateway', role: 'gateway', organization, active: true, created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  expect(listed.body.clients.map((c: any) => c.client_id)).toContain(ADMIN_ID);
  expect(JSON.stringify(listed.body)).not.toContain(gateway.secret);
  expect(JSON.stringify(listed.body)).not.toMatch(/scrypt/);
  // What the database keeps is a salted digest, not the secret.
  const [stored] = await server.tonet.db.query<{ secret_hash: string }>(sql`SELECT secret_hash FROM auth_client WHERE client_id = ${gateway.id}`);
  expect(stored.secret_hash).toMatch(/^scrypt\$/);
  expect(stored.secret_hash).not.toContain(gateway.secret);
});

test('only an administrator may list or change clients, answered with an OperationOutcome', async () => {
  const clinician = await newClient({ name: 'ward system', role: 'clinician', organization });
  const clinicianToken = await server.token(clinician.id, clinician.secret);
  for (const [method, path] of [['GET', '/admin/clients'], ['POST', `/admin/clients/${clinician.id}/deactivate`], ['POST', `/admin/clients/${clinician.id}/rotate`]]) {
    const refused = await admin(method, path, undefined, clinicianToken);
    expect(refused.status).toBe(403);
    expect(refused.body.resourceType).toBe('OperationOutcome');
  }
  const unknown = await admin('POST', '/admin/clients/no-such-client/deactivate');
  expect(unknown.status).toBe(404);
  expect(unknown.body.issue[0].diagnostics).toMatch(/no-such-client/);
  expect((await admin('POST', `/admin/clients/${clinician.id}/explode`)).status).toBe(404);
  const badRole = await admin('POST', '/admin/clients', { name: 'x', role: 'superuser' });
  expect(badRole.status).toBe(400);
  expect(badRole.body.issue[0].expression).toEqual(['role']);
});

test('a deactivated client cannot get a token, and the tokens it has stop working at once on REST, GraphQL, WebSocket and MLLP', async () => {
  const gateway = await newClient({ name: 'soon gone', role: 'gateway', organization });
  const token = await server.token(gateway.id, gateway.secret);
  expect(await fhirStatus(token)).toBe(200);
  expect(await graphqlStatus(token)).toBe(200);
  const openSocket = await connect(token);
  expect(await subscriptionOutcome(openSocket)).toBe('running');

  const deactivated = await admin('POST', `/admin/clients/${gateway.id}/deactivate`);
  expect(deactivated.status).toBe(200);
  expect(deactivated.body).toMatchObject({ client_id: gateway.id, active: false, deactivated: expect.any(String) });

  expect(await tokenStatus(gateway.id, gateway.secret)).toBe(401);
  expect(await fhirStatus(token)).toBe(401);
  expect(await graphqlStatus(token)).toBe(401);
  // The connection opened before cannot start anything new, and no new connection is accepted.
  expect(await subscriptionOutcome(openSocket)).toMatch(/^error: .*revoked/);
  await expect(connect(token)).rejects.toThrow(/closed/);
  const mllp = await MllpClient.connect(server.mllpPort);
  try {
    const ack = await mllp.send(Buffer.from(labResultMessage({ controlId: 'GONE1', patientId: 'P-1', orderNumber: 'O-1', code: '3D046000001920402', name: 'HbA1c', value: '6.1', unit: '%', range: '4.6-6.2', observedAt: '202501011000', token })));
    expect(ackCode(ack)).toBe('AR');
  } finally {
    mllp.close();
  }

  const again = await admin('POST', `/admin/clients/${gateway.id}/deactivate`);
  expect(again.status).toBe(409);
  expect(again.body.resourceType).toBe('OperationOutcome');
  const listed = await admin('GET', '/admin/clients');
  expect(listed.body.clients.find((c: any) => c.client_id === gateway.id).active).toBe(false);
});

test('rotation answers a new secret once; the old secret and the tokens it gave stop working', async () => {
  const clinician = await newClient({ name: 'rotating', role: 'clinician', organization });
  const oldToken = await server.token(clinician.id, clinician.secret);
  const rotated = await admin('POST', `/admin/clients/${clinician.id}/rotate`);
  expect(rotated.status).toBe(200);
  expect(rotated.body).toMatchObject({ client_id: clinician.id, active: true, secret_rotated: expect.any(String) });
  const newSecret = rotated.body.client_secret as string;
  expect(newSecret).not.toBe(clinician.secret);

  expect(await tokenStatus(clinician.id, clinician.secret)).toBe(401);
  expect(await fhirStatus(oldToken)).toBe(401);
  expect(await fhirStatus(await server.token(clinician.id, newSecret))).toBe(200);
  // The list never shows it again.
  expect(JSON.stringify((await admin('GET', '/admin/clients')).body)).not.toContain(newSecret);
});

test('the last active administrator cannot be deactivated', async () => {
  const refused = await admin('POST', `/admin/clients/${ADMIN_ID}/deactivate`);
  expect(refused.status).toBe(409);
  expect(refused.body.issue[0].diagnostics).toMatch(/last active administrator/);
  expect(await fhirStatus(server.adminToken)).toBe(200);
});

test('every change is in the audit trail with who made it', async () => {
  const researcher = await newClient({ name: 'audited', role: 'researcher' });
  await admin('POST', `/admin/clients/${researcher.id}/rotate`);
  await admin('POST', `/admin/clients/${researcher.id}/deactivate`);
  const rows = await server.tonet.db.query<{ client_id: string; action: string; event: string }>(
    sql`SELECT client_id, action, event FROM audit_event WHERE event LIKE ${`%client ${researcher.id}%`} ORDER BY seq`
  );
  expect(rows.map((r) => [r.client_id, r.action])).toEqual([
    [ADMIN_ID, 'account-change'],
    [ADMIN_ID, 'account-change'],
    [ADMIN_ID, 'account-change'],
  ]);
  expect(rows.map((r) => r.event).join('\n')).toMatch(new RegExp(`client ${researcher.id} \\(researcher\\) created[^]*client ${researcher.id}: rotate[^]*client ${researcher.id}: deactivate`));
});

async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 50) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

test('each process remembers whether a client stands, and forgets when any process changes the client', async () => {
  // A second store on the same database is what another server process holds.
  const other = new ClientStore(new AuthClients(server.tonet.db), new GuessAttempts(connectionTo(server.tonet.db), 'client-secret'));
  const stop = await other.listenForChanges((err) => {
    throw err;
  });
  try {
    const clinician = await newClient({ name: 'remembered', role: 'clinician', organization });
    expect(await other.stands(clinician.id, 0)).toBe(true);
    // Remembered: a change behind the server's back (no notification) is not seen…
    await server.tonet.db.query(sql`UPDATE auth_client SET active = false WHERE client_id = ${clinician.id}`);
    expect(await other.stands(clinician.id, 0)).toBe(true);
    // …until a notification names the client, as every change through the store sends.
    await server.tonet.db.query(sql`SELECT pg_notify('tonet_client', ${clinician.id})`);
    expect(await eventually(async () => !(await other.stands(clinician.id, 0)))).toBe(true);
    await server.tonet.db.query(sql`UPDATE auth_client SET active = true WHERE client_id = ${clinician.id}`);
    await server.tonet.db.query(sql`SELECT pg_notify('tonet_client', ${clinician.id})`);
    expect(await eventually(() => other.stands(clinician.id, 0))).toBe(true);

    const deactivated = await admin('POST', `/admin/clients/${clinician.id}/deactivate`);
    expect(deactivated.status).toBe(200);
    expect(await eventually(async () => !(await other.stands(clinician.id, 0)))).toBe(true);
    // The process that made the change forgot at once.
    expect(await server.tonet.clients.stands(clinician.id, 0)).toBe(false);
  } finally {
    await stop();
  }
});

test('a new client secret never starts with "-", which command lines would read as an option', () => {
  // One in 64 did before; 2,000 draws miss that with a chance of about 1e-14.
  const secrets = Array.from({ length: 2000 }, newSecret);
  expect(secrets.filter((s) => s.startsWith('-'))).toEqual([]);
  expect(secrets.every((s) => /^[A-Za-z0-9_-]{32}$/.test(s))).toBe(true);
});
