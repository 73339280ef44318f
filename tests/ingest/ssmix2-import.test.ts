import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importSsmix2 } from '../../src/cli/import-ssmix2';
import { fixturePath } from '../fixtures';
import { startTestServer, TestServer } from '../support/server';
import { createFacility } from './support';

const ROOT = fixturePath('ssmix2-nho', 'sampleData');

let server: TestServer;
let gateway: { client_id: string; client_secret: string };
let stateDir: string;

beforeAll(async () => {
  server = await startTestServer();
  const organization = await createFacility(server);
  const res = await fetch(`${server.url}/admin/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Toro hospital gateway', role: 'gateway', organization }),
  });
  gateway = (await res.json()) as typeof gateway;
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonet-import-'));
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

const run = (statePath: string) =>
  importSsmix2({ root: ROOT, server: server.url, clientId: gateway.client_id, clientSecret: gateway.client_secret, statePath });

async function count(query: string): Promise<number> {
  const res = await fetch(`${server.fhirUrl}/${query}${query.includes('?') ? '&' : '?'}_summary=count`, { headers: { authorization: `Bearer ${server.adminToken}` } });
  return ((await res.json()) as { total: number }).total;
}

test('the NHO storage imports; the broken files are rejected with reasons; a re-run changes nothing', async () => {
  const first = await run(path.join(stateDir, 'state.json'));
  const rejectedFiles = first.rejected.map((r) => r.file);
  // Every deliberately broken input lives under 000/000/0000001; every real sample is accepted.
  expect(rejectedFiles.every((f) => f.startsWith('000/000/0000001/'))).toBe(true);
  expect(first.accepted).toBe(fs.readdirSync(path.join(ROOT, '999', '901', '9999013'), { recursive: true }).filter((f) => /_1$/.test(String(f))).length);
  const wrongFolder = first.rejected.find((r) => r.file.includes('/ADT-31/'));
  expect(wrongFolder?.reason).toMatch(/layout: .*differs from its folder/);
  for (const r of first.rejected) expect(r.reason.length).toBeGreaterThan(5);

  const resources = ['Patient', 'Condition', 'MedicationRequest', 'AllergyIntolerance', 'Observation', 'ImagingStudy', 'Encounter'];
  const before = await Promise.all(resources.map((t) => count(t)));
  expect(before.every((n) => n > 0)).toBe(true);
  // Admission, transfer and discharge of 9999013 (no visit number; admission time in A01 only) are one stay.
  // The other Encounters are the visits the orders and results name (PV1), created where no ADT message wrote one.
  const encounters = (await fetch(`${server.fhirUrl}/Encounter?_count=100`, { headers: { authorization: `Bearer ${server.adminToken}` } }).then((r) => r.json())) as { entry: { resource: { status: string; identifier: { value: string }[] } }[] };
  const stays = encounters.entry.filter((e) => e.resource.status !== 'unknown');
  expect(stays.map((e) => [e.resource.status, e.resource.identifier[0].value])).toEqual([['finished', '9999013:stay:201112201200']]);
  expect(encounters.entry.filter((e) => e.resource.status === 'unknown').map((e) => e.resource.identifier[0].value)).toContain('0001000052:day:20111219');
  const historyOf = () => fetch(`${server.fhirUrl}/_history?_count=1000`, { headers: { authorization: `Bearer ${server.adminToken}` } }).then((r) => r.json() as Promise<any>);
  const historyBefore = (await historyOf()).entry.length;

  // Without the state file, every file is sent again: the server answers as before and stores nothing new.
  const second = await run(path.join(stateDir, 'fresh-state.json'));
  expect(second.accepted).toBe(first.accepted);
  expect(await Promise.all(resources.map((t) => count(t)))).toEqual(before);
  // No new version of anything: the whole system history is as long as before.
  expect((await historyOf()).entry.length).toBe(historyBefore);

  // With the state file, nothing is even sent.
  const resumed = await run(path.join(stateDir, 'state.json'));
  expect(resumed.accepted).toBe(0);
  expect(resumed.skipped).toBe(first.accepted);
});
