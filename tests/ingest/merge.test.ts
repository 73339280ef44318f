/**
 * Updates from the source over what is stored. What Tonet added survives: after $link-card linked the facility's
 * Patient to the regional one, the facility's next ADT update of that Patient (ADT-00, an A08) keeps the link, and
 * so the card link and the facility's access survive it. An ADT-01 attending-doctor change (A54) and its cancel
 * (A55) update the stay's one Encounter: the new doctor from the change, then the doctor before it again, the
 * admission time and the admitting doctor kept. An
 * OMI^Z23 order arriving after the study's images joins the ImagingStudy they made and keeps their series and instances.
 */
import fs from 'node:fs';
import { fixturePath } from '../fixtures';
import { as, facility, parameters, printedCard } from '../consent/support';
import { CT, CT_FILES, read, stow, studySearch } from '../dicomweb/support';
import { startTestServer, TestServer } from '../support/server';
import { goldenText, samplePath, setField, withSegment } from '../mapping/hl7v2/helpers';
import { FACILITY_CODE } from './support';

const ADT00 = fixturePath('ssmix2-nho', 'sampleData', '999', '901', '9999013', '-', 'ADT-00', '9999013_-_ADT-00_999999999999999_20111220224447339_-_1');

let server: TestServer;
let gateway: ReturnType<typeof as>;
let clinician: ReturnType<typeof as>;
beforeAll(async () => {
  server = await startTestServer();
  const hospital = await facility(server, FACILITY_CODE, 'core-hospital', '登呂病院');
  gateway = as(server, await server.clientToken({ role: 'gateway', organization: hospital.reference }));
  clinician = as(server, await server.clientToken({ role: 'clinician', organization: hospital.reference }));
});
afterAll(async () => server?.close());

test('an ADT update of a linked Patient keeps its Patient.link', async () => {
  const message = fs.readFileSync(ADT00, 'latin1');
  expect((await gateway.post('/hl7/v2', message, 'x-application/hl7-v2+er7')).body).toMatch(/MSA\|AA/);

  const enrolled = await as(server, server.adminToken).post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '患者', given: ['太郎'] }], birthDate: '1950-02-02', gender: 'male' }, emergencyUse: false }));
  const regionalId = enrolled.body.id;
  const linked = await clinician.post('/fhir/Patient/$link-card', parameters({ ...printedCard(enrolled.body), localId: '9999013', birthDate: '1950-02-02' }));
  expect(linked.status).toBe(200);
  const local = async () => (await clinician.get(`/fhir/Patient?identifier=urn:oid:1.2.392.100495.20.3.51.1${FACILITY_CODE}|9999013`)).body.entry[0].resource;
  const before = await local();
  expect(before.link).toEqual([{ other: { reference: `Patient/${regionalId}` }, type: 'seealso' }]);

  // The same patient's record sent again with a new control id: an update.
  const update = message.split('\r').map((segment, i) => (i === 0 ? segment.split('|').map((field, n) => (n === 9 ? 'UPDATE-1' : field)).join('|') : segment)).join('\r');
  expect(update).not.toBe(message);
  expect((await gateway.post('/hl7/v2', update, 'x-application/hl7-v2+er7')).body).toMatch(/MSA\|AA/);
  const after = await local();
  expect(Number(after.meta.versionId)).toBeGreaterThan(Number(before.meta.versionId));
  expect(after.link).toEqual(before.link);
  // The card link still opens the regional record to the facility.
  expect((await clinician.get(`/fhir/Patient/${regionalId}`)).status).toBe(200);
});

test('an OMI^Z23 order arriving after the images keeps their series and instances, and adds the order', async () => {
  const hospital = await facility(server, '1319999991', 'core-hospital', '画像病院');
  const gatewayToken = await server.clientToken({ role: 'gateway', organization: hospital.reference });
  const gateway = as(server, gatewayToken);
  const clinician = as(server, await server.clientToken({ role: 'clinician', organization: hospital.reference }));
  const study = async () => {
    const found = (await clinician.get(`/fhir/${studySearch(CT.study)}`)).body.entry ?? [];
    expect(found).toHaveLength(1);
    return found[0].resource;
  };

  expect((await stow(server, gatewayToken, [read(CT_FILES[0])])).status).toBe(200);
  const imaged = await study();
  expect(imaged.series).toEqual([expect.objectContaining({ uid: CT.series, instance: [expect.objectContaining({ uid: CT.sop })] })]);

  const order = [
    'MSH|^~\\&|HIS|1319999991|GW|RCV|20040826190000||OMI^Z23^OMI_Z23|ORDER-AFTER-IMAGES-1|P|2.5',
    `PID|0001||${CT.patientId}^^^^PI||COMPRESSEDSAMPLES^CT1^^^^^L^A||19700101|M`,
    'ORC|NW|2004082600001|||||||20040826180000|D1^DOCTOR^ONE^^^^^^^L',
    'OBR||2004082600001||31000000000000000^CT CHEST^JJ1017|||20040826184500',
    `IPC|A0001|P0001|${CT.study}||CT~SR`,
  ].join('\r');
  expect((await gateway.post('/hl7/v2', order, 'x-application/hl7-v2+er7')).body).toMatch(/MSA\|AA/);
  const merged = await study();
  expect(merged.id).toBe(imaged.id);
  expect(merged.subject).toEqual(imaged.subject);
  expect(merged.series).toEqual(imaged.series);
  expect(merged).toMatchObject({ numberOfSeries: 1, numberOfInstances: 1 });
  expect(merged.modality.map((m: { code: string }) => m.code).sort()).toEqual(['CT', 'SR']);
  expect(merged.identifier).toEqual(expect.arrayContaining(imaged.identifier));
  expect(merged.basedOn).toEqual([{ reference: expect.stringMatching(/^ServiceRequest\//) }]);
  expect(merged.procedureCode[0].coding[0].code).toBe('31000000000000000');

  // The same order sent again changes nothing.
  const again = order.replace('ORDER-AFTER-IMAGES-1', 'ORDER-AFTER-IMAGES-2');
  expect((await gateway.post('/hl7/v2', again, 'x-application/hl7-v2+er7')).body).toMatch(/MSA\|AA/);
  expect((await study()).meta.versionId).toBe(merged.meta.versionId);
});

/** The golden inputs are UTF-8 text; MSH-18 says so instead of the NHO samples' ISO IR87. */
const utf8 = (text: string) => withSegment(text, 'MSH', 1, (line) => setField(line, 18, 'UNICODE UTF-8'));

test('A01, A54, A55: AA each, one Encounter whose attending doctor changes and changes back', async () => {
  const stay = async () => {
    const found = await clinician.get(`/fhir/Encounter?identifier=${encodeURIComponent(`urn:tonet:encounter:${FACILITY_CODE}`)}|${encodeURIComponent('9999013:stay:open')}`);
    expect(found.body.entry).toHaveLength(1);
    const encounter = found.body.entry[0].resource;
    return {
      id: encounter.id,
      status: encounter.status,
      admitted: encounter.period?.start,
      attending: encounter.participant.filter((p: any) => p.type[0].coding[0].code === 'ATND').map((p: any) => [p.individual.display, p.period?.start]),
      admitting: encounter.participant.filter((p: any) => p.type[0].coding[0].code === 'ADM').map((p: any) => p.individual.display),
    };
  };
  const admission = fs.readFileSync(samplePath('ADT-22'));
  expect((await gateway.post('/hl7/v2', admission.toString('latin1'), 'x-application/hl7-v2+er7')).body).toMatch(/MSA\|AA/);
  expect((await stay()).attending).toEqual([['医師一郎', undefined]]);

  expect((await gateway.post('/hl7/v2', utf8(goldenText('ADT-01')), 'x-application/hl7-v2+er7')).body).toMatch(/MSA\|AA/);
  const changed = await stay();
  // The change names only the attending doctor: the admission time (sent in A01 only) and the admitting doctor stay.
  expect(changed).toMatchObject({ status: 'in-progress', admitted: '2011-11-20T16:00:00+09:00', attending: [['医師二郎', '2011-12-21T09:00:00+09:00']], admitting: ['医師一郎'] });

  expect((await gateway.post('/hl7/v2', utf8(goldenText('ADT-01-A55')), 'x-application/hl7-v2+er7')).body).toMatch(/MSA\|AA/);
  expect(await stay()).toEqual({ id: changed.id, status: 'in-progress', admitted: '2011-11-20T16:00:00+09:00', attending: [['医師一郎', undefined]], admitting: ['医師一郎'] });
});
