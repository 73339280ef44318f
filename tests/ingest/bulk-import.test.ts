/**
 * POST /fhir/$import (Bulk Data NDJSON, issue 11) over the real socket: the synthea-bulk-10 export imported by
 * a facility's gateway and found by search as that facility's data; consent deciding who else sees it, with
 * the grants kept in step by the import itself; bad lines refused by number, the good ones kept; roles that
 * may not import refused.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Resource } from '@medplum/fhirtypes';
import { fixturePath } from '../fixtures';
import { startTestServer, TestServer } from '../support/server';
import { as, facility, Facility, parameters } from '../consent/support';
import { FACILITY_ACCESS, PATIENT_CONSENT_LOINC, PRIVACY_SCOPE } from '../../src/consent/model';
import { OPT_IN } from '../../src/consent-workflows/enrolment';

const NDJSON = 'application/fhir+ndjson';
const DIR = fixturePath('synthea-bulk-10');
const files = readdirSync(DIR).filter((f) => f.endsWith('.ndjson'));
const exported = files.map((f) => readFileSync(`${DIR}/${f}`, 'utf8').trim()).join('\n');
const resources = exported.split('\n').map((line) => JSON.parse(line) as Resource);
const countOf = (type: string) => resources.filter((r) => r.resourceType === type).length;

let server: TestServer;
let hospital: Facility;
let clinic: Facility;
let gateway: ReturnType<typeof as>;

beforeAll(async () => {
  server = await startTestServer();
  hospital = await facility(server, '1330000011', 'core-hospital', '一括病院');
  clinic = await facility(server, '1330000022', 'clinic', '一括クリニック');
  gateway = as(server, await server.clientToken({ role: 'gateway', organization: hospital.reference }));
}, 60_000);
afterAll(async () => server?.close());

/** The counts and refused lines of an $import answer (an OperationOutcome). */
function summaryOf(body: any): { imported: number; refused: { line: number; text: string; expression?: string[] }[] } {
  const summary = body.issue.find((i: any) => i.severity === 'information');
  const imported = Number(/(\d+) imported/.exec(summary.diagnostics)?.[1]);
  const refused = body.issue
    .filter((i: any) => i.severity === 'error')
    .map((i: any) => ({ line: Number(/^Line (\d+):/.exec(i.diagnostics)?.[1]), text: i.diagnostics as string, expression: i.expression }));
  return { imported, refused };
}

test('a gateway imports the synthea export: every line stored as its facility\'s data, with server metadata, found by search', async () => {
  const answer = await gateway.post('/fhir/$import', exported, NDJSON);
  expect(answer.status).toBe(200);
  expect(summaryOf(answer.body)).toEqual({ imported: resources.length, refused: [] });

  for (const type of ['Patient', 'Encounter', 'Condition', 'Immunization']) {
    const found = await gateway.get(`/fhir/${type}?_summary=count`);
    expect([type, found.body.total]).toEqual([type, countOf(type)]);
  }
  const patient = resources.find((r) => r.resourceType === 'Patient') as Resource;
  const read = await gateway.get(`/fhir/Patient/${patient.id}`);
  expect(read.body.meta).toEqual(expect.objectContaining({ versionId: '1', source: hospital.reference, profile: patient.meta?.profile }));
  expect(Date.now() - Date.parse(read.body.meta.lastUpdated)).toBeLessThan(10 * 60_000);
  const encounters = resources.filter((r: any) => r.resourceType === 'Encounter' && r.subject?.reference === `Patient/${patient.id}`).length;
  expect((await gateway.get(`/fhir/Encounter?subject=Patient/${patient.id}&_total=accurate&_count=0`)).body.total).toBe(encounters);
}, 180_000);

test('the same ids imported again are refused by line, and what is stored stays at version 1', async () => {
  const patient = resources.find((r) => r.resourceType === 'Patient') as Resource;
  const again = await gateway.post('/fhir/$import', JSON.stringify({ ...patient, gender: 'other' }), NDJSON);
  expect(again.status).toBe(200);
  const { imported, refused } = summaryOf(again.body);
  expect(imported).toBe(0);
  expect(refused).toEqual([expect.objectContaining({ line: 1, text: expect.stringContaining(`Patient/${patient.id} exists`), expression: ['Patient.id'] })]);
  expect((await gateway.get(`/fhir/Patient/${patient.id}`)).body.meta.versionId).toBe('1');
});

test('a clinician of another facility sees none of it unless a facility-access Consent imported by the office names it', async () => {
  const doctor = as(server, await server.clientToken({ role: 'clinician', organization: clinic.reference }));
  const enrolled = await as(server, server.adminToken).post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '一括', given: ['太郎'] }], birthDate: '1950-05-05', gender: 'male' }, emergencyUse: false }));
  expect(enrolled.status).toBe(201);
  const regional = `Patient/${enrolled.body.id}`;
  const observation = { resourceType: 'Observation', id: 'bulk-hba1c-1', meta: { source: hospital.reference }, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] }, subject: { reference: regional }, valueQuantity: { value: 6.8, unit: '%' } };
  expect(summaryOf((await as(server, server.adminToken).post('/fhir/$import', JSON.stringify(observation), NDJSON)).body).imported).toBe(1);
  expect((await doctor.get(`/fhir/Observation?subject=${regional}`)).body.entry ?? []).toEqual([]);
  expect((await doctor.get('/fhir/Encounter?_summary=count')).body.total).toBe(0);

  const consent = {
    resourceType: 'Consent',
    status: 'active',
    scope: { coding: [PRIVACY_SCOPE] },
    category: [{ coding: [PATIENT_CONSENT_LOINC] }, { coding: [FACILITY_ACCESS] }],
    patient: { reference: regional },
    policyRule: OPT_IN,
    provision: { type: 'permit', actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, reference: { reference: clinic.reference } }] },
  };
  const imported = await as(server, server.adminToken).post('/fhir/$import', JSON.stringify(consent), NDJSON);
  expect(summaryOf(imported.body)).toEqual({ imported: 1, refused: [] });
  const seen = await doctor.get(`/fhir/Observation?subject=${regional}`);
  expect(seen.body.entry.map((e: any) => e.resource.id)).toEqual(['bulk-hba1c-1']);
  expect(seen.body.entry[0].resource.meta.source).toBe(hospital.reference);
});

test('bad lines are refused by line number and field; the good lines around them are kept', async () => {
  const good = (id: string) => JSON.stringify({ resourceType: 'Patient', id, name: [{ family: '良' }] });
  const lines = [
    good('bulk-good-1'),
    '{"resourceType": "Patient", "name": [',
    JSON.stringify({ resourceType: 'Observation', id: 'bulk-bad-status', status: 'finished-ish', code: { text: 'x' } }),
    JSON.stringify({ resourceType: 'NoSuchType', id: 'x' }),
    '',
    good('bulk-good-1'),
    JSON.stringify({ resourceType: 'Patient', id: 'not a valid id!' }),
    good('bulk-good-2'),
  ];
  const answer = await gateway.post('/fhir/$import', lines.join('\n') + '\n', NDJSON);
  expect(answer.status).toBe(200);
  const { imported, refused } = summaryOf(answer.body);
  expect(imported).toBe(2);
  expect(refused.map((r) => r.line)).toEqual([2, 3, 4, 6, 7]);
  expect(refused[0].text).toMatch(/JSON/);
  expect(refused[1].expression).toEqual(expect.arrayContaining([expect.stringContaining('status')]));
  expect(refused[2].text).toMatch(/NoSuchType/);
  expect(refused[3].text).toMatch(/line 1/);
  expect(refused[4].expression).toEqual(['Patient.id']);
  expect((await gateway.ids('/fhir/Patient?_id=bulk-good-1,bulk-good-2', 'Patient')).sort()).toEqual(['Patient/bulk-good-1', 'Patient/bulk-good-2']);
});

test('only the office and gateways import; a body that is not NDJSON or over the limit is refused', async () => {
  const doctor = as(server, await server.clientToken({ role: 'clinician', organization: hospital.reference }));
  const line = JSON.stringify({ resourceType: 'Patient', id: 'bulk-refused', name: [{ family: '拒' }] });
  expect((await doctor.post('/fhir/$import', line, NDJSON)).status).toBe(403);
  const researcher = as(server, await server.clientToken({ role: 'researcher' }));
  expect((await researcher.post('/fhir/$import', line, NDJSON)).status).toBe(403);
  expect((await gateway.post('/fhir/$import', JSON.parse(line))).status).toBe(415);
  expect((await gateway.post('/fhir/Patient', line, NDJSON)).status).toBe(415);
  expect((await as(server, server.adminToken).get('/fhir/Patient?_id=bulk-refused')).body.entry ?? []).toEqual([]);
  const limit = server.tonet.config.bodyLimit;
  expect((await gateway.post('/fhir/$import', `${line}\n${' '.repeat(limit)}`, NDJSON)).status).toBe(413);
});
