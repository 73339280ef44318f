/**
 * WADO-RS frames over a real socket: a compressed instance's frames in the transfer syntax they were sent in
 * (JPEG-LS, and the two frames of a JPEG enhanced CT whose fragments have no offset table), as octet-stream
 * or as their own image media type; a native instance's frame as its pixel data. A facility without consent
 * gets what an instance that never existed gets, and every request is audited as an instance retrieval is.
 */
import dicomParser from 'dicom-parser';
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

const ANY_SYNTAX = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
const JPEG_LS = '1.2.840.10008.1.2.4.80';
const JPEG_EXTENDED = '1.2.840.10008.1.2.4.51';
const jpegLsFile = read(CT_FILES[3]);
const enhancedFile = read(ENHANCED_CT_FILE);
/** Patient ID (0010,0020) of the enhanced CT file. */
const ENHANCED_CT_PATIENT_ID = '0010';

beforeAll(async () => {
  server = await startTestServer();
  const hospital = await facility(server, '1310001311', 'core-hospital', '利根中央病院');
  clinic = await facility(server, '1310001322', 'clinic', '栗橋内科クリニック');
  stranger = await facility(server, '1310001333', 'clinic', '他院クリニック');
  const gateway = await server.clientToken({ role: 'gateway', organization: hospital.reference });
  expect((await stow(server, gateway, [jpegLsFile, enhancedFile])).status).toBe(200);
  const hospitalToken = await server.clientToken({ role: 'clinician', organization: hospital.reference });
  clinicToken = await server.clientToken({ role: 'clinician', organization: clinic.reference });
  strangerToken = await server.clientToken({ role: 'clinician', organization: stranger.reference });
  // The two CTs are of two patients, each known at the hospital by the Patient ID of their file.
  for (const [given, hospitalPatientId, clinicPatientId] of [['六郎', CT.patientId, 'C-14'], ['七郎', ENHANCED_CT_PATIENT_ID, 'C-15']]) {
    const birthDate = '1962-01-01';
    const enrolled = await as(server, server.adminToken).post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '画像', given: [given] }], birthDate, gender: 'male' } }));
    const { cardNumber, cardSecret } = printedCard(enrolled.body);
    for (const [token, localId] of [[hospitalToken, hospitalPatientId], [clinicToken, clinicPatientId]]) {
      expect((await as(server, token).post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId, birthDate }))).status).toBe(200);
    }
  }
});
afterAll(async () => server?.close());

async function get(token: string, path: string, accept?: string): Promise<{ status: number; contentType: string; body: Buffer }> {
  const res = await fetch(`${server.url}/dicomweb/${path}`, { headers: { authorization: `Bearer ${token}`, ...(accept ? { accept } : {}) } });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
}

function parts(answer: { contentType: string; body: Buffer }) {
  const { mediaType, parameters: media } = parseMediaType(answer.contentType);
  expect(mediaType).toBe('multipart/related');
  return parseMultipart(answer.body, media.boundary);
}

/** Each frame's bitstream as dicomParser's own reader of the file gives it, the offsets found from JPEG markers. */
function framesOfFile(file: Buffer): Buffer[] {
  const dataSet = dicomParser.parseDicom(file);
  const pixelData = dataSet.elements.x7fe00010;
  const offsets = dicomParser.createJPEGBasicOffsetTable(dataSet, pixelData);
  return offsets.map((_, index) => Buffer.from(dicomParser.readEncapsulatedImageFrame(dataSet, pixelData, index, offsets)));
}

const jpegLsPath = `studies/${CT.study}/series/${CT.series}/instances/${CT.sop}`;
const enhancedPath = `studies/${ENHANCED_CT.study}/series/${ENHANCED_CT.series}/instances/${ENHANCED_CT.sop}`;

test('the JPEG-LS frame is its bitstream as stored, as octet-stream naming the syntax or as image/jls', async () => {
  const [expected] = framesOfFile(jpegLsFile);
  for (const [accept, partType] of [
    [ANY_SYNTAX, `application/octet-stream; transfer-syntax=${JPEG_LS}`],
    [`multipart/related; type="application/octet-stream"; transfer-syntax=${JPEG_LS}`, `application/octet-stream; transfer-syntax=${JPEG_LS}`],
    ['multipart/related; type="image/jls"', `image/jls; transfer-syntax=${JPEG_LS}`],
  ]) {
    const answer = await get(clinicToken, `${jpegLsPath}/frames/1`, accept);
    expect([accept, answer.status]).toEqual([accept, 200]);
    const [part, ...others] = parts(answer);
    expect(others).toEqual([]);
    expect(part.headers['content-type']).toBe(partType);
    // A whole JPEG-LS codestream: SOI, the SOF55 of JPEG-LS, …, EOI.
    expect([...part.body.subarray(0, 4)]).toEqual([0xff, 0xd8, 0xff, 0xf7]);
    expect(part.body.equals(expected)).toBe(true);
  }
});

test('each frame of the two-frame enhanced CT is one JPEG, whether asked one at a time or together', async () => {
  const expected = framesOfFile(enhancedFile);
  expect(expected).toHaveLength(2);
  const together = parts(await get(clinicToken, `${enhancedPath}/frames/1,2`, ANY_SYNTAX));
  expect(together.map((part) => part.headers['content-type'])).toEqual([`application/octet-stream; transfer-syntax=${JPEG_EXTENDED}`, `application/octet-stream; transfer-syntax=${JPEG_EXTENDED}`]);
  expect(together.map((part, index) => part.body.equals(expected[index]))).toEqual([true, true]);
  const second = parts(await get(clinicToken, `${enhancedPath}/frames/2`, 'multipart/related; type="image/jpeg"'));
  expect(second.map((part) => [part.headers['content-type'], part.body.equals(expected[1])])).toEqual([[`image/jpeg; transfer-syntax=${JPEG_EXTENDED}`, true]]);
  expect((await get(clinicToken, `${enhancedPath}/frames/3`, ANY_SYNTAX)).status).toBe(404);
  for (const list of ['0', '1,x', '-1']) expect([list, (await get(clinicToken, `${enhancedPath}/frames/${list}`, ANY_SYNTAX)).status]).toEqual([list, 400]);
});

test('frames are not transcoded: an Accept that names another syntax or media type is 406', async () => {
  for (const accept of ['multipart/related; type="application/octet-stream"', 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1', 'multipart/related; type="image/jpeg"']) {
    expect([accept, (await get(clinicToken, `${jpegLsPath}/frames/1`, accept)).status]).toEqual([accept, 406]);
  }
});

test('a facility without consent gets what an instance that never existed gets, and each try is audited', async () => {
  for (const [path, study] of [[`${jpegLsPath}/frames/1`, CT.study], [`${enhancedPath}/frames/1,2`, ENHANCED_CT.study]]) {
    const hidden = await get(strangerToken, path, ANY_SYNTAX);
    const never = await get(strangerToken, path.replace(study, '1.2.3.4'), ANY_SYNTAX);
    expect([path, hidden.status]).toEqual([path, 404]);
    expect(hidden.body.toString('utf8').split(study).join('<study>')).toBe(never.body.toString('utf8').split('1.2.3.4').join('<study>'));
  }
  const rows = await server.tonet.db.query<{ organization: string; outcome: string; patient_ids: string[]; event: string }>(
    sql`SELECT organization, outcome, patient_ids, event FROM audit_event WHERE action = 'read' AND event LIKE ${'%WADO-RS GET studies/%/frames/%'} ORDER BY seq`
  );
  const byStranger = rows.filter((row) => row.organization === stranger.reference && !row.event.includes('1.2.3.4'));
  expect(byStranger.map((row) => [row.outcome, row.patient_ids])).toEqual([['4', []], ['4', []]]);
  const byClinic = rows.filter((row) => row.organization === clinic.reference);
  expect(byClinic.length).toBeGreaterThanOrEqual(3);
  expect(byClinic.every((row) => row.outcome === '0' && row.patient_ids.length > 0)).toBe(true);
  expect(byClinic.some((row) => row.event.includes(`${enhancedPath}/frames/1,2 → 200`))).toBe(true);
});
