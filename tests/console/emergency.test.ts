/**
 * The emergency view in a real browser: clearly marked, opened only with a reason, and the reason is in the audit
 * trail. A clinician's desk offers it (救急時閲覧 tab) at a facility that takes emergencies, not at a clinic, and
 * where the facility's type is not known it says the server's refusal in the console's language.
 */
import type { Browser, Page } from 'playwright-core';
import { startTestServer, TestServer } from '../support/server';
import { as, facility, parameters, printedCard } from '../consent/support';
import { accessibilityViolations, launchBrowser, screenshot, signedInPage } from './browser';

let server: TestServer;
let browser: Browser;
let team: string;
let hospitalDoctor: string;
let clinicDoctor: string;
let untypedFacilityDoctor: string;
let cardNumber: string;
let regionalId: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  team = await server.clientToken({ name: '利根消防本部', role: 'emergency', organization: (await facility(server, '1310000444', 'emergency', '利根消防本部')).reference });
  hospitalDoctor = await server.clientToken({ name: '利根 太郎', role: 'clinician', organization: (await facility(server, '1310000111', 'core-hospital', '利根中央病院')).reference });
  clinicDoctor = await server.clientToken({ name: '栗橋 医師', role: 'clinician', organization: (await facility(server, '1310000222', 'clinic', '栗橋内科クリニック')).reference });
  // A facility registered without its type (urn:tonet:facility-type): the console cannot tell whether it takes emergencies.
  const untyped = await as(server, server.adminToken).post('/fhir/Organization', { resourceType: 'Organization', name: '種別未登録診療所' });
  expect(untyped.status).toBe(201);
  untypedFacilityDoctor = await server.clientToken({ name: '未登録 医師', role: 'clinician', organization: `Organization/${untyped.body.id}` });
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

/** The desk's tabs once the console has learnt what the signed-in facility is (the tab list is busy until then). */
async function deskTabs(page: Page) {
  const tabs = page.locator('[role="tablist"][aria-busy="false"]');
  await tabs.waitFor();
  return tabs;
}

async function openEmergencySummary(page: Page, reason: string): Promise<void> {
  await page.getByLabel('カード番号').fill(cardNumber);
  await page.getByLabel('閲覧理由（必須）').fill(reason);
  await page.getByRole('button', { name: '救急時情報を開く' }).click();
}

test('a clinician of a core hospital opens the emergency view on the 救急時閲覧 tab', async () => {
  const page = await signedInPage(browser, server.url, hospitalDoctor);
  await (await deskTabs(page)).getByRole('tab', { name: '救急時閲覧' }).click();
  expect(await page.getByText('緊急アクセス').count()).toBeGreaterThan(0);
  await openEmergencySummary(page, '意識障害で救急外来に搬送');
  await page.getByTestId('emergency-summary').getByRole('heading', { name: /救急 一郎/ }).waitFor();
  expect(await accessibilityViolations(page)).toEqual([]);
  await page.context().close();
});

test("a clinic's doctor is not offered the emergency view: the clinic's type says it takes no emergencies", async () => {
  const page = await signedInPage(browser, server.url, clinicDoctor);
  const tabs = await deskTabs(page);
  expect(await tabs.getByRole('tab').allInnerTexts()).toEqual(['患者', '地域連携パス', 'この施設の予約']);
  expect(await accessibilityViolations(page)).toEqual([]);
  await page.context().close();
});

test("where the facility's type is not known the tab is offered, and the server's refusal is said in Japanese, then in English", async () => {
  const page = await signedInPage(browser, server.url, untypedFacilityDoctor);
  await (await deskTabs(page)).getByRole('tab', { name: '救急時閲覧' }).click();
  await openEmergencySummary(page, '意識障害で救急外来に搬送');
  const refusal = page.getByRole('alert').filter({ hasText: 'この施設からは救急時閲覧を利用できません' });
  await refusal.waitFor();
  expect(await refusal.innerText()).toContain('救急隊と中核病院');
  expect(await refusal.innerText()).not.toContain('ETREAT');
  expect(await page.getByTestId('emergency-summary').count()).toBe(0);
  expect(await accessibilityViolations(page)).toEqual([]);

  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('alert').filter({ hasText: 'Emergency access is not allowed from this facility' }).waitFor();
  await page.context().close();
});
