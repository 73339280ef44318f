import fs from 'node:fs';
import { fixturePath } from '../fixtures';
import { startTestServer, TestServer } from '../support/server';
import { labResultMessage } from '../support/hl7-messages';
import { ackCode, createFacility, MllpClient, withToken } from './support';

const STORAGE = fixturePath('ssmix2-nho', 'sampleData', '999', '901', '9999013');
const ADT00 = `${STORAGE}/-/ADT-00/9999013_-_ADT-00_999999999999999_20111220224447339_-_1`;

let server: TestServer;
let gatewayToken: string;
let mllp: MllpClient;

beforeAll(async () => {
  server = await startTestServer();
  const organization = await createFacility(server);
  gatewayToken = await server.clientToken({ role: 'gateway', organization });
  mllp = await MllpClient.connect(server.mllpPort);
});
afterAll(async () => {
  mllp?.close();
  await server?.close();
});

async function fhir(path: string) {
  const res = await fetch(`${server.fhirUrl}/${path}`, { headers: { authorization: `Bearer ${server.adminToken}` } });
  return res.json() as Promise<any>;
}

test('a message without a token in MSH-8 is refused with AR and kept', async () => {
  const ack = await mllp.send(fs.readFileSync(ADT00));
  expect(ackCode(ack)).toBe('AR');
  expect(ack).toMatch(/ERR\|\|MSH\^1\^8\|207/);
  const inbox = await fetch(`${server.url}/admin/inbox?status=rejected`, { headers: { authorization: `Bearer ${server.adminToken}` } }).then((r) => r.json() as Promise<any>);
  expect(inbox.items[0].messageType).toBe('ADT^A08^ADT_A01');
});

test('ADT-00 over MLLP becomes a Patient with kanji and kana names, once', async () => {
  const message = withToken(fs.readFileSync(ADT00), gatewayToken);
  const ack = await mllp.send(message);
  expect(ackCode(ack)).toBe('AA');
  const again = await mllp.send(message);
  expect(ackCode(again)).toBe('AA');
  const patients = await fhir('Patient?identifier=urn:oid:1.2.392.100495.20.3.51.11312345670|9999013');
  expect(patients.total).toBe(1);
  const patient = patients.entry[0].resource;
  const names = patient.name.map((n: any) => `${n.family} ${n.given?.join(' ')}`);
  expect(names).toContain('患者 太郎');
  expect(names).toContain('カンジャ タロウ');
  expect(patient.meta.versionId).toBe('1');
  const provenance = await fhir(`Provenance?target=Patient/${patient.id}`);
  expect(provenance.total).toBe(1);
});

test('messages a sender pipelines are stored in order, each answered after its commit in the order sent, a refusal and a duplicate among them', async () => {
  const lab = (i: number, token = gatewayToken) =>
    Buffer.from(labResultMessage({ controlId: `PIPE${i}`, patientId: 'PIPE-1', orderNumber: `PIPE-O${i}`, code: '3D046000001920402', name: 'HbA1c', value: `6.${i}`, unit: '%', range: '4.6-6.2', observedAt: `20250102${10 + i}00`, token }), 'utf8');
  const connection = await MllpClient.connect(server.mllpPort);
  const acks = await connection.sendAll([lab(1), lab(2), lab(3, ''), lab(4), lab(1), lab(5)]);
  connection.close();
  // MSA-2 echoes each message's control id: the answers come in the order the messages were sent.
  expect(acks.map((ack) => ack.split('\r').find((l) => l.startsWith('MSA'))?.split('|')[2])).toEqual(['PIPE1', 'PIPE2', 'PIPE3', 'PIPE4', 'PIPE1', 'PIPE5']);
  expect(acks.map(ackCode)).toEqual(['AA', 'AA', 'AR', 'AA', 'AA', 'AA']);
  expect(acks[2]).toMatch(/ERR\|\|MSH\^1\^8\|207/);
  expect(acks[4]).toMatch(/Duplicate of an accepted message/);
  const patients = await fhir('Patient?identifier=urn:oid:1.2.392.100495.20.3.51.11312345670|PIPE-1');
  expect(patients.total).toBe(1);
  const observations = await fhir(`Observation?subject=Patient/${patients.entry[0].resource.id}&_count=50`);
  expect(observations.entry.map((e: any) => e.resource.valueQuantity.value).sort()).toEqual([6.1, 6.2, 6.4, 6.5]);
  const inbox = await fetch(`${server.url}/admin/inbox?status=processed&_count=1000`, { headers: { authorization: `Bearer ${server.adminToken}` } }).then((r) => r.json() as Promise<any>);
  const kept = inbox.items.filter((item: any) => item.messageControlId?.startsWith('PIPE')).reverse();
  expect(kept.map((item: any) => item.messageControlId)).toEqual(['PIPE1', 'PIPE2', 'PIPE4', 'PIPE5']);
  // Arrived in one write, so stored in one transaction: received_at is its start time, the same for all four.
  expect(new Set(kept.map((item: any) => item.receivedAt)).size).toBe(1);
});

test('a pipelined message that fails to store is answered AE alone; its neighbours are stored and answered AA', async () => {
  // Two Patients with the number the message names: its conditional write of the Patient matches both and fails.
  for (let copy = 0; copy < 2; copy++) {
    const res = await fetch(`${server.fhirUrl}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gatewayToken}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.392.100495.20.3.51.11312345670', value: 'TWICE-1' }] }),
    });
    expect(res.status).toBe(201);
  }
  const lab = (i: number, patientId: string) =>
    Buffer.from(labResultMessage({ controlId: `FALL${i}`, patientId, orderNumber: `FALL-O${i}`, code: '3D046000001920402', name: 'HbA1c', value: `5.${i}`, unit: '%', range: '4.6-6.2', observedAt: '202501031000', token: gatewayToken }), 'utf8');
  const connection = await MllpClient.connect(server.mllpPort);
  const acks = await connection.sendAll([lab(1, 'FALL-1'), lab(2, 'TWICE-1'), lab(3, 'FALL-1')]);
  connection.close();
  expect(acks.map(ackCode)).toEqual(['AA', 'AE', 'AA']);
  const rejected = await fetch(`${server.url}/admin/inbox?status=rejected`, { headers: { authorization: `Bearer ${server.adminToken}` } }).then((r) => r.json() as Promise<any>);
  expect(rejected.items.find((item: any) => item.messageControlId === 'FALL2')?.error.some((issue: any) => issue.severity === 'error')).toBe(true);
  const patients = await fhir('Patient?identifier=urn:oid:1.2.392.100495.20.3.51.11312345670|FALL-1');
  const observations = await fhir(`Observation?subject=Patient/${patients.entry[0].resource.id}`);
  expect(observations.entry.map((e: any) => e.resource.valueQuantity.value).sort()).toEqual([5.1, 5.3]);
});

test('messages about one new patient on eight connections at once make one Patient, all AA', async () => {
  const connections = await Promise.all(Array.from({ length: 8 }, () => MllpClient.connect(server.mllpPort)));
  const acks = await Promise.all(
    connections.map((connection, i) =>
      connection.send(Buffer.from(labResultMessage({ controlId: `RACE${i}`, patientId: 'RACE-1', orderNumber: `RACE-O${i}`, code: '3D046000001920402', name: 'HbA1c', value: '7.0', unit: '%', range: '4.6-6.2', observedAt: '202501011000', token: gatewayToken }), 'utf8'))
    )
  );
  for (const c of connections) c.close();
  expect(acks.map(ackCode)).toEqual(Array(8).fill('AA'));
  const patients = await fhir('Patient?identifier=urn:oid:1.2.392.100495.20.3.51.11312345670|RACE-1');
  expect(patients.total).toBe(1);
});
