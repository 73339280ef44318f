/**
 * The front desk (a clerk) in a real browser: links a presented card and finds the facility's patient, with
 * no clinical screen to open (no record, no pathway tab).
 */
import type { Browser } from 'playwright-core';
import { startTestServer, TestServer } from '../support/server';
import { as, facility, parameters, printedCard } from '../consent/support';
import { accessibilityViolations, launchBrowser, screenshot, signedInPage } from './browser';

const BIRTH_DATE = '1955-05-05';
let server: TestServer;
let browser: Browser;
let clerk: string;
let cardNumber: string;
let cardSecret: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  const clinic = await facility(server, '1310001122', 'clinic', '栗橋内科クリニック');
  clerk = await server.clientToken({ name: '受付 花子', role: 'clerk', organization: clinic.reference });
  const enrolled = await as(server, server.adminToken).post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '受付', given: ['太郎'] }], birthDate: BIRTH_DATE, gender: 'male' } }));
  ({ cardNumber, cardSecret } = printedCard(enrolled.body));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('the desk links a card and finds the patient, with nothing clinical to open', async () => {
  const page = await signedInPage(browser, server.url, clerk);
  expect(await page.getByRole('tab', { name: '地域連携パス' }).count()).toBe(0);
  const desk = page.getByRole('region', { name: 'カード連携（受付）' });
  await desk.getByLabel('カード番号').fill(cardNumber);
  await desk.getByLabel('カード確認番号').fill(cardSecret);
  await desk.getByLabel('施設患者番号').fill('K-55');
  await desk.getByLabel('生年月日').fill(BIRTH_DATE);
  await desk.getByRole('button', { name: '連携する' }).click();
  await page.getByRole('status').filter({ hasText: 'カードを連携し、同意を記録しました' }).waitFor();

  const search = page.getByRole('region', { name: '患者検索' });
  await search.getByLabel('施設患者番号').fill('K-55');
  await search.getByRole('button', { name: '検索', exact: true }).click();
  await page.getByRole('cell', { name: '受付 太郎' }).waitFor();
  expect(await page.getByRole('button', { name: '開く' }).count()).toBe(0);
  expect(await accessibilityViolations(page)).toEqual([]);
  await screenshot(page, 'front-desk');
  await page.context().close();
});
