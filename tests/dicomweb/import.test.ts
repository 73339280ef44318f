/** `tonet import dicom` against a real server: bounded requests, progress, a summary with reasons, safe re-runs. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { importDicom } from '../../src/cli/import-dicom';
import { createFacility } from '../ingest/support';
import { startTestServer, TestServer } from '../support/server';
import { CT, CT_FILES, ENHANCED_CT, ENHANCED_CT_FILE, fhir, JAPANESE_FILE, studySearch } from './support';

let server: TestServer;
let credentials: { clientId: string; clientSecret: string };
let batchDir: string;

beforeAll(async () => {
  server = await startTestServer();
  const organization = await createFacility(server);
  const res = await fetch(`${server.url}/admin/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
    body: JSON.stringify({ name: 'PACS gateway', role: 'gateway', organization }),
  });
  const created = (await res.json()) as { client_id: string; client_secret: string };
  credentials = { clientId: created.client_id, clientSecret: created.client_secret };

  batchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonet-dicom-batch-'));
  fs.mkdirSync(path.join(batchDir, 'CT', 'series1'), { recursive: true });
  CT_FILES.forEach((file, i) => fs.copyFileSync(file, path.join(batchDir, 'CT', 'series1', `${i}-${path.basename(file)}`)));
  fs.copyFileSync(ENHANCED_CT_FILE, path.join(batchDir, 'CT', 'enhanced.dcm'));
  fs.copyFileSync(JAPANESE_FILE, path.join(batchDir, 'chrH31.dcm'));
  fs.writeFileSync(path.join(batchDir, 'README.txt'), 'nightly batch of 2024-08-26\n');
});
afterAll(async () => {
  await server?.close();
  if (batchDir) fs.rmSync(batchDir, { recursive: true, force: true });
});

function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk) => (text += chunk.toString()));
  return { stream: Object.assign(stream, { isTTY: false }) as unknown as NodeJS.WriteStream, text: () => text };
}

async function versions(): Promise<string[]> {
  const studies = await Promise.all([CT.study, ENHANCED_CT.study].map((uid) => fhir(server, studySearch(uid))));
  return studies.map((bundle) => `${bundle.entry.length}:${bundle.entry[0].resource.meta.versionId}`);
}

test('imports a folder in bounded requests, reports the file that is not DICOM, and re-runs change nothing', async () => {
  const statePath = path.join(batchDir, '..', `${path.basename(batchDir)}.state.json`);
  const progress = capture();
  // Each CT copy is about 530 kB, so this bound sends them one request at a time.
  const first = await importDicom({ root: batchDir, server: server.url, ...credentials, statePath, maxRequestBytes: 600_000, progressStream: progress.stream });
  expect(first.stored).toBe(6);
  expect(first.skipped).toBe(0);
  expect(first.failed).toEqual([{ file: 'README.txt', reason: expect.stringMatching(/^not a DICOM Part 10 file/) }]);
  expect(progress.text()).toMatch(/^dicom \[#+\] 7\/7 \([\d.]+\/s\) stored 6, failed 1, skipped 0$/m);
  expect(await versions()).toEqual(['1:1', '1:1']);
  const study = (await fhir(server, studySearch(CT.study))).entry[0].resource;
  expect(study.numberOfInstances).toBe(1);

  const resumed = await importDicom({ root: batchDir, server: server.url, ...credentials, statePath, progressStream: capture().stream });
  expect(resumed).toEqual({ stored: 0, skipped: 6, failed: first.failed });

  const withoutState = await importDicom({ root: batchDir, server: server.url, ...credentials, statePath: `${statePath}.fresh`, progressStream: capture().stream });
  expect(withoutState.stored).toBe(6);
  expect(await versions()).toEqual(['1:1', '1:1']);
  fs.rmSync(statePath, { force: true });
  fs.rmSync(`${statePath}.fresh`, { force: true });
});

test('a request the server refuses as a whole fails each of its files with the server’s answer; bad credentials stop the run', async () => {
  const res = await fetch(`${server.url}/admin/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
    body: JSON.stringify({ name: 'Viewer', role: 'clinician', organization: await createFacility(server, '1398765432', 'Clinic') }),
  });
  const clinician = (await res.json()) as { client_id: string; client_secret: string };
  const statePath = path.join(os.tmpdir(), `tonet-refused-${process.pid}.json`);
  const summary = await importDicom({ root: path.join(batchDir, 'CT'), server: server.url, clientId: clinician.client_id, clientSecret: clinician.client_secret, statePath, progressStream: capture().stream });
  expect(summary.stored).toBe(0);
  expect(summary.failed).toHaveLength(5);
  for (const failure of summary.failed) expect(failure.reason).toMatch(/^server answered 403: .*may not store images/);
  expect(fs.existsSync(statePath) ? JSON.parse(fs.readFileSync(statePath, 'utf8')) : {}).toEqual({});
  fs.rmSync(statePath, { force: true });

  await expect(importDicom({ root: batchDir, server: server.url, clientId: credentials.clientId, clientSecret: 'wrong', statePath, progressStream: capture().stream })).rejects.toThrow(/token request .* failed: 401/);
});
