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
