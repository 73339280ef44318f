/**
 * The database going away under a running server. On any database: a database-unavailable error becomes 503
 * with Retry-After (never a 500), /readyz says why it is not ready, and the change feed reopens a lost LISTEN.
 * On PostgreSQL (DATABASE_URL), for real: through a proxy the test cuts (a restart as the server sees it) and
 * by terminating backends, the pool and LISTEN reconnect by themselves and a subscription opened before the
 * outage hears the next change. The embedded database lives in the process and cannot go away.
 */
import type { FastifyInstance } from 'fastify';
import { createClient, Client as WsClient } from 'graphql-ws';
import { Client as PgClient } from 'pg';
import WebSocket from 'ws';
import type { AuditTrail } from '../../src/audit/types';
import type { TokenService } from '../../src/auth/tokens';
import type { Database, Db } from '../../src/store/db/database';
import { migrationVersions } from '../../src/store/db/migrate';
import { pendingMigrations } from '../../src/store/schema-status';
import { createHttpApp } from '../../src/transports/http/app';
import { registerHealthRoutes } from '../../src/transports/http/health';
import { createLogger } from '../../src/core/logger';
import { ChangeFeed } from '../../src/notify/changes';
import { ChangeChannel, ChangeEvent } from '../../src/store/changes';
import { startTestServer, TestServer } from '../support/server';
import { startTcpProxy, TcpProxy } from '../support/tcp-proxy';

function app(): FastifyInstance {
  return createHttpApp({ logger: createLogger('silent'), bodyLimit: 1024, trustProxy: false, tokens: {} as TokenService, audit: { append: async () => undefined } as unknown as AuditTrail });
}

const pgError = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

test.each([
  [pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), /cannot be reached \(ECONNREFUSED\)/],
  [pgError('57P01', 'terminating connection due to administrator command'), /SQLSTATE 57P01/],
  [pgError('25006', 'cannot execute INSERT in a read-only transaction'), /read-only/],
  [pgError('53100', 'could not extend file: No space left on device'), /out of disk space/],
  [new Error('Connection terminated unexpectedly'), /connection to the database was lost/],
])('%s answers 503 with Retry-After and an OperationOutcome', async (failure, reason) => {
  const http = app();
  http.get('/fails', async () => {
    throw failure;
  });
  const res = await http.inject({ method: 'GET', url: '/fails' });
  expect(res.statusCode).toBe(503);
  expect(res.headers['retry-after']).toBe('5');
  const body = res.json();
  expect(body.issue[0]).toMatchObject({ severity: 'error', code: 'transient' });
  expect(body.issue[0].diagnostics).toMatch(reason);
});

test('any other failure is still a 500, saying nothing of itself', async () => {
  const http = app();
  http.get('/fails', async () => {
    throw pgError('42P01', 'relation "secret_table" does not exist');
  });
  const res = await http.inject({ method: 'GET', url: '/fails' });
  expect(res.statusCode).toBe(500);
  expect(res.body).not.toMatch(/secret_table/);
});

describe('/readyz and /healthz', () => {
  const shipped = migrationVersions();
  const probe = async (query: Db['query']) => {
    const http = app();
    registerHealthRoutes(http, () => pendingMigrations({ query, transaction: async () => undefined as never, afterCommit: (fn) => fn() }));
    return { ready: await http.inject({ method: 'GET', url: '/readyz' }), live: await http.inject({ method: 'GET', url: '/healthz' }) };
  };
  const applied = (versions: number[]) => (async (statement: { toQuery(): { text: string } }) =>
    statement.toQuery().text.includes('to_regclass') ? [{ recorded: true }] : versions.map((v) => ({ version: String(v) }))) as unknown as Db['query'];

  test('ready when the database answers and holds every shipped migration', async () => {
    const { ready, live } = await probe(applied(shipped));
    expect(ready.statusCode).toBe(200);
    expect(live.statusCode).toBe(200);
  });

  test('not ready, naming the migration, when one is not applied; alive all the same', async () => {
    const { ready, live } = await probe(applied(shipped.slice(0, -1)));
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['retry-after']).toBe('5');
    expect(ready.json().issue[0].diagnostics).toMatch(new RegExp(`migrations not applied: ${shipped[shipped.length - 1]}`));
    expect(live.statusCode).toBe(200);
  });

  test('not ready when the database cannot be reached', async () => {
    const { ready } = await probe((async () => {
      throw pgError('ECONNREFUSED');
    }) as Db['query']);
    expect(ready.statusCode).toBe(503);
    expect(ready.json().issue[0].diagnostics).toMatch(/cannot be reached/);
  });
});

test('the change feed reopens a lost LISTEN, retrying while the database refuses, and delivers again', async () => {
  const opened: { deliver: (payload: string) => void; lose: (err: Error) => void }[] = [];
  let attempts = 0;
  const db = {
    async listen(_channel: string, onPayload: (payload: string | undefined) => void, onError: (err: Error) => void) {
      attempts++;
      // The database refuses the first two attempts to reconnect.
      if (attempts === 2 || attempts === 3) throw pgError('ECONNREFUSED');
      opened.push({ deliver: onPayload, lose: onError });
      return async () => undefined;
    },
  } as unknown as Database;
  const feed = new ChangeFeed(createLogger('silent'), { firstMs: 5, maxMs: 20 });
  await feed.start(new ChangeChannel(db));
  const events = feed.events();
  const change = (id: string) => JSON.stringify({ resourceType: 'Observation', id, versionId: '1', deleted: false } satisfies ChangeEvent);

  opened[0].deliver(change('before'));
  expect((await events.next()).value.id).toBe('before');
  const reconnected = new Promise((resolve) => feed.once('reconnected', resolve));
  // A connection reports its loss twice ('error', then 'end'): it is reopened once.
  opened[0].lose(new Error('Connection terminated unexpectedly'));
  opened[0].lose(new Error('LISTEN connection ended'));
  await reconnected;
  expect(opened).toHaveLength(2);
  expect(attempts).toBe(4);
  opened[1].deliver(change('after'));
  expect((await events.next()).value.id).toBe('after');
  await events.return?.();
  await feed.stop();
});

if (process.env.DATABASE_URL) describe('PostgreSQL restarts and dropped connections', () => {
  let server: TestServer;
  let proxy: TcpProxy;
  let databaseUrl: string;
  let subscriber: WsClient;
  let patientId: string;
  const events: any[] = [];

  beforeAll(async () => {
    const target = new URL(process.env.DATABASE_URL as string);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    server = await startTestServer({}, {
      reach: (url) => {
        databaseUrl = url;
        const viaProxy = new URL(url);
        viaProxy.hostname = '127.0.0.1';
        viaProxy.port = String(proxy.port);
        return viaProxy.toString();
      },
    });
    patientId = (await fhir('POST', 'Patient', { resourceType: 'Patient', name: [{ family: '再接続' }] })).body.id;
    subscriber = createClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${server.adminToken}` }, lazy: false });
    await new Promise<void>((resolve) => subscriber.on('connected', () => resolve()));
    subscriber.subscribe({ query: `subscription { resourceChanged(patientId: "${patientId}") }` }, { next: (value) => events.push(value), error: (err) => events.push({ error: err }), complete: () => undefined });
    // The subscription is live once it hears a change.
    await untilHeardAfterWriting(6.0, 'the subscription to start');
  });
  afterAll(async () => {
    await subscriber?.dispose();
    await proxy?.up().catch(() => undefined);
    await server?.close();
    await proxy?.close();
  });

  async function fhir(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }> {
    const res = await fetch(`${server.fhirUrl}/${path}`, { method, headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/fhir+json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, headers: res.headers, body: await res.json() };
  }

  async function observe(value: number): Promise<string> {
    const created = await fhir('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'HbA1c' }, subject: { reference: `Patient/${patientId}` }, valueQuantity: { value, unit: '%' } });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
    for (let i = 0; i < 300; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}: ${JSON.stringify(events).slice(0, 500)}`);
  }

  const heard = (id: string) => events.some((e) => e.data?.resourceChanged?.id === id);

  /**
   * Writes Observations until the subscription has heard one of them. NOTIFY is sent after the commit, so a
   * change reaches the subscriber a moment after its write is answered: each check looks at every write so far.
   */
  async function untilHeardAfterWriting(value: number, what: string): Promise<void> {
    const written: string[] = [];
    await until(async () => {
      if (written.some(heard)) return true;
      written.push(await observe(value));
      return false;
    }, what);
  }

  test('while the database is away: 503 with Retry-After and an OperationOutcome, /readyz 503, /healthz 200', async () => {
    await proxy.down();
    const read = await fhir('GET', `Patient/${patientId}`);
    expect(read.status).toBe(503);
    expect(read.headers.get('retry-after')).toBe('5');
    expect(read.body.resourceType).toBe('OperationOutcome');
    expect(read.body.issue[0].code).toBe('transient');
    const write = await fhir('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' } });
    expect(write.status).toBe(503);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('5');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  test('after the database is back, without a restart: requests succeed, /readyz is 200, the subscription hears the next change', async () => {
    await proxy.up();
    await until(async () => (await fetch(`${server.url}/readyz`)).status === 200, '/readyz');
    expect((await fhir('GET', `Patient/${patientId}`)).status).toBe(200);
    // LISTEN comes back on its own schedule; a change committed before it does is not replayed.
    await untilHeardAfterWriting(6.5, 'a change heard after the outage');
  });

  test('terminating the listener backend (pg_terminate_backend): the subscription still gets the next change', async () => {
    const admin = new PgClient({ connectionString: databaseUrl });
    await admin.connect();
    try {
      const listeners = async () => (await admin.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()`)).rows.map((r) => r.pid as number);
      const [listener] = await listeners();
      expect(listener).toBeDefined();
      await admin.query('SELECT pg_terminate_backend($1)', [listener]);
      await until(async () => (await listeners()).some((pid) => pid !== listener), 'a new LISTEN backend');
      const id = await observe(7.1);
      await until(() => heard(id), 'the change after reconnecting');
    } finally {
      await admin.end();
    }
  });

  test('terminating every pooled backend does not crash the process; the next requests are served', async () => {
    const admin = new PgClient({ connectionString: databaseUrl });
    await admin.connect();
    try {
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
    } finally {
      await admin.end();
    }
    const statuses: number[] = [];
    await until(async () => {
      statuses.push((await fhir('GET', `Patient/${patientId}`)).status);
      return statuses[statuses.length - 1] === 200;
    }, 'a served request');
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    await untilHeardAfterWriting(7.3, 'a change heard after the pool and LISTEN reconnected');
  });
});
