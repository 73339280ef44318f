/**
 * `tonet audit verify` as a child process of the compiled CLI (built by global-setup.ts), against the database a real server wrote:
 * OK with the count on an intact chain, the tampered seq and a non-zero exit status after an UPDATE by SQL.
 * The embedded database belongs to one process at a time, so on PGlite the server's handle is closed first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { openDatabase } from '../../src/store/db/open';
import { sql } from '../../src/core/sql';
import { startTestServer, TestServer } from '../support/server';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const dataDir = mkdtempSync(path.join(tmpdir(), 'tonet-audit-cli-'));
let server: TestServer;

beforeAll(async () => {
  expect(existsSync(CLI)).toBe(true);
  server = await startTestServer({ TONET_DATA_DIR: dataDir });
}, 180_000);

afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function verify() {
  const databaseUrl = server.tonet.config.databaseUrl;
  const env = { ...process.env, LOG_LEVEL: 'silent', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATABASE_URL: '', TONET_DATA_DIR: dataDir }) };
  return spawnSync(process.execPath, [CLI, 'audit', 'verify'], { cwd: ROOT, env, encoding: 'utf8' });
}

/** On PGlite the server must let go of the data directory before another process opens it. */
async function withDatabase<T>(fn: (db: { query: typeof server.tonet.db.query }) => Promise<T>): Promise<T> {
  if (server.tonet.config.databaseUrl) return fn(server.tonet.db);
  const db = await openDatabase({ dataDir });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

test('verify prints OK with the count, then finds an UPDATE made by SQL and exits non-zero', async () => {
  const agent = request(server.url);
  const auth = `Bearer ${server.adminToken}`;
  const patient = (await agent.post('/fhir/Patient').set('Authorization', auth).set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient' })).body;
  for (let i = 0; i < 5; i++) await agent.get(`/fhir/Patient/${patient.id}`).set('Authorization', auth).expect(200);
  if (!server.tonet.config.databaseUrl) await server.tonet.db.close();

  const intact = verify();
  expect(intact.stdout).toBe('OK: 6 audit events, hash chain intact\n');
  expect(intact.status).toBe(0);

  await withDatabase(async (db) => {
    await db.query(sql`ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change`);
    await db.query(sql`UPDATE audit_event SET client_id = 'someone-else' WHERE seq = 4`);
  });
  const tampered = verify();
  expect(tampered.stdout).toMatch(/^TAMPERED: audit event 4: content does not match its hash \(3 events before it intact\)\n$/);
  expect(tampered.status).toBe(3);
}, 60_000);
