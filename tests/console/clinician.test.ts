/**
 * The clinician's day in a real browser: the console signed in as a clinic's doctor links a resident's card
 * at the desk, sees both facilities' results on the timeline and the HbA1c chart; a doctor of a facility
 * without consent finds nothing of the same resident.
 */
import type { Browser, Page } from 'playwright-core';
import { labResultMessage } from '../support/hl7-messages';
import { startTestServer, TestServer } from '../support/server';
import { as, facility, parameters, printedCard } from '../consent/support';
import { accessibilityViolations, launchBrowser, screenshot, signedInPage } from './browser';

const HBA1C = '3D046000001920402';
let server: TestServer;
let browser: Browser;
let clinicDoctor: string;
let strangerDoctor: string;
let cardNumber: string;
let cardSecret: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  const hospital = await facility(server, '1310000111', 'core-hospital', '利根中央病院');
  const clinic = await facility(server, '1310000222', 'clinic', '加須クリニック');
  const stranger = await facility(server, '1310000333', 'clinic', '他院クリニック');
  const hospitalDoctor = await server.clientToken({ name: '利根 太郎', role: 'clinician', organization: hospital.reference });
  clinicDoctor = await server.clientToken({ name: '加須 医師', role: 'clinician', organization: clinic.reference });
  strangerDoctor = await server.clientToken({ name: '他院 医師', role: 'clinician', organization: stranger.reference });
  const hospitalGateway = as(server, await server.clientToken({ role: 'gateway', organization: hospital.reference }));
  const clinicGateway = as(server, await server.clientToken({ role: 'gateway', organization: clinic.reference }));
  const results: [typeof hospitalGateway, string, string, 'H' | '', string][] = [
    [hospitalGateway, 'H-1', '7.1', '', '202401101000'],
    [hospitalGateway, 'H-1', '8.4', 'H', '202404101000'],
    [clinicGateway, 'C-1', '9.1', 'H', '202407101000'],
  ];
  for (const [gateway, localId, value, flag, at] of results) {
    const ack = await gateway.post('/hl7/v2', labResultMessage({ controlId: `G-${at}`, patientId: localId, orderNumber: `O-${at}`, code: HBA1C, name: 'HbA1c', value, unit: '%', range: '4.6-6.2', flag, observedAt: at }), 'x-application/hl7-v2+er7');
    expect(ack.body).toMatch(/MSA\|AA/);
  }
  const enrolled = await as(server, server.adminToken).post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '検査', given: ['花子'] }], birthDate: '1956-01-01', gender: 'female' }, emergencyUse: true }));
  ({ cardNumber, cardSecret } = printedCard(enrolled.body));
  const linked = await as(server, hospitalDoctor).post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId: 'H-1', birthDate: '1956-01-01' }));
  expect(linked.status).toBe(200);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('a clinic doctor links the card at the desk and sees both facilities on the timeline and the HbA1c chart', async () => {
  const page = await signedInPage(browser, server.url, clinicDoctor);
  expect(await accessibilityViolations(page)).toEqual([]);
  await screenshot(page, 'clinician-search');

  const desk = page.getByRole('region', { name: 'カード連携（受付）' });
  await desk.getByLabel('カード番号').fill(cardNumber);
  await desk.getByLabel('カード確認番号').fill(cardSecret);
  await desk.getByLabel('施設患者番号').fill('C-1');
  await desk.getByLabel('生年月日').fill('1956-01-01');
  await desk.getByRole('button', { name: '連携する' }).click();

  const timeline = page.getByTestId('timeline');
  await timeline.getByRole('row').filter({ hasText: '加須クリニック' }).first().waitFor();
  await timeline.getByRole('row').filter({ hasText: '利根中央病院' }).first().waitFor();
  const rows = await timeline.locator('tbody tr').allInnerTexts();
  expect(rows.filter((r) => r.includes('HbA1c'))).toHaveLength(3);
  expect(rows[0]).toContain('9.1');
  expect(rows[0]).toContain('異常');

  const chart = page.getByTestId('lab-trend-HbA1c');
  await chart.locator('svg .recharts-line').first().waitFor();
  expect(await chart.getByText('基準範囲: 4.6–6.2 %').count()).toBe(1);
  expect(await chart.locator('tbody tr').allInnerTexts()).toEqual([
    expect.stringMatching(/2024-01-10\s+7\.1\s+利根中央病院/),
    expect.stringMatching(/2024-04-10\s+8\.4\s*異常\s+利根中央病院/),
    expect.stringMatching(/2024-07-10\s+9\.1\s*異常\s+加須クリニック/),
  ]);

  // Filtering by facility keeps only that facility's rows.
  await page.getByLabel('提供施設').selectOption('利根中央病院');
  expect((await timeline.locator('tbody tr').allInnerTexts()).every((r) => r.includes('利根中央病院'))).toBe(true);
  await page.getByLabel('提供施設').selectOption('');
  expect(await accessibilityViolations(page)).toEqual([]);
  await screenshot(page, 'clinician-timeline');

  // A search by name and birth date now finds the resident, and English is one click away.
  await page.getByRole('button', { name: '検索に戻る' }).click();
  await fillNameAndBirthDate(page);
  await page.getByRole('button', { name: '検索', exact: true }).click();
  await page.getByRole('cell', { name: '検査 花子' }).waitFor();
  expect(await page.getByRole('cell', { name: '検査 花子' }).count()).toBe(1);
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Patient search' }).waitFor();
  expect(await page.locator('html').getAttribute('lang')).toBe('en');
  await page.context().close();
});

test('a doctor of a facility without consent finds nothing of the resident', async () => {
  const page = await signedInPage(browser, server.url, strangerDoctor);
  await fillNameAndBirthDate(page);
  await page.getByRole('button', { name: '検索', exact: true }).click();
  await page.getByRole('status').filter({ hasText: '該当する患者はいません' }).waitFor();
  expect(await page.getByRole('cell', { name: '検査 花子' }).count()).toBe(0);
  await page.context().close();
});

async function fillNameAndBirthDate(page: Page): Promise<void> {
  const search = page.getByRole('region', { name: '患者検索' });
  await search.getByLabel('氏名（かな・漢字）').fill('検査');
  await search.getByLabel('生年月日').fill('1956-01-01');
}
