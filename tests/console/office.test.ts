/**
 * The network office in a real browser: a lab result refused for a mistyped value is read in the HL7 inbox
 * with its reason (segment and field), corrected and replayed, and its result is stored; the audit trail is
 * searched by patient and its hash chain verified.
 */
import type { Browser } from 'playwright-core';
import { labResultMessage } from '../support/hl7-messages';
import { startTestServer, TestServer } from '../support/server';
import { as, facility, parameters } from '../consent/support';
import { accessibilityViolations, ensureConsoleBuilt, launchBrowser, screenshot, signedInPage } from './browser';

let server: TestServer;
let browser: Browser;
let patientId: string;

beforeAll(async () => {
  ensureConsoleBuilt();
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  const hospital = await facility(server, '1310000911', 'core-hospital', '利根中央病院');
  const gateway = as(server, await server.clientToken({ role: 'gateway', organization: hospital.reference }));
  // "8,4" for 8.4: the lab system's decimal comma.
  const mistyped = labResultMessage({ controlId: 'BAD-1', patientId: 'H-9', orderNumber: 'O-BAD-1', code: '3D046000001920402', name: 'HbA1c', value: '8,4', unit: '%', range: '4.6-6.2', flag: 'H', observedAt: '202411011000' });
  expect((await gateway.post('/hl7/v2', mistyped, 'x-application/hl7-v2+er7')).body).toMatch(/MSA\|AE/);
  const enrolled = await as(server, server.adminToken).post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '監査', given: ['次郎'] }], birthDate: '1951-01-01', gender: 'male' } }));
  patientId = enrolled.body.id;
  expect((await as(server, server.adminToken).get(`/fhir/Patient/${patientId}`)).status).toBe(200);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('the office reads a refused message with its reason, corrects it and replays it', async () => {
  const page = await signedInPage(browser, server.url, server.adminToken, 'HL7受信箱');
  const row = page.getByTestId('inbox').getByRole('row').filter({ hasText: 'BAD-1' });
  await row.waitFor();
  expect(await row.innerText()).toMatch(/OBX-5[\s\S]*8,4/);
  await row.getByRole('button', { name: '開く BAD-1' }).click();
  const detail = page.getByTestId('inbox-detail');
  const text = detail.getByLabel('メッセージ本文');
  expect(await text.inputValue()).toContain('|8,4|');
  expect(await accessibilityViolations(page)).toEqual([]);
  await screenshot(page, 'office-inbox');

  await text.fill((await text.inputValue()).replace('|8,4|', '|8.4|'));
  await detail.getByRole('button', { name: '再送' }).click();
  await page.getByRole('status').filter({ hasText: '再送し、受け付けられました' }).waitFor();
  await page.getByText('受け付けなかったメッセージはありません').waitFor();
  const stored = await as(server, server.adminToken).get('/fhir/Observation?code=3D046000001920402');
  expect(stored.body.entry.map((e: any) => e.resource.valueQuantity.value)).toEqual([8.4]);
  await page.context().close();
}, 150_000);

test('the office searches the audit trail by patient and verifies the hash chain', async () => {
  const page = await signedInPage(browser, server.url, server.adminToken, 'HL7受信箱');
  await page.getByRole('tab', { name: '監査証跡' }).click();
  await page.getByLabel('患者ID').fill(patientId);
  await page.getByRole('button', { name: '検索', exact: true }).click();
  const events = page.getByTestId('audit-events');
  await events.getByRole('row').nth(1).waitFor();
  expect(await events.locator('tbody tr').count()).toBeGreaterThanOrEqual(2);
  await page.getByRole('button', { name: '改ざん検査（ハッシュチェーン）' }).click();
  await page.getByTestId('chain-verification').filter({ hasText: '改ざんはありません' }).waitFor();
  expect(await accessibilityViolations(page)).toEqual([]);
  await screenshot(page, 'office-audit');
  await page.context().close();
});
