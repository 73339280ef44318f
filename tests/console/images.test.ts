/**
 * Images in a real browser: a CT study a hospital sent over STOW-RS is on the resident's timeline at a clinic
 * with consent, and opens there as a DICOMweb viewer opens it: its series from QIDO-RS, the series' images from
 * the WADO-RS metadata and the pixels from the BulkDataURI it names, drawn (pixels, not a blank).
 */
import type { Browser } from 'playwright-core';
import { startTestServer, TestServer } from '../support/server';
import { as, facility, parameters, printedCard } from '../consent/support';
import { CT, CT_FILES, read, stow } from '../dicomweb/support';
import { accessibilityViolations, launchBrowser, screenshot, signedInPage } from './browser';

const BIRTH_DATE = '1960-01-01';

/** The part of a browser canvas the check reads (the tests compile without the DOM library). */
interface DrawnCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray } };
}
let server: TestServer;
let browser: Browser;
let clinicDoctor: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  const hospital = await facility(server, '1310001011', 'core-hospital', '利根中央病院');
  const clinic = await facility(server, '1310001022', 'clinic', '栗橋内科クリニック');
  const hospitalDoctor = await server.clientToken({ role: 'clinician', organization: hospital.reference });
  clinicDoctor = await server.clientToken({ name: '栗橋 医師', role: 'clinician', organization: clinic.reference });
  const gateway = await server.clientToken({ role: 'gateway', organization: hospital.reference });
  // The CT's Patient ID is the hospital's patient number.
  expect((await stow(server, gateway, [read(CT_FILES[1])])).status).toBe(200);
  const enrolled = await as(server, server.adminToken).post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '画像', given: ['三郎'] }], birthDate: BIRTH_DATE, gender: 'male' } }));
  const { cardNumber, cardSecret } = printedCard(enrolled.body);
  for (const [token, localId] of [[hospitalDoctor, CT.patientId], [clinicDoctor, 'C-10']]) {
    expect((await as(server, token).post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId, birthDate: BIRTH_DATE }))).status).toBe(200);
  }
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('a clinic opens the hospital CT from the timeline and sees the image', async () => {
  const page = await signedInPage(browser, server.url, clinicDoctor);
  const dicomweb: string[] = [];
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/dicomweb/')) dicomweb.push(pathname.replace(CT.study, '{study}').replace(CT.series, '{series}').replace(CT.sop, '{sop}'));
  });
  const search = page.getByRole('region', { name: '患者検索' });
  await search.getByLabel('氏名（かな・漢字）').fill('画像');
  await search.getByLabel('生年月日').fill(BIRTH_DATE);
  await search.getByRole('button', { name: '検索', exact: true }).click();
  await page.getByRole('row').filter({ hasText: '画像 三郎' }).getByRole('button', { name: '開く' }).click();
  const study = page.getByTestId('timeline').locator('tr[data-kind="IMAGING"]');
  expect(await study.innerText()).toContain('利根中央病院');
  await study.getByRole('button').click();
  const viewer = page.getByTestId('image-viewer');
  await viewer.locator('canvas[data-loaded="true"]').waitFor();
  // The series as QIDO-RS lists it, with its number of images.
  expect(await viewer.getByRole('button', { pressed: true }).innerText()).toMatch(/^CT .*\(1\)$/);
  expect([...new Set(dicomweb)]).toEqual(['/dicomweb/studies/{study}/series', '/dicomweb/studies/{study}/series/{series}/metadata', '/dicomweb/studies/{study}/series/{series}/instances/{sop}/bulkdata/7FE00010']);
  // The image is drawn: many distinct grey levels, not an empty canvas.
  const greys = await viewer.locator('canvas').evaluate((element) => {
    const canvas = element as unknown as DrawnCanvas;
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const levels = new Set<number>();
    for (let i = 0; i < data.length; i += 4) levels.add(data[i]);
    return { width: canvas.width, height: canvas.height, levels: levels.size };
  });
  expect(greys.width).toBe(512);
  expect(greys.levels).toBeGreaterThan(50);
  expect(await accessibilityViolations(page)).toEqual([]);
  await screenshot(page, 'image-viewer');
  await page.context().close();
});
