/**
 * Enhanced acknowledgment mode (HL7 v2.5 §2.9.3, MSH-15/MSH-16; issue 11): a message whose MSH-15 names an
 * accept acknowledgment type is kept in the inbox and answered with a commit ACK (CA, or CR when refused)
 * before it is mapped; the mapping runs later, from the inbox, in order per patient. Over the real MLLP
 * socket and POST /hl7/v2.
 */
import fs from 'node:fs';
import { fixturePath } from '../fixtures';
import { startTestServer, TestServer } from '../support/server';
import { labResultMessage } from '../support/hl7-messages';
import { ackCode, createFacility, MllpClient, withToken } from './support';

const GOLDEN = `${__dirname}/../mapping/hl7v2/golden`;
const STORAGE = fixturePath('ssmix2-nho', 'sampleData', '999', '901', '9999013');
const ADT00 = `${STORAGE}/-/ADT-00/9999013_-_ADT-00_999999999999999_20111220224447339_-_1`;
const IDENTIFIER_SYSTEM = 'urn:oid:1.2.392.100495.20.3.51.11312345670';

let server: TestServer;
let gatewayToken: string;

beforeAll(async () => {
  server = await startTestServer();
  gatewayToken = await server.clientToken({ role: 'gateway', organization: await createFacility(server) });
});
afterAll(async () => server?.close());

/** Sets MSH-15 (accept acknowledgment type) and MSH-16 (application acknowledgment type). */
function withAckTypes(message: Buffer | string, accept: string, application = ''): Buffer {
  const text = Buffer.isBuffer(message) ? message.toString('utf8') : message;
  const end = text.indexOf('\r');
  const fields = text.slice(0, end).split('|');
  while (fields.length < 16) fields.push('');
  fields[14] = accept;
  fields[15] = application;
  return Buffer.from(fields.join('|') + text.slice(end), 'utf8');
}

function lab(controlId: string, patientId: string, accept: string, token = gatewayToken): Buffer {
  return withAckTypes(labResultMessage({ controlId, patientId, orderNumber: `O-${controlId}`, code: '3D046000001920402', name: 'HbA1c', value: '6.1', unit: '%', range: '4.6-6.2', observedAt: '202502011000', token }), accept);
}

/** A golden ADT message for another patient number and control id, in enhanced mode. */
function adt(file: string, patientId: string, controlId: string): Buffer {
  const text = fs.readFileSync(`${GOLDEN}/${file}.hl7`, 'utf8').replace(/\n/g, '\r').replace('|20111220000001|', `|${controlId}|`).replace('PID|0001||9999013|', `PID|0001||${patientId}|`);
  return withToken(withAckTypes(text, 'AL'), gatewayToken);
}

function msa(ack: string): string[] {
  return ack.split('\r').find((l) => l.startsWith('MSA'))?.split('|') ?? [];
}

async function fhir(path: string) {
  const res = await fetch(`${server.fhirUrl}/${path}`, { headers: { authorization: `Bearer ${server.adminToken}` } });
  return res.json() as Promise<any>;
}

async function inbox(status: string): Promise<any[]> {
  const res = await fetch(`${server.url}/admin/inbox?status=${status}&_count=1000`, { headers: { authorization: `Bearer ${server.adminToken}` } });
  return ((await res.json()) as { items: any[] }).items;
}

/** Polls until `found` answers something, for work the inbox's worker does after the ACK. */
async function eventually<T>(found: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const value = await found();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}`);
}

const patientOf = (facilityPatientId: string) =>
  eventually(async () => (await fhir(`Patient?identifier=${IDENTIFIER_SYSTEM}|${facilityPatientId}`)).entry?.[0]?.resource, `Patient ${facilityPatientId}`);

test('MSH-15 AL over MLLP: CA for the kept message, its resources after it, processed in the inbox', async () => {
  const mllp = await MllpClient.connect(server.mllpPort);
  const ack = await mllp.send(withToken(withAckTypes(fs.readFileSync(ADT00), 'AL', 'NE'), gatewayToken));
  mllp.close();
  expect(msa(ack).slice(1, 3)).toEqual(['CA', '20111220000001']);
  const patient = await patientOf('9999013');
  expect(patient.name.map((n: any) => n.family)).toContain('患者');
  const kept = await eventually(async () => (await inbox('processed')).find((item) => item.messageControlId === '20111220000001'), 'processed inbox row');
  expect(kept.transport).toBe('mllp');
  expect((await fhir(`Provenance?target=Patient/${patient.id}`)).entry).toHaveLength(1);
});

test('CA comes before mapping: a message Tonet cannot map is accepted, then kept rejected with its reasons', async () => {
  const unsupported = Buffer.from(lab('ENH-ZZZ', 'ENH-Z', 'AL').toString('utf8').replace('OUL^R22^OUL_R22', 'ZZZ^Z01^ZZZ_Z01'), 'utf8');
  const mllp = await MllpClient.connect(server.mllpPort);
  const ack = await mllp.send(unsupported);
  mllp.close();
  expect(ackCode(ack)).toBe('CA');
  const rejected = await eventually(async () => (await inbox('rejected')).find((item) => item.messageControlId === 'ENH-ZZZ'), 'rejected inbox row');
  expect(rejected.error.some((issue: any) => issue.severity === 'error' && issue.code === '200')).toBe(true);
});

test('a message that fails to store after its CA ends rejected with the reason', async () => {
  for (let copy = 0; copy < 2; copy++) {
    const res = await fetch(`${server.fhirUrl}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gatewayToken}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', identifier: [{ system: IDENTIFIER_SYSTEM, value: 'ENH-TWICE' }] }),
    });
    expect(res.status).toBe(201);
  }
  const mllp = await MllpClient.connect(server.mllpPort);
  expect(ackCode(await mllp.send(lab('ENH-TWICE1', 'ENH-TWICE', 'AL')))).toBe('CA');
  mllp.close();
  const rejected = await eventually(async () => (await inbox('rejected')).find((item) => item.messageControlId === 'ENH-TWICE1'), 'rejected inbox row');
  expect(rejected.error.some((issue: any) => issue.severity === 'error')).toBe(true);
});

test('an admission and a discharge of one patient sent back to back end in the discharge, for each of several patients', async () => {
  const patients = ['ENH-A', 'ENH-B', 'ENH-C', 'ENH-D'];
  const messages = patients.flatMap((id) => [adt('ADT-22', id, `${id}-A01`), adt('ADT-52', id, `${id}-A03`)]);
  const mllp = await MllpClient.connect(server.mllpPort);
  const acks = await mllp.sendAll(messages);
  mllp.close();
  expect(acks.map(ackCode)).toEqual(Array(messages.length).fill('CA'));
  for (const id of patients) {
    await eventually(async () => ((await inbox('processed')).some((item) => item.messageControlId === `${id}-A03`) ? true : undefined), `${id}-A03 processed`);
    // Both write the patient's open stay: the admission (ADT-22, A01) as arrived, the discharge (ADT-52, A03) as finished.
    const stays = await fhir(`Encounter?subject=Patient/${(await patientOf(id)).id}`);
    expect(stays.entry.map((e: any) => e.resource.status)).toEqual(['finished']);
  }
});

test('NE: no accept ACK on MLLP, so the next message on the connection is the first answered; both are mapped', async () => {
  const mllp = await MllpClient.connect(server.mllpPort);
  const acks = await mllp.sendExpecting([lab('ENH-NE', 'ENH-N1', 'NE'), lab('ENH-AL', 'ENH-N2', 'AL')], 1);
  mllp.close();
  expect(msa(acks[0]).slice(1, 3)).toEqual(['CA', 'ENH-AL']);
  await patientOf('ENH-N1');
  await patientOf('ENH-N2');
});

test('ER answers only what is refused (CR, kept rejected), SU only what is accepted (CA)', async () => {
  const mllp = await MllpClient.connect(server.mllpPort);
  const messages = [lab('ENH-ER-OK', 'ENH-E1', 'ER'), lab('ENH-ER-BAD', 'ENH-E2', 'ER', ''), lab('ENH-SU-BAD', 'ENH-E3', 'SU', ''), lab('ENH-SU-OK', 'ENH-E4', 'SU'), lab('ENH-END', 'ENH-E5', 'AL')];
  const acks = await mllp.sendExpecting(messages, 3);
  mllp.close();
  expect(acks.map((ack) => msa(ack).slice(1, 3))).toEqual([['CR', 'ENH-ER-BAD'], ['CA', 'ENH-SU-OK'], ['CA', 'ENH-END']]);
  expect(acks[0]).toMatch(/ERR\|\|MSH\^1\^8\|207/);
  const rejected = await inbox('rejected');
  expect(rejected.filter((item) => item.messageControlId?.endsWith('-BAD')).map((item) => item.messageControlId).sort()).toEqual(['ENH-ER-BAD', 'ENH-SU-BAD']);
  await patientOf('ENH-E1');
});

test('POST /hl7/v2 with AL answers CA and maps after; with NE it answers 204 with the code in X-Ack-Code', async () => {
  const post = (body: Buffer) => fetch(`${server.url}/hl7/v2`, { method: 'POST', headers: { authorization: `Bearer ${gatewayToken}`, 'content-type': 'x-application/hl7-v2+er7' }, body });
  const accepted = await post(lab('ENH-HTTP1', 'ENH-H1', 'AL', ''));
  expect(accepted.status).toBe(200);
  expect(accepted.headers.get('x-ack-code')).toBe('CA');
  expect(msa(await accepted.text()).slice(1, 3)).toEqual(['CA', 'ENH-HTTP1']);
  const silent = await post(lab('ENH-HTTP2', 'ENH-H2', 'NE', ''));
  expect(silent.status).toBe(204);
  expect(silent.headers.get('x-ack-code')).toBe('CA');
  expect(silent.headers.get('x-inbox-id')).toMatch(/^\d+$/);
  await patientOf('ENH-H1');
  await patientOf('ENH-H2');
});

test('a message sent again after its CA is answered CA as a duplicate and mapped once', async () => {
  const mllp = await MllpClient.connect(server.mllpPort);
  const message = lab('ENH-DUP', 'ENH-DUP', 'AL');
  expect(ackCode(await mllp.send(message))).toBe('CA');
  expect(await mllp.send(message)).toMatch(/MSA\|CA\|ENH-DUP\|Duplicate/);
  mllp.close();
  const patient = await patientOf('ENH-DUP');
  await eventually(async () => ((await inbox('processed')).some((item) => item.messageControlId === 'ENH-DUP') ? true : undefined), 'ENH-DUP processed');
  expect((await fhir(`Observation?subject=Patient/${patient.id}`)).entry).toHaveLength(1);
});

test('an SS-MIX2 file sent with condition flag 0 in enhanced mode deletes what the message wrote, after its CA', async () => {
  const post = (body: Buffer, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/hl7/v2`, { method: 'POST', headers: { authorization: `Bearer ${gatewayToken}`, 'content-type': 'x-application/hl7-v2+er7', ...headers }, body });
  // One order's result, sent twice: the second time its file says the data was deleted.
  const result = (controlId: string) =>
    withAckTypes(labResultMessage({ controlId, patientId: 'ENH-DEL', orderNumber: 'O-ENH-DEL', code: '3D046000001920402', name: 'HbA1c', value: '6.1', unit: '%', range: '4.6-6.2', observedAt: '202502011000' }), 'AL');
  expect((await post(result('ENH-DEL1'))).headers.get('x-ack-code')).toBe('CA');
  const patient = await patientOf('ENH-DEL');
  await eventually(async () => (await fhir(`Observation?subject=Patient/${patient.id}`)).entry?.[0], 'the Observation');
  expect((await post(result('ENH-DEL2'), { 'x-ssmix2-condition': '0' })).headers.get('x-ack-code')).toBe('CA');
  await eventually(async () => ((await fhir(`Observation?subject=Patient/${patient.id}`)).entry?.length ? undefined : true), 'the Observation deleted');
});
