/**
 * WADO-RS at study and series level over a real socket: the instances as multipart/related and their metadata
 * as DICOM JSON, with the pixel data behind its BulkDataURI, for a facility whose consent lets it read the
 * ImagingStudy stored with the instances; for one without, the same "not found" as a study that never
 * existed. Every retrieval is audited, served or not.
 */
import { sql } from '../../src/core/sql';
import { parseMediaType, parseMultipart } from '../../src/dicomweb/multipart';
import { as, facility, parameters, printedCard } from '../consent/support';
import { startTestServer, TestServer } from '../support/server';
import { CT, CT_FILES, ENHANCED_CT, ENHANCED_CT_FILE, read, stow } from './support';

let server: TestServer;
let clinicToken: string;
let strangerToken: string;
let clinic: { reference: string };
let stranger: { reference: string };

beforeAll(async () => {
  server = await startTestServer();
  const hospital = await facility(server, '1310001211', 'core-hospital', '利根中央病院');
  clinic = await facility(server, '1310001222', 'clinic', '栗橋内科クリニック');
  stranger = await facility(server, '1310001233', 'clinic', '他院クリニック');
  const gateway = await server.clientToken({ role: 'gateway', organization: hospital.reference });
  expect((await stow(server, gateway, [read(CT_FILES[1]), read(ENHANCED_CT_FILE)])).status).toBe(200);
  const hospitalToken = await server.clientToken({ role: 'clinician', organization: hospital.reference });
  clinicToken = await server.clientToken({ role: 'clinician', organization: clinic.reference });
  strangerToken = await server.clientToken({ role: 'clinician', organization: stranger.reference });
  const enrolled = await as(server, server.adminToken).post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '画像', given: ['五郎'] }], birthDate: '1961-01-01', gender: 'male' } }));
  const { cardNumber, cardSecret } = printedCard(enrolled.body);
  for (const [token, localId] of [[hospitalToken, CT.patientId], [clinicToken, 'C-13']]) {
    expect((await as(server, token).post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId, birthDate: '1961-01-01' }))).status).toBe(200);
  }
});
afterAll(async () => server?.close());

async function get(token: string, path: string, accept?: string): Promise<{ status: number; contentType: string; body: Buffer }> {
  const res = await fetch(path.startsWith('http') ? path : `${server.url}/dicomweb/${path}`, { headers: { authorization: `Bearer ${token}`, ...(accept ? { accept } : {}) } });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
}

function parts(answer: { contentType: string; body: Buffer }) {
  const { mediaType, parameters: media } = parseMediaType(answer.contentType);
  expect(mediaType).toBe('multipart/related');
  return parseMultipart(answer.body, media.boundary);
}

const ctFile = read(CT_FILES[1]);
const studyPath = `studies/${CT.study}`;
const seriesPath = `${studyPath}/series/${CT.series}`;

test('a facility with consent retrieves the study and the series as their DICOM files', async () => {
  for (const path of [studyPath, seriesPath]) {
    const answer = await get(clinicToken, path, 'multipart/related; type="application/dicom"');
    expect([path, answer.status]).toEqual([path, 200]);
    const files = parts(answer);
    // The other study the hospital sent is not in this one.
    expect(files.map((part) => part.body.equals(ctFile))).toEqual([true]);
    expect(files[0].headers['content-type']).toBe('application/dicom; transfer-syntax=1.2.840.10008.1.2.1');
  }
  expect((await get(clinicToken, `studies/${ENHANCED_CT.study}/series/${CT.series}`)).status).toBe(404);
});

test('metadata at study and series level is each instance as DICOM JSON, its pixels behind the BulkDataURI', async () => {
  for (const path of [`${studyPath}/metadata`, `${seriesPath}/metadata`, `${seriesPath}/instances/${CT.sop}/metadata`]) {
    const answer = await get(clinicToken, path, 'application/dicom+json');
    expect([path, answer.status, answer.contentType]).toEqual([path, 200, expect.stringContaining('application/dicom+json')]);
    const [instance, ...others] = JSON.parse(answer.body.toString('utf8'));
    expect(others).toEqual([]);
    expect(instance['00080018']).toEqual({ vr: 'UI', Value: [CT.sop] });
    expect(instance['00280010']).toEqual({ vr: 'US', Value: [512] });
    expect(instance['7FE00010'].BulkDataURI).toBe(`${server.url}/dicomweb/${seriesPath}/instances/${CT.sop}/bulkdata/7FE00010`);
  }
  const [instance] = JSON.parse((await get(clinicToken, `${seriesPath}/metadata`)).body.toString('utf8'));
  const pixels = await get(clinicToken, instance['7FE00010'].BulkDataURI);
  expect(pixels.status).toBe(200);
  const [part] = parts(pixels);
  expect(part.headers['content-type']).toBe('application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1');
  expect(part.body.length).toBe(512 * 512 * 2);
  // The pixel data as the file holds it (a padding element follows it in this file).
  expect(ctFile.includes(part.body)).toBe(true);
});

test('a facility without consent gets what a study that never existed gets, at every level, and each try is audited', async () => {
  const paths = (study: string, series: string) => [`studies/${study}`, `studies/${study}/series/${series}`, `studies/${study}/metadata`, `studies/${study}/series/${series}/metadata`, `studies/${study}/series/${series}/instances/${CT.sop}/bulkdata/7FE00010`];
  const hidden = paths(CT.study, CT.series);
  const absent = paths('1.2.3.4', '1.2.3.4.5');
  for (const [index, path] of hidden.entries()) {
    const answer = await get(strangerToken, path);
    const never = await get(strangerToken, absent[index]);
    expect([path, answer.status]).toEqual([path, 404]);
    expect(answer.body.toString('utf8').split(CT.study).join('<study>').split(CT.series).join('<series>')).toBe(never.body.toString('utf8').split('1.2.3.4.5').join('<series>').split('1.2.3.4').join('<study>'));
  }
  const rows = await server.tonet.db.query<{ organization: string; outcome: string; patient_ids: string[]; event: string }>(
    sql`SELECT organization, outcome, patient_ids, event FROM audit_event WHERE action = 'read' AND event LIKE ${`%WADO-RS GET studies/${CT.study}%`} ORDER BY seq`
  );
  const byStranger = rows.filter((row) => row.organization === stranger.reference);
  expect(byStranger.map((row) => [row.outcome, row.patient_ids])).toEqual(hidden.map(() => ['4', []]));
  const byClinic = rows.filter((row) => row.organization === clinic.reference);
  expect(byClinic.length).toBeGreaterThanOrEqual(6);
  expect(byClinic.every((row) => row.outcome === '0' && row.patient_ids.length > 0)).toBe(true);
});
