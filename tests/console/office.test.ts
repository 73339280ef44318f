/**
 * The network office in a real browser: a lab result refused for a mistyped value is read in the HL7 inbox
 * with its reason (segment and field), corrected and replayed, and its result is stored; the audit trail is
 * searched by patient and its hash chain verified; the council's pathway figures count the enrolled patient.
 */
import type { Browser } from 'playwright-core';
import { labResultMessage } from '../support/hl7-messages';
import { startTestServer, TestServer } from '../support/server';
import { as, facility, parameters, printedCard } from '../consent/support';
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
  // On the diabetes pathway between the hospital and a clinic, for the council's figures.
  const clinic = await facility(server, '1310000922', 'clinic', '栗橋内科クリニック');
  const hospitalDoctor = as(server, await server.clientToken({ role: 'clinician', organization: hospital.reference }));
  const { cardNumber, cardSecret } = printedCard(enrolled.body);
  for (const [doctor, localId] of [[hospitalDoctor, 'H-9'], [as(server, await server.clientToken({ role: 'clinician', organization: clinic.reference })), 'C-9']] as const) {
    expect((await doctor.post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId, birthDate: '1951-01-01' }))).status).toBe(200);
  }
  const diabetes = (await hospitalDoctor.get('/fhir/PlanDefinition?url=urn:tonet:pathway:diabetes')).body.entry[0].resource.id;
  expect((await hospitalDoctor.post(`/fhir/PlanDefinition/${diabetes}/$apply`, parameters({ subject: `Patient/${patientId}`, organization: clinic.reference }))).status).toBe(201);
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

test("the office sees the diabetes pathway's outcome figures over the region", async () => {
  const page = await signedInPage(browser, server.url, server.adminToken, 'HL7受信箱');
  await page.getByRole('tab', { name: '連携パスの成果' }).click();
  const figures = page.getByTestId('outcome-figures');
  await figures.locator('[data-figure="enrolledCount"]').filter({ hasText: '1' }).waitFor();
  // The HbA1c of 8.4% replayed above is this patient's (H-9 at the hospital): measured, and not below 8.0%.
  expect(await figures.locator('[data-figure="hba1cMeasured"]').innerText()).toBe('1');
  expect(await figures.locator('[data-figure="hba1cControlled"]').innerText()).toBe('0%');
  expect(await page.getByRole('table', { name: '連携パスの成果' }).getByRole('row').filter({ hasText: 'HbA1c' }).count()).toBeGreaterThan(0);
  expect(await accessibilityViolations(page)).toEqual([]);
  await screenshot(page, 'office-outcomes');
  await page.context().close();
});
