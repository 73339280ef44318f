/**
 * A SMART app from outside the project (its launch and redirect pages use the fhirclient library as any
 * SMART app does) is registered by the office and launched standalone against Tonet: a resident logs in,
 * sees the consent screen, allows it, and the app reads under consent and under its scopes — its own
 * Patient and Observations, nothing outside its scopes, nothing of another resident.
 */
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { createAccount, useLoginWorld } from './support';

const world = useLoginWorld();
const FHIR_CLIENT_JS = fs.readFileSync(require.resolve('fhirclient/build/fhir-client.js'), 'utf8');
const SCOPE = 'openid fhirUser launch/patient patient/Patient.r patient/Observation.rs';

/** The app's two pages, served (by the browser's request interception) from /smart-app/ on Tonet's origin. */
async function serveApp(page: Page, clientId: string, otherPatientId = 'none'): Promise<void> {
  const fhirBase = `${world.server.url}/fhir`;
  const pages: Record<string, string> = {
    'launch.html': `<!DOCTYPE html><title>launch</title><script src="fhir-client.js"></script>
<script>FHIR.oauth2.authorize({ clientId: ${JSON.stringify(clientId)}, scope: ${JSON.stringify(SCOPE)}, iss: ${JSON.stringify(fhirBase)}, redirectUri: 'index.html' });</script>`,
    'index.html': `<!DOCTYPE html><title>app</title><script src="fhir-client.js"></script>
<pre id="out">waiting</pre>
<script>
const status = (promise) => promise.then(() => 200, (e) => (e.status || (e.response && e.response.status) || String(e)));
FHIR.oauth2.ready().then(async (client) => {
  const patient = await client.patient.read();
  const observations = await client.request('Observation?patient=' + client.patient.id);
  const condition = await status(client.request('Condition?patient=' + client.patient.id));
  const other = await status(client.request('Patient/' + ${JSON.stringify(otherPatientId)}));
  document.getElementById('out').textContent = JSON.stringify({ patientId: client.patient.id, family: patient.name[0].family, observations: (observations.entry || []).length, condition, other });
}).catch((e) => { document.getElementById('out').textContent = 'error: ' + e.message; });
</script>`,
    'fhir-client.js': FHIR_CLIENT_JS,
  };
  await page.route(`${world.server.url}/smart-app/**`, (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop()!;
    const body = pages[name];
    return body ? route.fulfill({ status: 200, contentType: name.endsWith('.js') ? 'text/javascript' : 'text/html', body }) : route.fulfill({ status: 404, body: '' });
  });
}

async function createResource<T extends { id?: string }>(resource: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${world.server.url}/fhir/${resource.resourceType}`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${world.server.adminToken}` },
    body: JSON.stringify(resource),
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

test('a resident launches a fhirclient app standalone, consents, and it reads only under consent and scopes', async () => {
  const patient = await createResource<{ id: string }>({ resourceType: 'Patient', name: [{ family: 'Yamada', given: ['Taro'] }], birthDate: '1950-04-01' });
  const other = await createResource<{ id: string }>({ resourceType: 'Patient', name: [{ family: 'Other' }] });
  // A hospital's result the resident may not read (residents read what they entered themselves), and the
  // resident's own blood pressure entered earlier: the consent service decides under the app's scopes.
  await createResource({ resourceType: 'Observation', status: 'final', code: { text: 'HbA1c' }, subject: { reference: `Patient/${patient.id}` } });
  const residentClient = await world.server.clientToken({ role: 'resident', patient: `Patient/${patient.id}` });
  const own = await fetch(`${world.server.url}/fhir/Observation`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${residentClient}` },
    body: JSON.stringify({ resourceType: 'Observation', status: 'final', code: { text: 'BP' }, subject: { reference: `Patient/${patient.id}` } }),
  });
  expect(own.status).toBe(201);
  await createResource({ resourceType: 'Condition', subject: { reference: `Patient/${patient.id}` }, code: { text: 'hypertension' } });
  const resident = await createAccount(world.server, { kind: 'resident', username: 'yamada.taro', name: '山田 太郎', patient: `Patient/${patient.id}` });

  const registered = await fetch(`${world.server.url}/admin/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${world.server.adminToken}` },
    body: JSON.stringify({ name: '血圧ノート BP Notes', redirect_uris: [`${world.server.url}/smart-app/index.html`] }),
  });
  expect(registered.status).toBe(201);
  const { client_id: clientId } = (await registered.json()) as { client_id: string };

  const page = await world.newPage();
  // The app also tries another resident's record, as a careless or hostile app would.
  await serveApp(page, clientId, other.id);
  await page.goto(`${world.server.url}/smart-app/launch.html`);
  await page.getByLabel('ユーザー名').fill(resident.username);
  await page.getByLabel('パスワード').fill(resident.password);
  await page.getByRole('button', { name: /次へ/ }).click();

  await expect(page.getByRole('heading').textContent()).resolves.toMatch(/アクセスの許可/);
  await expect(page.locator('main').textContent()).resolves.toContain('血圧ノート BP Notes');
  expect(await page.locator('#scopes li').allTextContents()).toEqual(SCOPE.split(' '));
  await page.getByRole('button', { name: /許可する/ }).click();
  await page.waitForURL(`${world.server.url}/smart-app/index.html**`);
  // Request interception does not see the hop of a redirect, so the app's page is opened once more at the URL
  // the server sent the browser to (the code in it is still unused).
  await page.goto(page.url());
  await page.waitForFunction("document.getElementById('out').textContent !== 'waiting'", undefined, { timeout: 15000 });
  const out = (await page.locator('#out').textContent())!;
  expect(out).not.toMatch(/^error/);
  expect(JSON.parse(out)).toEqual({ patientId: patient.id, family: 'Yamada', observations: 1, condition: 403, other: expect.any(Number) });
  expect(JSON.parse(out).other).not.toBe(200);
  await page.context().close();
});

test('denying the consent screen sends the app away without a code', async () => {
  const patient = await createResource<{ id: string }>({ resourceType: 'Patient', name: [{ family: 'Suzuki' }] });
  const resident = await createAccount(world.server, { kind: 'resident', username: 'suzuki.hana', name: '鈴木 花', patient: `Patient/${patient.id}` });
  const { client_id: clientId } = (await (
    await fetch(`${world.server.url}/admin/apps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${world.server.adminToken}` },
      body: JSON.stringify({ name: 'Other app', redirect_uris: [`${world.server.url}/smart-app/index.html`] }),
    })
  ).json()) as { client_id: string };
  const page = await world.newPage();
  await serveApp(page, clientId);
  await page.goto(`${world.server.url}/smart-app/launch.html`);
  await page.getByLabel('ユーザー名').fill(resident.username);
  await page.getByLabel('パスワード').fill(resident.password);
  await page.getByRole('button', { name: /次へ/ }).click();
  await page.getByRole('button', { name: /許可しない/ }).click();
  await page.waitForURL(`${world.server.url}/smart-app/index.html**`);
  const back = new URL(page.url());
  expect(back.searchParams.get('error')).toBe('access_denied');
  expect(back.searchParams.get('code')).toBeNull();
  await page.context().close();
});
