/**
 * Images in a real browser: CT studies hospitals sent over STOW-RS are on residents' timelines at clinics with
 * consent, and open there as a DICOMweb viewer opens them: their series from QIDO-RS, the series' images from
 * the WADO-RS metadata and each frame's pixels from WADO-RS frames in the syntax the hospital sent, drawn
 * (pixels, not a blank). The same CT instance sent uncompressed by one hospital and as JPEG-LS by another draws
 * the very same grey pixels; the JPEG-LS codec is fetched only then. Each frame of a 12-bit JPEG enhanced CT,
 * which the console cannot decode, says so.
 */
import type { Browser, Page } from 'playwright-core';
import { startTestServer, TestServer } from '../support/server';
import { as, facility, parameters, printedCard } from '../consent/support';
import { CT, CT_FILES, ENHANCED_CT, ENHANCED_CT_FILE, read, stow } from '../dicomweb/support';
import { accessibilityViolations, launchBrowser, screenshot, signedInPage } from './browser';

/** Patient ID (0010,0020) of the enhanced CT file. */
const ENHANCED_CT_PATIENT_ID = '0010';

/** The part of a browser canvas the check reads (the tests compile without the DOM library). */
interface DrawnCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray } };
}
interface Resident {
  family: string;
  given: string;
  birthDate: string;
}
const UNCOMPRESSED_CT: Resident = { family: '画像', given: '三郎', birthDate: '1960-01-01' };
const JPEG_LS_CT: Resident = { family: '画像', given: '四郎', birthDate: '1960-02-02' };
const ENHANCED: Resident = { family: '画像', given: '五郎', birthDate: '1960-03-03' };

let server: TestServer;
let browser: Browser;
let clinicDoctor: string;
let otherClinicDoctor: string;

/** The resident enrolled and their card linked at each facility under its own patient number. */
async function enrol(resident: Resident, links: [token: string, localId: string][]): Promise<void> {
  const enrolled = await as(server, server.adminToken).post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: resident.family, given: [resident.given] }], birthDate: resident.birthDate, gender: 'male' } }));
  const { cardNumber, cardSecret } = printedCard(enrolled.body);
  for (const [token, localId] of links) {
    expect((await as(server, token).post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId, birthDate: resident.birthDate }))).status).toBe(200);
  }
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  const hospital = await facility(server, '1310001011', 'core-hospital', '利根中央病院');
  const otherHospital = await facility(server, '1310001044', 'core-hospital', '古河総合病院');
  const clinic = await facility(server, '1310001022', 'clinic', '栗橋内科クリニック');
  const otherClinic = await facility(server, '1310001033', 'clinic', '幸手内科クリニック');
  const hospitalDoctor = await server.clientToken({ role: 'clinician', organization: hospital.reference });
  const otherHospitalDoctor = await server.clientToken({ role: 'clinician', organization: otherHospital.reference });
  clinicDoctor = await server.clientToken({ name: '栗橋 医師', role: 'clinician', organization: clinic.reference });
  otherClinicDoctor = await server.clientToken({ name: '幸手 医師', role: 'clinician', organization: otherClinic.reference });
  // The CT's Patient ID is the hospital's patient number; the other hospital sent its JPEG-LS copy of the same instance.
  const gateway = await server.clientToken({ role: 'gateway', organization: hospital.reference });
  const otherGateway = await server.clientToken({ role: 'gateway', organization: otherHospital.reference });
  expect((await stow(server, gateway, [read(CT_FILES[1]), read(ENHANCED_CT_FILE)])).status).toBe(200);
  expect((await stow(server, otherGateway, [read(CT_FILES[3])])).status).toBe(200);
  await enrol(UNCOMPRESSED_CT, [[hospitalDoctor, CT.patientId], [clinicDoctor, 'C-10']]);
  await enrol(JPEG_LS_CT, [[otherHospitalDoctor, CT.patientId], [otherClinicDoctor, 'C-20']]);
  await enrol(ENHANCED, [[hospitalDoctor, ENHANCED_CT_PATIENT_ID], [clinicDoctor, 'C-11']]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The resident's record opened from the patient search, and their imaging study from the timeline. */
async function openStudy(page: Page, resident: Resident, hospitalName: string) {
  const search = page.getByRole('region', { name: '患者検索' });
  await search.getByLabel('氏名（かな・漢字）').fill(resident.family);
  await search.getByLabel('生年月日').fill(resident.birthDate);
  await search.getByRole('button', { name: '検索', exact: true }).click();
  await page.getByRole('row').filter({ hasText: `${resident.family} ${resident.given}` }).getByRole('button', { name: '開く' }).click();
  const study = page.getByTestId('timeline').locator('tr[data-kind="IMAGING"]');
  expect(await study.innerText()).toContain(hospitalName);
  await study.getByRole('button').click();
  return page.getByTestId('image-viewer');
}

/** The drawn canvas: its size and its grey level (the red of each grey pixel) pixel by pixel. */
async function drawnGreys(page: Page): Promise<{ width: number; height: number; greys: number[] }> {
  await page.getByTestId('image-viewer').locator('canvas[data-loaded="true"]').waitFor();
  return page.getByTestId('image-viewer').locator('canvas').evaluate((element) => {
    const canvas = element as unknown as DrawnCanvas;
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    return { width: canvas.width, height: canvas.height, greys: Array.from(data.filter((_, i) => i % 4 === 0)) };
  });
}

/** Paths of the DICOMweb requests and of any codec fetched, the study's UIDs masked. */
function recordRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/dicomweb/')) seen.push(pathname.split(CT.study).join('{study}').split(CT.series).join('{series}').split(CT.sop).join('{sop}'));
    if (/jpeg-ls|charls/.test(pathname)) seen.push(`codec ${pathname.endsWith('.wasm') ? 'wasm' : 'script'}`);
  });
  return seen;
}

test('a clinic opens the hospital CT from the timeline and sees the image', async () => {
  const page = await signedInPage(browser, server.url, clinicDoctor);
  const requests = recordRequests(page);
  const viewer = await openStudy(page, UNCOMPRESSED_CT, '利根中央病院');
  const drawn = await drawnGreys(page);
  // The series as QIDO-RS lists it, with its number of images.
  expect(await viewer.getByRole('button', { pressed: true }).innerText()).toMatch(/^CT .*\(1\)$/);
  // No codec for an uncompressed image.
  expect([...new Set(requests)]).toEqual(['/dicomweb/studies/{study}/series', '/dicomweb/studies/{study}/series/{series}/metadata', '/dicomweb/studies/{study}/series/{series}/instances/{sop}/frames/1']);
  // The image is drawn: many distinct grey levels, not an empty canvas.
  expect([drawn.width, drawn.height]).toEqual([512, 512]);
  expect(new Set(drawn.greys).size).toBeGreaterThan(50);
  expect(await accessibilityViolations(page)).toEqual([]);
  await screenshot(page, 'image-viewer');
  await page.context().close();
});

test('the JPEG-LS copy of the CT draws exactly the grey pixels of the uncompressed one, its codec fetched only then', async () => {
  const uncompressedPage = await signedInPage(browser, server.url, clinicDoctor);
  await openStudy(uncompressedPage, UNCOMPRESSED_CT, '利根中央病院');
  const uncompressed = await drawnGreys(uncompressedPage);
  await uncompressedPage.context().close();

  const page = await signedInPage(browser, server.url, otherClinicDoctor);
  const requests = recordRequests(page);
  await openStudy(page, JPEG_LS_CT, '古河総合病院');
  const jpegLs = await drawnGreys(page);
  expect([...new Set(requests)]).toEqual(['/dicomweb/studies/{study}/series', '/dicomweb/studies/{study}/series/{series}/metadata', '/dicomweb/studies/{study}/series/{series}/instances/{sop}/frames/1', 'codec script', 'codec wasm']);
  expect([jpegLs.width, jpegLs.height]).toEqual([512, 512]);
  // JPEG-LS lossless, decoded and windowed alike: not one grey level apart anywhere.
  const differing = jpegLs.greys.filter((grey, i) => grey !== uncompressed.greys[i]).length;
  expect(differing).toBe(0);
  expect(new Set(jpegLs.greys).size).toBeGreaterThan(50);
  expect(await accessibilityViolations(page)).toEqual([]);
  await page.context().close();
  // Two sign-ins and two records opened, on a machine shared with other test runs.
}, 180_000);

test('each frame of the 12-bit JPEG enhanced CT says it is not drawn, and why', async () => {
  const page = await signedInPage(browser, server.url, clinicDoctor);
  const frames: string[] = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.includes(`/instances/${ENHANCED_CT.sop}/frames/`)) frames.push(path.slice(path.lastIndexOf('/') + 1));
  });
  const viewer = await openStudy(page, ENHANCED, '利根中央病院');
  const notice = viewer.getByRole('status').filter({ hasText: 'この画像は表示できません' });
  await notice.waitFor();
  expect(await notice.innerText()).toContain('JPEG 拡張（12ビット');
  expect(await notice.innerText()).toContain('1.2.840.10008.1.2.4.51');
  expect(await viewer.locator('canvas').getAttribute('data-loaded')).toBe('false');
  expect(await accessibilityViolations(page)).toEqual([]);
  // The slider steps through the instance's two frames.
  const slider = viewer.getByRole('slider', { name: '画像番号' });
  expect(await slider.getAttribute('aria-valuemax')).toBe('1');
  await slider.focus();
  const secondFrame = page.waitForResponse((response) => response.url().endsWith(`/instances/${ENHANCED_CT.sop}/frames/2`));
  await page.keyboard.press('ArrowRight');
  expect((await secondFrame).status()).toBe(200);
  // The first frame's notice went when the second was asked for; this one is the second frame's.
  await notice.waitFor();
  expect(await viewer.locator('canvas').getAttribute('aria-label')).toMatch(/2\/2$/);
  expect(await notice.innerText()).toContain('1.2.840.10008.1.2.4.51');
  expect(frames).toEqual(['1', '2']);
  await page.context().close();
}, 120_000);
