/**
 * A practitioner's facilities may come from the directory: an account created without `facilities` takes
 * the Practitioner's active PractitionerRoles (organization and job code), and the login asks which of them.
 */
import { createAsAdmin, enrolledAccount, logInOverHttp } from './support';
import { startTestServer, type TestServer } from '../support/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

const role = (practitioner: string, organization: string, system: string, code: string, active = true) => ({
  resourceType: 'PractitionerRole',
  active,
  practitioner: { reference: practitioner },
  organization: { reference: organization },
  code: [{ coding: [{ system, code }] }],
});

test('the active PractitionerRoles become the facilities to choose from at login', async () => {
  const practitioner = `Practitioner/${(await createAsAdmin(server, { resourceType: 'Practitioner', name: [{ family: '松本' }] })).id}`;
  await createAsAdmin(server, role(practitioner, 'Organization/pr-hospital', 'http://terminology.hl7.org/CodeSystem/practitioner-role', 'doctor'));
  await createAsAdmin(server, role(practitioner, 'Organization/pr-clinic', 'urn:tonet:job', 'clerk'));
  await createAsAdmin(server, role(practitioner, 'Organization/pr-former', 'urn:tonet:job', 'nurse', false));
  await createAsAdmin(server, role(practitioner, 'Organization/pr-school', 'http://terminology.hl7.org/CodeSystem/practitioner-role', 'teacher'));

  const account = await enrolledAccount(server, { kind: 'practitioner', username: 'dr.roles', name: '松本', practitioner });
  expect((await server.tonet.accounts.byId(account.id))!.facilities).toEqual([
    { organization: 'Organization/pr-hospital', role: 'doctor' },
    { organization: 'Organization/pr-clinic', role: 'clerk' },
  ]);
  const token = (await logInOverHttp(server, { ...account, organization: 'Organization/pr-clinic' })).access_token;
  expect(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'))).toMatchObject({ role: 'clerk', org: 'Organization/pr-clinic', person: practitioner });

  const none = await fetch(`${server.url}/admin/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
    body: JSON.stringify({ kind: 'practitioner', username: 'dr.noroles', name: '役割なし', practitioner: 'Practitioner/nobody' }),
  });
  expect(none.status).toBe(400);
  expect(JSON.stringify(await none.json())).toMatch(/PractitionerRoles/);
});
