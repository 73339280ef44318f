/**
 * The GraphQL explorer at /graphiql in a real browser, against the server as `npm start` runs it (its page
 * files found from dist/, its heap bound): it loads with nothing from outside the server (it must work
 * offline), runs a query with the bearer token typed in, shows the schema's documentation from the
 * introspection answer, and passes axe-core. (An in-process server would share this process's event loop
 * with the browser driver, whose clicks then time out while the schema is built.)
 */
import type { Browser } from 'playwright-core';
import { ShippedServer, startShippedServer } from '../../support/shipped-server';
import { accessibilityViolations, launchBrowser, screenshot } from '../../console/browser';

let server: ShippedServer;
let browser: Browser;
let adminToken: string;
let patientId: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([startShippedServer(), launchBrowser()]);
  adminToken = await server.adminToken();
  const res = await fetch(`${server.url}/fhir/Patient`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ resourceType: 'Patient', name: [{ family: '栗橋', given: ['一郎'] }], birthDate: '1950-04-01' }),
  });
  patientId = ((await res.json()) as { id: string }).id;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

test('/graphiql loads offline, runs a query with the token, and documents the schema', async () => {
  const page = await (await browser.newContext({ locale: 'ja-JP' })).newPage();
  const requested: string[] = [];
  page.on('request', (request) => requested.push(request.url()));
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));

  await page.goto(`${server.url}/graphiql`);
  await page.getByLabel('アクセストークン (bearer token, from POST /oauth2/token)').fill(adminToken);
  // The example query a first visit finds in the editor runs as it stands. The first request builds the
  // GraphQL schema (seconds, more on a busy machine), hence the longer wait.
  await page.getByRole('button', { name: '実行 (Run)' }).click();
  await page.getByRole('status').filter({ hasText: 'HTTP 200' }).waitFor({ timeout: 120_000 });
  expect(JSON.parse((await page.locator('#result').textContent()) ?? '').data.PatientList).toEqual([{ id: patientId, name: [{ family: '栗橋', given: ['一郎'] }], birthDate: '1950-04-01' }]);
  await page.getByRole('status').evaluate((status) => (status.textContent = ''));
  await page.getByLabel('クエリ (query) — Ctrl+Enter で実行').fill(`{ Patient(id: "${patientId}") { id name { family given } birthDate } }`);
  await page.getByRole('button', { name: '実行 (Run)' }).click();
  await page.getByRole('status').filter({ hasText: 'HTTP 200' }).waitFor();
  const answer = JSON.parse((await page.locator('#result').textContent()) ?? '');
  expect(answer).toEqual({ data: { Patient: { id: patientId, name: [{ family: '栗橋', given: ['一郎'] }], birthDate: '1950-04-01' } } });

  // Ctrl+Enter runs too, and an error answer is shown as it came.
  await page.getByLabel('クエリ (query) — Ctrl+Enter で実行').fill('{ nope }');
  await page.getByLabel('クエリ (query) — Ctrl+Enter で実行').press('Control+Enter');
  await page.locator('#result').filter({ hasText: 'nope' }).waitFor();
  expect(await page.getByRole('status').textContent()).toMatch(/^HTTP 400/);

  await page.getByRole('button', { name: 'スキーマ (Docs)' }).click();
  await page.getByRole('heading', { name: 'ルート型 (root types)' }).waitFor({ timeout: 60_000 });
  await page.getByRole('searchbox', { name: '型を検索 (search types)' }).fill('patient');
  await page.getByRole('link', { name: 'Patient', exact: true }).click();
  await page.getByRole('heading', { name: 'Patient', exact: true }).waitFor();
  expect(await page.locator('#doc-body .field').allTextContents()).toEqual(expect.arrayContaining(['birthDate', 'name']));
  await page.getByRole('link', { name: 'HumanName', exact: true }).first().click();
  await page.getByRole('heading', { name: 'HumanName', exact: true }).waitFor();
  await page.getByRole('button', { name: '← 戻る (back)' }).click();
  await page.getByRole('heading', { name: 'Patient', exact: true }).waitFor();

  await screenshot(page, 'graphiql');
  expect(await accessibilityViolations(page)).toEqual([]);
  expect(errors).toEqual([]);
  expect(requested.filter((url) => !url.startsWith(`${server.url}/`))).toEqual([]);
  expect(requested.map((url) => new URL(url).pathname)).toEqual(expect.arrayContaining(['/graphiql', '/graphiql/explorer.js', '/graphiql/explorer.css', '/graphql']));
  expect(server.process.exitCode).toBeNull();
}, 240_000);
