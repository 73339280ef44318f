/**
 * SMART EHR launch with patient context: a doctor working in Tonet's console opens a third-party app on the
 * patient in front of them. The console asks POST /smart/launch for a launch id; the app sends it to
 * /oidc/auth with the `launch` scope; the token response names the patient (`patient`) and the token acts
 * at the facility the launch came from. Another person's, a spent and a made-up launch are refused, and so is
 * a launch on a patient the doctor may not see.
 */
import { createAsAdmin, enrolledAccount, logInOverHttp, registerApp } from './support';
import { startTestServer, type TestServer } from '../support/server';

const HOSPITAL = 'Organization/ehr-hospital';
const CLINIC = 'Organization/ehr-clinic';
let server: TestServer;
let patientId: string;
let hiddenId: string;
let doctor: { id: string; username: string; password: string };
let doctorToken: string;
let appId: string;
const redirectUri = () => `${server.url}/ehr-app/`;

beforeAll(async () => {
  server = await startTestServer();
  patientId = (await createAsAdmin(server, { resourceType: 'Patient', name: [{ family: '小林' }], meta: { source: CLINIC } })).id;
  hiddenId = (await createAsAdmin(server, { resourceType: 'Patient', name: [{ family: '他院' }], meta: { source: 'Organization/elsewhere' } })).id;
  doctor = await enrolledAccount(server, {
    kind: 'practitioner',
    username: 'dr.ehr',
    name: '小松 医師',
    practitioner: 'Practitioner/dr-komatsu',
    facilities: [
      { organization: HOSPITAL, role: 'doctor' },
      { organization: CLINIC, role: 'doctor' },
    ],
  });
  doctorToken = (await logInOverHttp(server, { ...doctor, organization: CLINIC })).access_token;
  appId = await registerApp(server, '糖尿病ノート', redirectUri());
  // A server, two accounts' scrypt hashes and a whole login: more than the default minute on a loaded machine.
}, 180_000);
afterAll(async () => server?.close());

function openLaunch(token: string, patient: string): Promise<Response> {
  return fetch(`${server.url}/smart/launch`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ patient }) });
}

async function launchId(): Promise<string> {
  const res = await openLaunch(doctorToken, `Patient/${patientId}`);
  expect(res.status).toBe(201);
  const body = (await res.json()) as { launch: string; iss: string };
  expect(body.iss).toBe(`${server.url}/fhir`);
  return body.launch;
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

test('the app launched from the EHR gets the patient in the token response and acts at the launching facility', async () => {
  const launch = await launchId();
  // The doctor logs in again in the app's flow (the hospital is picked there); the launch's clinic wins.
  const tokens = await logInOverHttp(server, { ...doctor, organization: HOSPITAL, clientId: appId, redirectUri: redirectUri(), scope: 'openid fhirUser launch patient/Patient.r patient/Observation.rs', extra: { launch, aud: `${server.url}/fhir` } });
  expect(tokens.patient).toBe(patientId);
  expect(String(tokens.scope).split(' ')).toContain('launch');
  expect(claimsOf(tokens.access_token)).toMatchObject({ role: 'clinician', org: CLINIC, person: 'Practitioner/dr-komatsu', launch_patient: `Patient/${patientId}` });
  const read = await fetch(`${server.url}/fhir/Patient/${tokens.patient}`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  expect(read.status).toBe(200);

  // Spent: the same launch id does not open a second login.
  await expect(logInOverHttp(server, { ...doctor, organization: HOSPITAL, clientId: appId, redirectUri: redirectUri(), scope: 'openid launch patient/Patient.r', extra: { launch } })).rejects.toThrow(/without a code.*error=invalid_request/);
});

test("another practitioner cannot use the doctor's launch, nor a made-up one", async () => {
  const launch = await launchId();
  const nurse = await enrolledAccount(server, { kind: 'practitioner', username: 'ns.ehr', name: '看護師', practitioner: 'Practitioner/ns-ehr', facilities: [{ organization: CLINIC, role: 'nurse' }] });
  await expect(logInOverHttp(server, { ...nurse, clientId: appId, redirectUri: redirectUri(), scope: 'openid launch patient/Patient.r', extra: { launch } })).rejects.toThrow(/error=invalid_request/);
  // A colleague, not the doctor again: the doctor has spent three authenticator codes already, and a fourth
  // login would wait half a minute for the app's next one.
  const colleague = await enrolledAccount(server, { kind: 'practitioner', username: 'dr.ehr2', name: '小松 医師2', practitioner: 'Practitioner/dr-komatsu2', facilities: [{ organization: CLINIC, role: 'doctor' }] });
  await expect(logInOverHttp(server, { ...colleague, clientId: appId, redirectUri: redirectUri(), scope: 'openid launch patient/Patient.r', extra: { launch: 'made-up' } })).rejects.toThrow(/error=invalid_request/);
});

test('a launch needs a practitioner who may see the patient', async () => {
  expect((await openLaunch(doctorToken, `Patient/${hiddenId}`)).status).toBe(404);
  expect((await openLaunch(doctorToken, 'Observation/1')).status).toBe(400);
  const gateway = await server.clientToken({ role: 'clinician', organization: CLINIC });
  expect((await openLaunch(gateway, `Patient/${patientId}`)).status).toBe(403);
});
