/**
 * The resident's own screens in a real browser: emergency information saved for the emergency team, the
 * access log naming the doctor who looked, and a facility's consent revoked, after which that facility
 * sees only its own record of the resident; a copy of the whole record requested and saved.
 */
import type { Browser } from 'playwright-core';
import { startTestServer, TestServer } from '../support/server';
import { as, facility, Facility, parameters, printedCard } from '../consent/support';
import { graphql } from '../transports/graphql/support';
import { accessibilityViolations, launchBrowser, screenshot, signedInPage } from './browser';

const BIRTH_DATE = '1948-08-08';
let server: TestServer;
let browser: Browser;
let clinic: Facility;
let hospital: Facility;
let clinicDoctor: ReturnType<typeof as>;
let residentToken: string;
let patientId: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  hospital = await facility(server, '1310000811', 'core-hospital', '利根中央病院');
  clinic = await facility(server, '1310000822', 'clinic', '栗橋内科クリニック');
  const hospitalDoctor = as(server, await server.clientToken({ name: '利根 太郎', role: 'clinician', organization: hospital.reference }));
  clinicDoctor = as(server, await server.clientToken({ name: '栗橋 医師', role: 'clinician', organization: clinic.reference }));
  const enrolled = await as(server, server.adminToken).post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '本人', given: ['幸子'] }], birthDate: BIRTH_DATE, gender: 'female' }, emergencyUse: true }));
  patientId = enrolled.body.id;
  const { cardNumber, cardSecret } = printedCard(enrolled.body);
  for (const [doctor, localId] of [[hospitalDoctor, 'H-8'], [clinicDoctor, 'C-8']] as const) {
    expect((await doctor.post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId, birthDate: BIRTH_DATE }))).status).toBe(200);
  }
  // The hospital doctor looks at the record: the resident's access log is to name them.
  expect((await hospitalDoctor.get(`/fhir/Patient/${patientId}/$everything`)).status).toBe(200);
  residentToken = await server.clientToken({ name: '本人 幸子', role: 'resident', patient: `Patient/${patientId}` });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('the resident saves emergency information, sees who looked, and revokes a facility', async () => {
  const page = await signedInPage(browser, server.url, residentToken, 'わたしの記録');
  expect(await accessibilityViolations(page)).toEqual([]);

  await page.getByRole('tab', { name: '救急時情報' }).click();
  await page.getByLabel('緊急連絡先（氏名）').fill('本人 一郎');
  await page.getByLabel('続柄').fill('長男');
  await page.getByLabel('電話番号').fill('090-1234-5678');
  await page.getByLabel('アレルギー').fill('ペニシリン\nそば');
  await page.getByLabel('かかりつけ医').selectOption({ label: '栗橋内科クリニック' });
  await page.getByRole('button', { name: '保存' }).click();
  await page.getByRole('status').filter({ hasText: '保存しました' }).waitFor();
  expect(await accessibilityViolations(page)).toEqual([]);
  await screenshot(page, 'resident-emergency-info');
  const saved = JSON.stringify((await graphql(server, residentToken, '{ myRecord { emergencyInfo } }')).data.myRecord.emergencyInfo);
  for (const value of ['本人 一郎', '090-1234-5678', 'ペニシリン', 'そば', clinic.reference]) expect(saved).toContain(value);

  await page.getByRole('tab', { name: '閲覧履歴' }).click();
  const log = page.getByTestId('access-log');
  // The person and, once its name is looked up, the facility they acted for.
  const looked = log.getByRole('row').filter({ hasText: '利根 太郎' }).filter({ hasText: '利根中央病院' }).first();
  await looked.waitFor();
  expect(await looked.innerText()).toContain('閲覧');
  expect(await accessibilityViolations(page)).toEqual([]);
  await screenshot(page, 'resident-access-log');

  await page.getByRole('tab', { name: '情報共有の同意' }).click();
  const consents = page.getByTestId('consents');
  const clinicRow = consents.getByRole('row').filter({ hasText: '栗橋内科クリニック' });
  await clinicRow.getByText('同意中').waitFor();
  expect(await consents.getByRole('row').filter({ hasText: '利根中央病院' }).getByText('同意中').count()).toBe(1);
  expect((await clinicDoctor.get(`/fhir/Patient/${patientId}`)).status).toBe(200);
  page.once('dialog', (dialog) => void dialog.accept());
  await clinicRow.getByRole('button', { name: '撤回' }).click();
  await clinicRow.getByText('撤回済み').waitFor();
  expect(await consents.getByRole('row').filter({ hasText: '利根中央病院' }).getByText('同意中').count()).toBe(1);
  expect(await accessibilityViolations(page)).toEqual([]);
  await screenshot(page, 'resident-consents');

  // The server, not the screen, decides: the clinic keeps only its own record, not the regional one.
  expect((await clinicDoctor.get(`/fhir/Patient/${patientId}`)).status).toBe(404);
  const search = await clinicDoctor.get(`/fhir/Patient?birthdate=${BIRTH_DATE}&name=${encodeURIComponent('本人')}`);
  expect(search.status).toBe(200);
  expect((search.body.entry ?? []).map((e: any) => e.resource.meta.source)).toEqual([clinic.reference]);
  await page.context().close();
}, 150_000);

test('the resident requests a copy of their record from every facility and saves it', async () => {
  const page = await signedInPage(browser, server.url, residentToken, 'わたしの記録');
  await page.getByRole('tab', { name: '記録の写し' }).click();
  await page.getByRole('button', { name: '記録の写しを請求する' }).click();
  const copy = page.getByTestId('record-copy');
  await copy.waitFor();
  // The regional Patient and both facilities' local records, the clinic's too although its consent was revoked above.
  expect(await copy.locator('tr[data-type="Patient"]').innerText()).toMatch(/^患者基本情報 Patient\s+3$/);
  // Every kind it holds is named in Japanese, the FHIR type beside it.
  const rows = await copy.locator('tbody tr').allInnerTexts();
  expect(rows.length).toBeGreaterThan(1);
  expect(rows.filter((row) => !/^[^\x00-\x7f].* [A-Z][A-Za-z]+\s+\d+$/.test(row))).toEqual([]);
  expect(await accessibilityViolations(page)).toEqual([]);
  await screenshot(page, 'resident-record-copy');
  const [download] = await Promise.all([page.waitForEvent('download'), copy.getByRole('link', { name: '写しを保存（FHIR JSON）' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^tonet-record-\d{4}-\d{2}-\d{2}\.json$/);
  const saved = JSON.parse(await streamText(await download.createReadStream()));
  expect(saved.resourceType).toBe('Bundle');
  const sources = saved.entry.filter((e: any) => e.resource.resourceType === 'Patient').map((e: any) => e.resource.meta?.source).filter(Boolean).sort();
  expect(sources).toEqual([hospital.reference, clinic.reference].sort());
  // Asked by the resident themselves, and on their record's audit trail.
  const audit = await as(server, server.adminToken).get(`/fhir/AuditEvent?patient=Patient/${patientId}&_count=100`);
  expect(JSON.stringify(audit.body)).toContain(`$disclosure of Patient/${patientId}`);
  // Only through their regional record: a facility's local record of them is not theirs to ask by.
  const hospitalRecord = saved.entry.find((e: any) => e.resource.resourceType === 'Patient' && e.resource.meta?.source === hospital.reference).resource.id;
  expect((await as(server, residentToken).get(`/fhir/Patient/${hospitalRecord}/$disclosure`)).status).toBe(403);
  await page.context().close();
});

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
