/**
 * Exam booking and referral letters in a real browser: a clinic doctor books next week's CT slot for a
 * resident from the calendar with a referral, the hospital confirms it on its bookings tab, the clinic and the
 * resident see the confirmation; a referral letter (CDA) on the timeline opens as its narrative and its FHIR document.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { startTestServer, TestServer } from '../support/server';
import { as, facility, parameters, printedCard } from '../consent/support';
import { publishScanner } from '../booking/support';
import { accessibilityViolations, launchBrowser, screenshot, signedInPage } from './browser';

// The letter is from 港診療所 (1318814790) about its patient 000999739, born 1930-06-28.
const LETTER = fs.readFileSync(path.join(__dirname, '..', 'mapping', 'cda', 'referral-jmix.xml'));
const BIRTH_DATE = '1930-06-28';
let server: TestServer;
let browser: Browser;
let clinicDoctor: string;
let hospitalDoctor: string;
let residentToken: string;

/** yyyy-mm-dd of the Monday after this week's, in Japan time (the browser's zone in these tests). */
function nextMonday(): string {
  const jst = new Date(Date.now() + 9 * 3_600_000);
  const monday = new Date(Date.UTC(jst.getUTCFullYear(), jst.getUTCMonth(), jst.getUTCDate() - ((jst.getUTCDay() + 6) % 7) + 7));
  return monday.toISOString().slice(0, 10);
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  const hospital = await facility(server, '1310000711', 'core-hospital', '利根中央病院');
  const clinic = await facility(server, '1318814790', 'clinic', '港診療所');
  hospitalDoctor = await server.clientToken({ name: '利根 放射線科', role: 'clinician', organization: hospital.reference });
  clinicDoctor = await server.clientToken({ name: '港 医師', role: 'clinician', organization: clinic.reference });
  const scanner = await publishScanner(as(server, hospitalDoctor), hospital, 'CT', '320列CT');
  const monday = nextMonday();
  const generated = await as(server, hospitalDoctor).post(`/fhir/${scanner.schedule}/$generate-slots`, { resourceType: 'Parameters', parameter: [{ name: 'from', valueDate: monday }, { name: 'to', valueDate: monday }, { name: 'slotMinutes', valueInteger: 60 }] });
  expect(generated.status).toBe(200);

  const enrolled = await as(server, server.adminToken).post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '牧野', given: ['爛漫'] }], birthDate: BIRTH_DATE, gender: 'female' } }));
  const { cardNumber, cardSecret } = printedCard(enrolled.body);
  for (const [token, localId] of [[clinicDoctor, '000999739'], [hospitalDoctor, 'H-77']]) {
    expect((await as(server, token).post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId, birthDate: BIRTH_DATE }))).status).toBe(200);
  }
  const imported = await fetch(`${server.fhirUrl}/$import-cda`, { method: 'POST', headers: { authorization: `Bearer ${clinicDoctor}`, 'content-type': 'application/cda+xml' }, body: LETTER });
  expect(imported.status).toBe(201);
  residentToken = await server.clientToken({ name: '牧野 爛漫', role: 'resident', patient: `Patient/${enrolled.body.id}` });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openResident(page: Awaited<ReturnType<typeof signedInPage>>): Promise<void> {
  const search = page.getByRole('region', { name: '患者検索' });
  await search.getByLabel('氏名（かな・漢字）').fill('牧野');
  await search.getByLabel('生年月日').fill(BIRTH_DATE);
  await search.getByRole('button', { name: '検索', exact: true }).click();
  await page.getByRole('row').filter({ hasText: '牧野 爛漫' }).getByRole('button', { name: '開く' }).click();
}

test('the clinic books a CT slot from the calendar with a referral; the hospital confirms; clinic and resident see it', async () => {
  const clinic = await signedInPage(browser, server.url, clinicDoctor);
  await openResident(clinic);
  await clinic.getByRole('tab', { name: 'CT・MRI予約' }).click();
  await clinic.getByRole('button', { name: /次の週/ }).click();
  const calendar = clinic.getByTestId('slot-calendar');
  const mondayCell = calendar.getByTestId('slot-day').first();
  await mondayCell.getByRole('button', { name: '09:00' }).waitFor();
  // 09–12 and 13–17 in one-hour slots; the rest of the week has none.
  expect(await mondayCell.getByRole('button').count()).toBe(7);
  expect(await calendar.getByTestId('slot-day').nth(1).getByRole('button').count()).toBe(0);
  expect(await accessibilityViolations(clinic)).toEqual([]);

  await mondayCell.getByRole('button', { name: '10:00' }).click();
  await clinic.getByLabel('検査', { exact: true }).selectOption({ label: '頭部単純CT' });
  await clinic.getByLabel('依頼理由').fill('頭痛精査');
  await clinic.getByRole('button', { name: '予約する' }).click();
  await clinic.getByRole('status').filter({ hasText: '仮予約しました' }).waitFor();
  const bookings = clinic.getByTestId('bookings');
  await bookings.getByRole('row').filter({ hasText: '頭部単純CT' }).filter({ hasText: '確定待ち' }).waitFor();
  // The booked slot is no longer free.
  expect(await mondayCell.getByRole('button', { name: '10:00' }).count()).toBe(0);
  expect(await accessibilityViolations(clinic)).toEqual([]);
  await screenshot(clinic, 'exam-booking');

  const hospital = await signedInPage(browser, server.url, hospitalDoctor);
  await hospital.getByRole('tab', { name: 'この施設の予約' }).click();
  const held = hospital.getByTestId('bookings').getByRole('row').filter({ hasText: '頭部単純CT' });
  await held.getByRole('button', { name: '確定する' }).click();
  await held.getByText('確定', { exact: true }).waitFor();

  await clinic.getByRole('tab', { name: 'この施設の予約' }).click();
  await clinic.getByTestId('bookings').getByRole('row').filter({ hasText: '頭部単純CT' }).getByText('確定', { exact: true }).waitFor();

  const resident = await signedInPage(browser, server.url, residentToken, 'わたしの記録');
  await resident.getByRole('tab', { name: '検査の予約' }).click();
  await resident.getByTestId('my-bookings').getByRole('row').filter({ hasText: '頭部単純CT' }).getByText('確定', { exact: true }).waitFor();
  expect(await accessibilityViolations(resident)).toEqual([]);
  await Promise.all([clinic.context().close(), hospital.context().close(), resident.context().close()]);
}, 150_000);

test('a referral letter opens from the timeline as the CDA narrative and as its FHIR document', async () => {
  const hospital = await signedInPage(browser, server.url, hospitalDoctor);
  await openResident(hospital);
  await hospital.getByLabel('種別').selectOption('DOCUMENT');
  const letter = hospital.getByTestId('timeline').locator('tr[data-kind="DOCUMENT"]').getByRole('button');
  await letter.click();
  const dialog = hospital.getByRole('dialog');
  const narrative = dialog.getByTestId('cda-narrative');
  await narrative.getByRole('heading', { name: '傷病名・主訴' }).waitFor();
  expect(await narrative.getByRole('cell', { name: '慢性胃炎' }).count()).toBe(1);
  // Emphasis in the letter stays emphasis; its markup never becomes the console's.
  expect(await narrative.locator('strong', { hasText: '上腹部痛' }).count()).toBe(1);
  expect(await dialog.getByText('港診療所').count()).toBeGreaterThan(0);
  expect(await accessibilityViolations(hospital)).toEqual([]);
  await screenshot(hospital, 'referral-letter');

  await dialog.getByRole('tab', { name: 'FHIRドキュメント' }).click();
  const document = dialog.getByTestId('fhir-document');
  await document.getByText(/"type": "document"/).waitFor();
  expect(await document.getByText(/"resourceType": "Composition"/).count()).toBe(1);
  await hospital.context().close();
});
