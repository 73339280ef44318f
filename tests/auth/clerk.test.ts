/**
 * The desk (clerk) logs in as a person and acts as the consent service lets the desk: finds and registers
 * its facility's patients and links a resident's card, but reads no clinical data — not its own facility's
 * results, not what the card link opens to its clinicians.
 */
import { as, facility, parameters, printedCard, type Facility } from '../consent/support';
import { enrolledAccount, logInOverHttp } from './support';
import { startTestServer, type TestServer } from '../support/server';

let server: TestServer;
let clinic: Facility;

beforeAll(async () => {
  server = await startTestServer();
  clinic = await facility(server, '1310000999', 'clinic', '受付テストクリニック');
});
afterAll(async () => server?.close());

test('a clerk registers and finds patients and links a card, and reads no clinical data', async () => {
  const admin = as(server, server.adminToken);
  const enrolled = await admin.post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '受付', given: ['花子'] }], birthDate: '1970-03-03', gender: 'female' }, emergencyUse: true }));
  expect(enrolled.status).toBe(201);
  const { cardNumber, cardSecret } = printedCard(enrolled.body);
  const clinicGateway = as(server, await server.clientToken({ role: 'gateway', organization: clinic.reference }));
  const result = await clinicGateway.post('/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'HbA1c' }, subject: { reference: `Patient/${enrolled.body.id}` } });
  expect(result.status).toBe(201);
  const hospital = await facility(server, '1310000888', 'core-hospital', '受付テスト病院');
  const hospitalGateway = as(server, await server.clientToken({ role: 'gateway', organization: hospital.reference }));
  const elsewhere = await hospitalGateway.post('/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'eGFR' }, subject: { reference: `Patient/${enrolled.body.id}` } });
  expect(elsewhere.status).toBe(201);

  const clerk = await enrolledAccount(server, { kind: 'practitioner', username: 'desk.ito', name: '伊藤 受付', practitioner: 'Practitioner/desk-ito', facilities: [{ organization: clinic.reference, role: 'clerk' }] });
  const token = (await logInOverHttp(server, clerk)).access_token;
  expect(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'))).toMatchObject({ role: 'clerk', job: 'clerk', org: clinic.reference });
  const desk = as(server, token);

  const registered = await desk.post('/fhir/Patient', { resourceType: 'Patient', identifier: [{ system: 'urn:test:desk', value: 'K-1' }], name: [{ family: '受付', given: ['花子'] }], birthDate: '1970-03-03' });
  expect(registered.status).toBe(201);
  expect(await desk.ids('/fhir/Patient?name=受付')).toContain(`Patient/${registered.body.id}`);

  const linked = await desk.post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId: 'K-2', birthDate: '1970-03-03' }));
  expect(linked.status).toBe(200);
  // The desk sees its own facility's Consent (who is linked) …
  expect((await desk.ids('/fhir/Consent', 'Consent')).length).toBeGreaterThan(0);
  // … but no clinical data: not its facility's own result, not the regional record the link opened.
  expect(await desk.ids('/fhir/Observation')).toEqual([]);
  expect((await desk.get(`/fhir/Observation/${result.body.id}`)).status).toBe(404);
  expect((await desk.get(`/fhir/Observation/${elsewhere.body.id}`)).status).toBe(404);
  expect((await desk.post('/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'BP' }, subject: { reference: `Patient/${registered.body.id}` } })).status).toBe(403);
  expect((await desk.get(`/fhir/Patient/${enrolled.body.id}/$everything`)).body.entry?.filter((e: { resource: { resourceType: string } }) => e.resource.resourceType !== 'Patient') ?? []).toEqual([]);

  // A clinician of the same clinic, for contrast, reads its own result and the hospital's the link opened.
  const doctor = as(server, await server.clientToken({ role: 'clinician', organization: clinic.reference }));
  expect((await doctor.get(`/fhir/Observation/${result.body.id}`)).status).toBe(200);
  expect((await doctor.get(`/fhir/Observation/${elsewhere.body.id}`)).status).toBe(200);
});
