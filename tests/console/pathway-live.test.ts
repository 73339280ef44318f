/**
 * Live updates and the pathway dashboard in a real browser: a resident enters a blood pressure on their own
 * screen, the clinic's dashboard shows the alert it raises without a reload and acknowledges it; a new lab
 * result sent over HL7 appears on the open timeline while it is open. A clinic outside the care team gets
 * neither (the server checks consent as each event is delivered).
 */
import type { Browser, Page } from 'playwright-core';
import { labResultMessage } from '../support/hl7-messages';
import { startTestServer, TestServer } from '../support/server';
import { as, facility, parameters, printedCard } from '../consent/support';
import { accessibilityViolations, launchBrowser, screenshot, signedInPage } from './browser';

const BIRTH_DATE = '1956-01-01';
let server: TestServer;
let browser: Browser;
let clinicDoctor: string;
let strangerDoctor: string;
let residentToken: string;
let gateway: ReturnType<typeof as>;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  const hospital = await facility(server, '1310000511', 'core-hospital', '利根中央病院');
  const clinic = await facility(server, '1310000522', 'clinic', '栗橋内科クリニック');
  const stranger = await facility(server, '1310000533', 'clinic', '他院クリニック');
  const hospitalDoctor = as(server, await server.clientToken({ name: '利根 太郎', role: 'clinician', organization: hospital.reference }));
  clinicDoctor = await server.clientToken({ name: '栗橋 医師', role: 'clinician', organization: clinic.reference });
  strangerDoctor = await server.clientToken({ name: '他院 医師', role: 'clinician', organization: stranger.reference });
  gateway = as(server, await server.clientToken({ role: 'gateway', organization: hospital.reference }));
  const enrolled = await as(server, server.adminToken).post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '連携', given: ['花子'] }], birthDate: BIRTH_DATE, gender: 'female' } }));
  const patientId = enrolled.body.id;
  const { cardNumber, cardSecret } = printedCard(enrolled.body);
  for (const [doctor, localId] of [[hospitalDoctor, 'H-1'], [as(server, clinicDoctor), 'C-1']] as const) {
    expect((await doctor.post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId, birthDate: BIRTH_DATE }))).status).toBe(200);
  }
  await sendHbA1c('7.2', '202407101000');
  const diabetes = (await hospitalDoctor.get('/fhir/PlanDefinition?url=urn:tonet:pathway:diabetes')).body.entry[0].resource.id;
  expect((await hospitalDoctor.post(`/fhir/PlanDefinition/${diabetes}/$apply`, parameters({ subject: `Patient/${patientId}`, organization: clinic.reference }))).status).toBe(201);
  residentToken = await server.clientToken({ name: '連携 花子', role: 'resident', patient: `Patient/${patientId}` });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function sendHbA1c(value: string, at: string): Promise<void> {
  const message = labResultMessage({ controlId: `L-${at}`, patientId: 'H-1', orderNumber: `O-${at}`, code: '3D046000001920402', name: 'HbA1c', value, unit: '%', range: '4.6-6.2', flag: Number(value) > 6.2 ? 'H' : '', observedAt: at });
  expect((await gateway.post('/hl7/v2', message, 'x-application/hl7-v2+er7')).body).toMatch(/MSA\|AA/);
}

async function openPathwayTab(page: Page): Promise<void> {
  await page.getByRole('tab', { name: '地域連携パス' }).click();
  await page.getByRole('heading', { name: '地域連携パス' }).waitFor();
}

/** The live socket is open once the console has subscribed; give the server a moment to start the subscription. */
async function settle(page: Page): Promise<void> {
  await page.waitForTimeout(500);
}

test("a resident's blood pressure raises an alert the clinic sees live on its dashboard, and acknowledges", async () => {
  const clinic = await signedInPage(browser, server.url, clinicDoctor);
  const stranger = await signedInPage(browser, server.url, strangerDoctor);
  await openPathwayTab(clinic);
  const patients = clinic.getByTestId('pathway-patients');
  await patients.getByRole('row').filter({ hasText: '連携 花子' }).waitFor();
  // Enrolment takes the earlier HbA1c as baseline; the next one is due three months on.
  expect(await patients.getByRole('row').filter({ hasText: '連携 花子' }).innerText()).toMatch(/\d{4}-\d{2}-\d{2} HbA1c/);
  expect(await clinic.getByText('未対応のアラートはありません').count()).toBe(1);
  await settle(clinic);

  const resident = await signedInPage(browser, server.url, residentToken, 'わたしの記録');
  await resident.getByLabel('最高血圧').fill('150');
  await resident.getByLabel('最低血圧').fill('95');
  await resident.getByLabel('体重').fill('62.5');
  await resident.getByRole('button', { name: '保存' }).click();
  await resident.getByRole('status').filter({ hasText: '保存しました' }).waitFor();
  await resident.getByTestId('bp-chart').locator('svg .recharts-line').first().waitFor();
  expect(await accessibilityViolations(resident)).toEqual([]);
  await screenshot(resident, 'resident-vitals');

  // Without a reload: the banner, the count by severity and the open alert row.
  const banner = clinic.getByTestId('live-alerts');
  await banner.getByText(/150\/95/).waitFor();
  const alerts = clinic.getByTestId('open-alerts');
  await alerts.getByRole('row').filter({ hasText: '150/95' }).waitFor();
  expect(await alerts.getByRole('row').filter({ hasText: '150/95' }).innerText()).toContain('連携 花子');
  const highOrMedium = await clinic.getByTestId('alert-counts').locator('[data-severity]').allInnerTexts();
  expect(highOrMedium.map(Number).reduce((a, b) => a + b, 0)).toBe(1);
  expect(await accessibilityViolations(clinic)).toEqual([]);
  await screenshot(clinic, 'pathway-dashboard');

  await alerts.getByRole('row').filter({ hasText: '150/95' }).getByRole('button', { name: '確認済みにする' }).click();
  await alerts.getByRole('row').filter({ hasText: '150/95' }).getByText('確認済み', { exact: true }).waitFor();

  // The clinic outside the care team was told nothing.
  expect(await stranger.getByTestId('live-alerts').count()).toBe(0);
  await Promise.all([clinic.context().close(), stranger.context().close(), resident.context().close()]);
}, 150_000);

test('a new lab result appears on the open timeline and chart without a reload', async () => {
  const clinic = await signedInPage(browser, server.url, clinicDoctor);
  await openPathwayTab(clinic);
  await clinic.getByTestId('pathway-patients').getByRole('button', { name: '連携 花子' }).click();
  const timeline = clinic.getByTestId('timeline');
  await timeline.getByRole('row').filter({ hasText: '7.2' }).waitFor();
  await clinic.getByTestId('lab-trend-HbA1c').locator('tbody tr').first().waitFor();
  expect(await timeline.getByRole('row').filter({ hasText: '8.9' }).count()).toBe(0);
  await settle(clinic);

  await sendHbA1c('8.9', '202410101000');
  const fresh = timeline.getByRole('row').filter({ hasText: '8.9' });
  await fresh.waitFor();
  expect(await fresh.innerText()).toMatch(/新着/);
  await clinic.getByTestId('live-notice').waitFor();
  await clinic.getByTestId('lab-trend-HbA1c').locator('tbody tr').filter({ hasText: '8.9' }).waitFor();
  // The alert it raised reaches the clinic too.
  await clinic.getByTestId('live-alerts').getByText(/8\.9/).waitFor();
  expect(await accessibilityViolations(clinic)).toEqual([]);
  await screenshot(clinic, 'live-timeline');
  await clinic.context().close();
});
