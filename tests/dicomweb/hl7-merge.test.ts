/**
 * An ImagingStudy first made from an HL7 OMI^Z23 (実施通知 performed) message, keyed by IPC-3 Study Instance UID
 * as `urn:dicom:uid` | `urn:oid:<uid>`, is the one the images join: one study, one patient, the order kept.
 */
import { createFacility, FACILITY_CODE } from '../ingest/support';
import { startTestServer, TestServer } from '../support/server';
import { CT, CT_FILES, ENHANCED_CT, ENHANCED_CT_FILE, failed, fhir, read, referenced, stow, studySearch } from './support';

/** A JAHIS-shaped OMI^Z23 for the CT fixture's study and patient (ASCII only, so no MSH-18 is needed). */
const OMI_Z23 = [
  `MSH|^~\\&|HIS|${FACILITY_CODE}|GW|RCV|20040826190000||OMI^Z23^OMI_Z23|DICOM-MERGE-1|P|2.5`,
  `PID|0001||${CT.patientId}^^^^PI||COMPRESSEDSAMPLES^CT1^^^^^L^A||19700101|M`,
  'ORC|NW|2004082600001|||||||20040826180000|D1^DOCTOR^ONE^^^^^^^L',
  'OBR||2004082600001||31000000000000000^CT CHEST^JJ1017|||20040826184500',
  `IPC|A0001|P0001|${CT.study}||CT^^DCM`,
].join('\r');

let server: TestServer;
let gatewayToken: string;

beforeAll(async () => {
  server = await startTestServer();
  gatewayToken = await server.clientToken({ role: 'gateway', organization: await createFacility(server) });
});
afterAll(async () => {
  await server?.close();
});

test('the CT joins the ImagingStudy of its OMI^Z23 order instead of making a second one', async () => {
  const ack = await fetch(`${server.url}/hl7/v2`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gatewayToken}`, 'content-type': 'x-application/hl7-v2+er7' },
    body: OMI_Z23,
  });
  expect(ack.headers.get('x-ack-code')).toBe('AA');
  const [ordered] = (await fhir(server, studySearch(CT.study))).entry;
  expect(ordered.resource.identifier[0]).toEqual({ system: 'urn:dicom:uid', value: `urn:oid:${CT.study}` });
  expect(ordered.resource.series).toBeUndefined();

  const answer = await stow(server, gatewayToken, CT_FILES.map(read));
  expect(answer.status).toBe(200);
  expect(referenced(answer).map((sop) => sop.sopInstanceUid)).toEqual([CT.sop]);

  const found = await fhir(server, studySearch(CT.study));
  expect(found.entry).toHaveLength(1);
  const merged = found.entry[0].resource;
  expect(merged.id).toBe(ordered.resource.id);
  expect(merged.meta.versionId).toBe('2');
  expect(merged.subject).toEqual(ordered.resource.subject);
  expect(merged.basedOn).toEqual(ordered.resource.basedOn);
  expect(merged.procedureCode).toEqual(ordered.resource.procedureCode);
  expect(merged.identifier).toEqual(expect.arrayContaining(ordered.resource.identifier));
  expect(merged).toMatchObject({ numberOfSeries: 1, numberOfInstances: 1, series: [{ uid: CT.series, instance: [{ uid: CT.sop }] }] });

  const patients = await fhir(server, `Patient?identifier=${encodeURIComponent(`urn:oid:1.2.392.100495.20.3.51.1${FACILITY_CODE}`)}|${CT.patientId}`);
  expect(patients.entry).toHaveLength(1);
  expect(`Patient/${patients.entry[0].resource.id}`).toBe(merged.subject.reference);
});

test('images whose Patient ID names another patient than the ordered study’s are refused, and nothing is stored', async () => {
  const order = OMI_Z23.replace(`|${CT.patientId}^^^^PI|`, '|OTHER-PATIENT^^^^PI|').replace(CT.study, ENHANCED_CT.study).replace('DICOM-MERGE-1', 'DICOM-MERGE-2');
  const ack = await fetch(`${server.url}/hl7/v2`, { method: 'POST', headers: { authorization: `Bearer ${gatewayToken}`, 'content-type': 'x-application/hl7-v2+er7' }, body: order });
  expect(ack.headers.get('x-ack-code')).toBe('AA');
  const [ordered] = (await fhir(server, studySearch(ENHANCED_CT.study))).entry;

  // The enhanced CT's Patient ID is 0010, not OTHER-PATIENT.
  const answer = await stow(server, gatewayToken, [read(ENHANCED_CT_FILE)]);
  expect(answer.status).toBe(409);
  expect(failed(answer)).toEqual([
    { sopInstanceUid: ENHANCED_CT.sop, reason: 0xa900, comment: expect.stringContaining(`belongs to ${ordered.resource.subject.reference}, but Patient ID "0010"`) },
  ]);
  const [after] = (await fhir(server, studySearch(ENHANCED_CT.study))).entry;
  expect(after.resource).toEqual(ordered.resource);
  const retrieve = await fetch(`${server.url}/dicomweb/studies/${ENHANCED_CT.study}/series/${ENHANCED_CT.series}/instances/${ENHANCED_CT.sop}`, { headers: { authorization: `Bearer ${gatewayToken}` } });
  expect(retrieve.status).toBe(404);
  expect((await fhir(server, 'Patient?identifier=0010')).entry ?? []).toEqual([]);
});
