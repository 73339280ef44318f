/**
 * Who is acting is the person: when a doctor who logged in (two factors, the clinic picked) reads a resident's
 * record through an app, the AuditEvent names the doctor as requestor, the app and the facility it acted for,
 * and the declared purpose of use; the resident, logged in, finds the same in their access log.
 */
import { createAccount, createAsAdmin, enrolledAccount, logInOverHttp } from './support';
import { graphql } from '../transports/graphql/support';
import { startTestServer, type TestServer } from '../support/server';

const HOSPITAL = 'Organization/who-hospital';
const CLINIC = 'Organization/who-clinic';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

interface Agent {
  who?: { reference?: string; display?: string };
  name?: string;
  altId?: string;
  requestor: boolean;
  role?: { coding: { code: string }[] }[];
}

test("the resident's access log shows the doctor, the app, the facility and the purpose of use", async () => {
  const patient = await createAsAdmin(server, { resourceType: 'Patient', name: [{ family: '田中' }], birthDate: '1960-02-02', meta: { source: CLINIC } });
  const doctor = await enrolledAccount(server, {
    kind: 'practitioner',
    username: 'dr.who',
    name: '渡辺 医師',
    practitioner: 'Practitioner/dr-watanabe',
    facilities: [
      { organization: HOSPITAL, role: 'doctor' },
      { organization: CLINIC, role: 'doctor' },
    ],
  });
  const doctorToken = (await logInOverHttp(server, { ...doctor, organization: CLINIC })).access_token;
  const read = await fetch(`${server.url}/fhir/Patient/${patient.id}`, { headers: { authorization: `Bearer ${doctorToken}`, 'x-purpose-of-use': 'TREAT' } });
  expect(read.status).toBe(200);

  const resident = await createAccount(server, { kind: 'resident', username: 'tanaka.r', name: '田中', patient: `Patient/${patient.id}` });
  const residentToken = (await logInOverHttp(server, resident)).access_token;
  const log = await fetch(`${server.url}/fhir/AuditEvent?patient=Patient/${patient.id}`, { headers: { authorization: `Bearer ${residentToken}` } });
  expect(log.status).toBe(200);
  const events = ((await log.json()) as { entry?: { resource: { agent: Agent[]; purposeOfEvent?: { coding: { code: string }[] }[]; subtype: { code: string }[] } }[] }).entry ?? [];
  const doctorsRead = events.map((e) => e.resource).find((e) => e.agent[0].who?.reference === 'Practitioner/dr-watanabe' && e.subtype[0].code === 'read');
  expect(doctorsRead).toBeDefined();
  expect(doctorsRead!.agent[0]).toMatchObject({ who: { reference: 'Practitioner/dr-watanabe', display: '渡辺 医師' }, requestor: true });
  expect(doctorsRead!.agent[1]).toMatchObject({ who: { reference: CLINIC }, altId: 'tonet-console', name: 'Tonet console', requestor: false, role: [{ coding: [{ code: 'clinician' }] }] });
  expect(doctorsRead!.purposeOfEvent?.[0].coding[0].code).toBe('TREAT');

  // The resident's own app view (GraphQL myRecord) lists the same look, with the same person and facility.
  const mine = await graphql(server, residentToken, '{ myRecord { accessLog } }');
  expect(mine.errors).toBeUndefined();
  const agents = (mine.data.myRecord.accessLog as { agent: Agent[] }[]).map((e) => e.agent);
  expect(agents.some((a) => a[0].who?.reference === 'Practitioner/dr-watanabe' && a[1]?.who?.reference === CLINIC)).toBe(true);
});
