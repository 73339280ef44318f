/** The emergency view in a real browser: clearly marked, opened only with a reason, and the reason is in the audit trail. */
import type { Browser } from 'playwright-core';
import { startTestServer, TestServer } from '../support/server';
import { as, facility, parameters, printedCard } from '../consent/support';
import { accessibilityViolations, launchBrowser, screenshot, signedInPage } from './browser';

let server: TestServer;
let browser: Browser;
let team: string;
let cardNumber: string;
let regionalId: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  team = await server.clientToken({ name: '利根消防本部', role: 'emergency', organization: (await facility(server, '1310000444', 'emergency', '利根消防本部')).reference });
  const enrolled = await as(server, server.adminToken).post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '救急', given: ['一郎'] }], birthDate: '1950-03-03', gender: 'male' }, emergencyUse: true }));
  regionalId = enrolled.body.id;
  ({ cardNumber } = printedCard(enrolled.body));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('the emergency team sees the marked emergency view, which opens only with a reason that is audited', async () => {
  const page = await signedInPage(browser, server.url, team, '救急時閲覧');
  expect(await page.getByText('緊急アクセス').count()).toBeGreaterThan(0);
  await page.getByLabel('カード番号').fill(cardNumber);
  const open = page.getByRole('button', { name: '救急時情報を開く' });
  expect(await open.isDisabled()).toBe(true);
  await page.getByLabel('閲覧理由（必須）').fill('   ');
  expect(await open.isDisabled()).toBe(true);
  expect(await page.getByTestId('emergency-summary').count()).toBe(0);

  await page.getByLabel('閲覧理由（必須）').fill('交通事故で救急搬送中');
  await open.click();
  await page.getByTestId('emergency-summary').getByRole('heading', { name: /救急 一郎/ }).waitFor();
  expect(await accessibilityViolations(page)).toEqual([]);
  await screenshot(page, 'emergency');

  const audit = await as(server, server.adminToken).get(`/fhir/AuditEvent?patient=Patient/${regionalId}&_count=100`);
  expect(JSON.stringify(audit.body)).toContain('交通事故で救急搬送中');
  await page.context().close();
});
