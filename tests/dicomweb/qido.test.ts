/**
 * QIDO-RS over a real socket: studies, series and instances as DICOM JSON for a facility whose consent lets
 * it read the ImagingStudy, nothing for one without, matching on StudyInstanceUID, StudyDate and modality;
 * only what WADO-RS would serve is listed, so an ImagingStudy that merely quotes the Study UID lists nothing.
 */
import { as, facility, parameters, printedCard } from '../consent/support';
import { startTestServer, TestServer } from '../support/server';
import { CT, CT_FILES, read, stow } from './support';

let server: TestServer;
let clinicToken: string;
let strangerToken: string;

beforeAll(async () => {
  server = await startTestServer();
  const hospital = await facility(server, '1310001211', 'core-hospital', '利根中央病院');
  const clinic = await facility(server, '1310001222', 'clinic', '栗橋内科クリニック');
  const stranger = await facility(server, '1310001233', 'clinic', '他院クリニック');
  const gateway = await server.clientToken({ role: 'gateway', organization: hospital.reference });
  expect((await stow(server, gateway, [read(CT_FILES[1])])).status).toBe(200);
  const hospitalToken = await server.clientToken({ role: 'clinician', organization: hospital.reference });
  clinicToken = await server.clientToken({ role: 'clinician', organization: clinic.reference });
  strangerToken = await server.clientToken({ role: 'clinician', organization: stranger.reference });
  const enrolled = await as(server, server.adminToken).post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '画像', given: ['四郎'] }], birthDate: '1961-01-01', gender: 'male' } }));
  const { cardNumber, cardSecret } = printedCard(enrolled.body);
  for (const [token, localId] of [[hospitalToken, CT.patientId], [clinicToken, 'C-12']]) {
    expect((await as(server, token).post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId, birthDate: '1961-01-01' }))).status).toBe(200);
  }
});
afterAll(async () => server?.close());

async function qido(token: string, path: string): Promise<{ status: number; contentType: string; body: any }> {
  const res = await fetch(`${server.url}/dicomweb/${path}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/dicom+json' } });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.json() };
}

const value = (item: any, tag: string) => item[tag]?.Value?.[0];

test('a facility with consent finds the study, its series and its instance, and retrieves by the URL given', async () => {
  const studies = await qido(clinicToken, `studies?StudyInstanceUID=${CT.study}`);
  expect(studies.status).toBe(200);
  expect(studies.contentType).toContain('application/dicom+json');
  expect(studies.body).toHaveLength(1);
  expect(value(studies.body[0], '0020000D')).toBe(CT.study);
  expect(studies.body[0]['00080061'].Value).toEqual(['CT']);
  expect(value(studies.body[0], '00201208')).toBe(1);

  const series = await qido(clinicToken, `studies/${CT.study}/series`);
  expect(series.body.map((s: any) => value(s, '0020000E'))).toEqual([CT.series]);
  const instances = await qido(clinicToken, `studies/${CT.study}/series/${CT.series}/instances`);
  expect(instances.body.map((i: any) => value(i, '00080018'))).toEqual([CT.sop]);
  const retrieve = await fetch(value(instances.body[0], '00081190'), { headers: { authorization: `Bearer ${clinicToken}` } });
  expect(retrieve.status).toBe(200);
});

test('StudyDate and ModalitiesInStudy match; an unknown key is a 400 naming it', async () => {
  const [study] = (await qido(clinicToken, `studies?StudyInstanceUID=${CT.study}`)).body;
  const date = value(study, '00080020');
  expect(date).toMatch(/^\d{8}$/);
  expect((await qido(clinicToken, `studies?StudyDate=${date}`)).body).toHaveLength(1);
  expect((await qido(clinicToken, 'studies?StudyDate=19990101')).body).toEqual([]);
  // The study's own date (its offset is -04:00), not the Japanese day it fell on.
  expect((await qido(clinicToken, 'studies?StudyDate=20040827')).body).toEqual([]);
  expect((await qido(clinicToken, `studies?StudyDate=${date}-`)).body).toHaveLength(1);
  expect((await qido(clinicToken, `studies?StudyDate=-20040825`)).body).toEqual([]);
  expect((await qido(clinicToken, 'studies?ModalitiesInStudy=CT')).body).toHaveLength(1);
  expect((await qido(clinicToken, 'studies?ModalitiesInStudy=MR')).body).toEqual([]);
  const unknown = await qido(clinicToken, 'studies?PatientName=X');
  expect(unknown.status).toBe(400);
  expect(JSON.stringify(unknown.body)).toContain('PatientName');
});

test('a facility without consent finds nothing at any level', async () => {
  expect((await qido(strangerToken, 'studies')).body).toEqual([]);
  expect((await qido(strangerToken, `studies?StudyInstanceUID=${CT.study}`)).body).toEqual([]);
  expect((await qido(strangerToken, `studies/${CT.study}/series`)).body).toEqual([]);
  expect((await qido(strangerToken, `studies/${CT.study}/series/${CT.series}/instances`)).body).toEqual([]);
});

test('an ImagingStudy quoting the Study UID without its facility having sent the images lists nothing of its own', async () => {
  // The clinic's own record of the patient, made when it linked the card as C-12.
  const [clinicPatient] = (await as(server, clinicToken).get('/fhir/Patient?identifier=C-12')).body.entry.map((e: any) => e.resource.id);
  const quoting = await as(server, clinicToken).post('/fhir/ImagingStudy', {
    resourceType: 'ImagingStudy',
    status: 'available',
    identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${CT.study}` }],
    subject: { reference: `Patient/${clinicPatient}` },
    series: [{ uid: '1.2.392.999.1', modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'MR' }, instance: [{ uid: '1.2.392.999.1.1', sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.4' } }] }],
  });
  expect(quoting.status).toBe(201);
  // The clinic reads both ImagingStudies over FHIR, but only the hospital's has images behind it.
  expect((await as(server, clinicToken).get(`/fhir/ImagingStudy?identifier=urn:dicom:uid|urn:oid:${CT.study}`)).body.entry).toHaveLength(2);
  const studies = await qido(clinicToken, `studies?StudyInstanceUID=${CT.study}`);
  expect(studies.body.map((s: any) => [value(s, '00201206'), value(s, '00201208')])).toEqual([[1, 1]]);
  expect((await qido(clinicToken, 'studies?ModalitiesInStudy=MR')).body).toEqual([]);
  expect((await qido(clinicToken, `studies/${CT.study}/series`)).body.map((s: any) => value(s, '0020000E'))).toEqual([CT.series]);
  expect((await qido(clinicToken, `studies/${CT.study}/series/1.2.392.999.1/instances`)).body).toEqual([]);
});
