/** STOW-RS and WADO-RS over a real socket: storage, the ImagingStudy seen through FHIR search, consent on retrieval. */
import { parseMultipart, parseMediaType } from '../../src/dicomweb/multipart';
import { createFacility, FACILITY_CODE } from '../ingest/support';
import { startTestServer, TestServer } from '../support/server';
import { CT, CT_FILES, ENHANCED_CT, ENHANCED_CT_FILE, failed, fhir, JAPANESE_FILE, read, referenced, stow, stowRaw, studySearch } from './support';

const PATIENT_SYSTEM = `urn:oid:1.2.392.100495.20.3.51.1${FACILITY_CODE}`;

let server: TestServer;
let gatewayToken: string;

beforeAll(async () => {
  server = await startTestServer();
  gatewayToken = await server.clientToken({ role: 'gateway', organization: await createFacility(server) });
});
afterAll(async () => {
  await server?.close();
});

async function wado(path: string, token: string | undefined, accept?: string) {
  const res = await fetch(`${server.url}/dicomweb/studies/${path}`, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(accept ? { accept } : {}) },
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
}

const ctInstancePath = `${CT.study}/series/${CT.series}/instances/${CT.sop}`;

describe('STOW-RS', () => {
  test('without a bearer token: 401 and nothing stored', async () => {
    const answer = await stow(server, undefined, [read(CT_FILES[0])]);
    expect(answer.status).toBe(401);
    expect(answer.body.resourceType).toBe('OperationOutcome');
    expect((await fhir(server, studySearch(CT.study))).entry ?? []).toEqual([]);
  });

  test('only a gateway of a facility may store', async () => {
    const clinician = await server.clientToken({ role: 'clinician', organization: await createFacility(server, '1398765432', 'Clinic') });
    const researcher = await server.clientToken({ role: 'researcher' });
    expect((await stow(server, researcher, [read(CT_FILES[0])])).status).toBe(403);
    expect((await stow(server, clinician, [read(CT_FILES[0])])).status).toBe(403);
  });

  test('the CT in four transfer syntaxes is one instance of one series of one ImagingStudy', async () => {
    const answer = await stow(server, gatewayToken, CT_FILES.map(read));
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^application\/dicom\+json/);
    expect(referenced(answer)).toEqual([
      { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: CT.sop, retrieveUrl: `${server.url}/dicomweb/studies/${ctInstancePath}` },
    ]);
    expect(answer.body['00081190'].Value).toEqual([`${server.url}/dicomweb/studies/${CT.study}`]);
    expect(answer.body['00081198']).toBeUndefined();

    const found = await fhir(server, studySearch(CT.study));
    expect(found.entry).toHaveLength(1);
    const study = found.entry[0].resource;
    expect(study.numberOfSeries).toBe(1);
    expect(study.numberOfInstances).toBe(1);
    expect(study.series).toHaveLength(1);
    expect(study.series[0]).toMatchObject({ uid: CT.series, modality: { code: 'CT' }, numberOfInstances: 1 });
    expect(study.series[0].instance.map((i: any) => i.uid)).toEqual([CT.sop]);
    expect(study.meta.source).toMatch(/^Organization\//);

    const subject = await fhir(server, study.subject.reference);
    expect(subject.identifier).toEqual([{ system: PATIENT_SYSTEM, value: CT.patientId }]);
    expect(subject.name[0]).toMatchObject({ family: 'CompressedSamples', given: ['CT1'] });
  });

  test('sending the same files again changes nothing: same versions, one patient, one history entry', async () => {
    const before = (await fhir(server, studySearch(CT.study))).entry[0].resource;
    for (const file of CT_FILES) {
      const answer = await stow(server, gatewayToken, [read(file)], CT.study);
      expect(answer.status).toBe(200);
      expect(referenced(answer).map((sop) => sop.sopInstanceUid)).toEqual([CT.sop]);
    }
    const after = (await fhir(server, studySearch(CT.study))).entry[0].resource;
    expect(after.meta.versionId).toBe(before.meta.versionId);
    expect(after).toEqual(before);
    const history = await fhir(server, `ImagingStudy/${after.id}/_history`);
    expect(history.entry).toHaveLength(1);
    const patients = await fhir(server, `Patient?identifier=${encodeURIComponent(PATIENT_SYSTEM)}|${CT.patientId}`);
    expect(patients.entry).toHaveLength(1);
    expect(patients.entry[0].resource.meta.versionId).toBe('1');
  });

  test('the 2-frame enhanced CT, sent to its study URL, is its own study with the mapped series', async () => {
    const answer = await stow(server, gatewayToken, [read(ENHANCED_CT_FILE)], ENHANCED_CT.study);
    expect(answer.status).toBe(200);
    expect(referenced(answer).map((sop) => sop.sopInstanceUid)).toEqual([ENHANCED_CT.sop]);
    const [entry] = (await fhir(server, studySearch(ENHANCED_CT.study))).entry;
    expect(entry.resource).toMatchObject({ numberOfSeries: 1, numberOfInstances: 1, series: [{ uid: ENHANCED_CT.series, number: 3, instance: [{ uid: ENHANCED_CT.sop, sopClass: { code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2.1' } }] }] });
    const patient = await fhir(server, entry.resource.subject.reference);
    expect(patient.identifier[0].value).toBe('0010');
  });

  test('a Japanese file makes a stub Patient with kanji (IDE) and kana (SYL) names', async () => {
    const answer = await stow(server, gatewayToken, [read(JAPANESE_FILE)]);
    expect(answer.status).toBe(200);
    const [sop] = referenced(answer);
    const studyUid = answer.body['00081190'].Value[0].split('/studies/')[1];
    const [entry] = (await fhir(server, studySearch(studyUid))).entry;
    expect(entry.resource.series[0].instance[0].uid).toBe(sop.sopInstanceUid);
    const patient = await fhir(server, entry.resource.subject.reference);
    const byRepresentation = Object.fromEntries(patient.name.map((name: any) => [name.extension[0].valueCode, `${name.family} ${name.given.join(' ')}`]));
    expect(byRepresentation).toEqual({ ABC: 'Yamada Tarou', IDE: '山田 太郎', SYL: 'やまだ たろう' });
  });

  test('a part that is not DICOM fails with a reason while the others are stored (202)', async () => {
    const answer = await stow(server, gatewayToken, [Buffer.from('this is a scanned referral letter, not an image'), read(ENHANCED_CT_FILE)]);
    expect(answer.status).toBe(202);
    expect(referenced(answer).map((sop) => sop.sopInstanceUid)).toEqual([ENHANCED_CT.sop]);
    expect(failed(answer)).toEqual([{ sopInstanceUid: undefined, reason: 0xc000, comment: expect.stringMatching(/^Part 1: not a DICOM Part 10 file/) }]);
  });

  test('nothing stored is 409: garbage only, or an instance of another study than the URL names', async () => {
    const garbage = await stow(server, gatewayToken, [Buffer.alloc(300)]);
    expect(garbage.status).toBe(409);
    expect(failed(garbage)[0].reason).toBe(0xc000);
    const truncated = await stow(server, gatewayToken, [read(CT_FILES[1]).subarray(0, 5000)]);
    expect(truncated.status).toBe(409);
    expect(failed(truncated)[0].comment).toMatch(/truncated/);
    const elsewhere = await stow(server, gatewayToken, [read(ENHANCED_CT_FILE)], CT.study);
    expect(elsewhere.status).toBe(409);
    expect(failed(elsewhere)).toEqual([{ sopInstanceUid: ENHANCED_CT.sop, reason: 0xa900, comment: expect.stringContaining(`is not the study ${CT.study}`) }]);
  });

  test('hand-written bodies: quoted boundary, preamble, epilogue', async () => {
    const file = read(CT_FILES[2]);
    const body = Buffer.concat([
      Buffer.from('This is the preamble; a MIME reader ignores it.\r\n--odd boundary\r\nContent-Type: application/dicom\r\n\r\n'),
      file,
      Buffer.from('\r\n--odd boundary--\r\nepilogue'),
    ]);
    const answer = await stowRaw(server, gatewayToken, 'Multipart/Related; boundary="odd boundary"; type="application/dicom"', body);
    expect(answer.status).toBe(200);
    expect(referenced(answer).map((sop) => sop.sopInstanceUid)).toEqual([CT.sop]);
  });

  test('a body that is not multipart/related is 415; a broken multipart body is 400', async () => {
    const plain = await stowRaw(server, gatewayToken, 'application/dicom', read(CT_FILES[0]));
    expect(plain.status).toBe(415);
    const otherType = await stowRaw(server, gatewayToken, 'multipart/related; type="application/dicom+xml"; boundary=x', Buffer.from('--x\r\n\r\n<a/>\r\n--x--'));
    expect(otherType.status).toBe(415);
    const unclosed = await stowRaw(server, gatewayToken, 'multipart/related; type="application/dicom"; boundary=x', Buffer.from('--x\r\n\r\nabc'));
    expect(unclosed.status).toBe(400);
    expect(unclosed.body.issue[0].diagnostics).toMatch(/close delimiter/);
  });
});

describe('WADO-RS', () => {
  test('returns the stored bytes (the first copy received) as multipart/related', async () => {
    const answer = await wado(ctInstancePath, gatewayToken);
    expect(answer.status).toBe(200);
    const { mediaType, parameters } = parseMediaType(answer.contentType);
    expect(mediaType).toBe('multipart/related');
    expect(parameters.type).toBe('application/dicom');
    const parts = parseMultipart(answer.body, parameters.boundary);
    expect(parts).toHaveLength(1);
    expect(parts[0].headers['content-type']).toBe('application/dicom; transfer-syntax=1.2.840.10008.1.2.2');
    expect(parts[0].body.equals(read(CT_FILES[0]))).toBe(true);
  });

  test('an Accept naming another transfer syntax is 406, since stored bytes are not transcoded', async () => {
    expect((await wado(ctInstancePath, gatewayToken, 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1')).status).toBe(406);
    expect((await wado(ctInstancePath, gatewayToken, 'multipart/related; type="application/dicom"; transfer-syntax=*')).status).toBe(200);
  });

  test('unknown instances, wrong series and missing tokens', async () => {
    expect((await wado(`${CT.study}/series/${CT.series}/instances/1.2.3.4`, gatewayToken)).status).toBe(404);
    expect((await wado(`${CT.study}/series/1.2.3/instances/${CT.sop}`, gatewayToken)).status).toBe(404);
    expect((await wado(`1.2.3/series/${CT.series}/instances/${CT.sop}`, gatewayToken)).status).toBe(404);
    expect((await wado(ctInstancePath, undefined)).status).toBe(401);
  });

  test('consent: the bytes are served exactly to those who may read the ImagingStudy through FHIR, and are 404 for the rest', async () => {
    const study = (await fhir(server, studySearch(CT.study))).entry[0].resource;
    const other = (await fhir(server, studySearch(ENHANCED_CT.study))).entry[0].resource;
    const callers = {
      sendingGateway: gatewayToken,
      owner: await server.clientToken({ role: 'resident', patient: study.subject.reference }),
      otherResident: await server.clientToken({ role: 'resident', patient: other.subject.reference }),
      otherFacilityClinician: await server.clientToken({ role: 'clinician', organization: await createFacility(server, '1311111111', 'Other hospital') }),
      researcher: await server.clientToken({ role: 'researcher' }),
    };
    const outcomes: Record<string, { fhir: boolean; wado: number }> = {};
    for (const [name, token] of Object.entries(callers)) {
      const search = await fetch(`${server.fhirUrl}/${studySearch(CT.study)}`, { headers: { authorization: `Bearer ${token}` } });
      const visible = search.status === 200 && ((await search.json()) as any).entry?.length === 1;
      outcomes[name] = { fhir: visible, wado: (await wado(ctInstancePath, token)).status };
    }
    for (const outcome of Object.values(outcomes)) expect(outcome.wado).toBe(outcome.fhir ? 200 : 404);
    expect(outcomes.sendingGateway).toEqual({ fhir: true, wado: 200 });
    expect(outcomes.otherResident).toEqual({ fhir: false, wado: 404 });
    expect(outcomes.researcher).toEqual({ fhir: false, wado: 404 });
  });
});
