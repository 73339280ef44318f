/**
 * The story of one resident: enrolment, card links at two facilities, what each sees, revocation,
 * emergency access, the resident's own view, and withdrawal.
 */
import { isValidCardNumber, MAX_FAILED_ATTEMPTS_FOR_TESTS } from './limits';
import { labResultMessage } from '../support/hl7-messages';
import { startTestServer, TestServer } from '../support/server';
import { as, facility, Facility, parameters, printedCard } from './support';

let server: TestServer;
let hospital: Facility;
let clinic: Facility;
let ambulance: Facility;
let admin: ReturnType<typeof as>;
let hospitalDoctor: ReturnType<typeof as>;
let clinicDoctor: ReturnType<typeof as>;
let emergencyTeam: ReturnType<typeof as>;
let regionalId: string;
let cardNumber: string;
let cardSecret: string;

const BIRTH_DATE = '1956-01-01';

beforeAll(async () => {
  server = await startTestServer();
  hospital = await facility(server, '1310000011', 'core-hospital', '利根中央病院');
  clinic = await facility(server, '1310000022', 'clinic', '加須クリニック');
  ambulance = await facility(server, '1310000033', 'emergency', '利根消防');
  admin = as(server, server.adminToken);
  hospitalDoctor = as(server, await server.clientToken({ role: 'clinician', organization: hospital.reference }));
  clinicDoctor = as(server, await server.clientToken({ role: 'clinician', organization: clinic.reference }));
  emergencyTeam = as(server, await server.clientToken({ role: 'emergency', organization: ambulance.reference }));

  // Each facility's gateway sends a lab result for its own patient number.
  for (const [f, localId, value] of [[hospital, 'H-100', '9.1'], [clinic, 'C-200', '7.2']] as const) {
    const gateway = as(server, await server.clientToken({ role: 'gateway', organization: f.reference }));
    const ack = await gateway.post('/hl7/v2', labResultMessage({ controlId: `M-${localId}`, patientId: localId, orderNumber: `O-${localId}`, code: '3D046000001920402', name: 'HbA1c', value, unit: '%', range: '4.6-6.2', flag: 'H', observedAt: '202501101030' }), 'x-application/hl7-v2+er7');
    expect(ack.body).toMatch(/MSA\|AA/);
  }
  // A recent hospital prescription, written by the hospital's clinician for its local record.
  const local = await hospitalDoctor.get(`/fhir/Patient?identifier=urn:oid:1.2.392.100495.20.3.51.1${hospital.code}|H-100`);
  const prescription = await hospitalDoctor.post('/fhir/MedicationRequest', {
    resourceType: 'MedicationRequest',
    status: 'active',
    intent: 'order',
    subject: { reference: `Patient/${local.body.entry[0].resource.id}` },
    authoredOn: new Date().toISOString().slice(0, 10),
    medicationCodeableConcept: { coding: [{ system: 'http://medis.or.jp/CodeSystem/master-HOT9', code: '108665201', display: 'ダーゼン錠5mg' }] },
  });
  expect(prescription.status).toBe(201);
});
afterAll(async () => server?.close());

test('the network office enrols a resident with a card number and an enrolment Consent', async () => {
  const enrolled = await admin.post('/fhir/Patient/$enroll', parameters({
    patient: { resourceType: 'Patient', name: [{ family: '検査', given: ['花子'] }, { family: 'ケンサ', given: ['ハナコ'] }], birthDate: BIRTH_DATE, gender: 'female' },
    emergencyUse: true,
  }));
  expect(enrolled.status).toBe(201);
  regionalId = enrolled.body.id;
  ({ cardNumber, cardSecret } = printedCard(enrolled.body));
  expect(isValidCardNumber(cardNumber)).toBe(true);
  const consents = await admin.get(`/fhir/Consent?patient=Patient/${regionalId}`);
  expect(consents.body.total).toBe(1);
  expect(consents.body.entry[0].resource.category[1].coding[0].code).toBe('network-enrolment');
});

test('before a card is shown, a facility sees only its own data', async () => {
  expect(await clinicDoctor.ids('/fhir/Observation')).toHaveLength(1);
  expect((await clinicDoctor.get(`/fhir/Patient/${regionalId}`)).status).toBe(404);
  expect(await clinicDoctor.ids(`/fhir/Observation?subject=Patient/${regionalId}`)).toEqual([]);
});

test('a wrong birth date links nothing; repeated failures are throttled', async () => {
  const wrong = await clinicDoctor.post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId: 'C-200', birthDate: '1956-01-02' }));
  expect(wrong.status).toBe(422);
  expect(await clinicDoctor.ids(`/fhir/Observation?subject=Patient/${regionalId}`)).toEqual([]);
  const other = as(server, await server.clientToken({ role: 'clinician', organization: clinic.reference }));
  for (let i = 0; i < MAX_FAILED_ATTEMPTS_FOR_TESTS; i++) await other.post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId: 'C-200', birthDate: '2000-01-01' }));
  const throttled = await other.post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId: 'C-200', birthDate: BIRTH_DATE }));
  expect(throttled.status).toBe(429);
});

test('linking the card at two facilities lets each see the other\'s data through the regional Patient', async () => {
  for (const [doctor, localId] of [[hospitalDoctor, 'H-100'], [clinicDoctor, 'C-200']] as const) {
    const linked = await doctor.post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId, birthDate: BIRTH_DATE }));
    expect(linked.status).toBe(200);
    const consent = linked.body.parameter.find((p: any) => p.name === 'consent').resource;
    expect(consent.status).toBe('active');
    expect(consent.provision.actor[0].reference.reference).toBeDefined();
  }
  for (const doctor of [hospitalDoctor, clinicDoctor]) {
    expect(await doctor.ids(`/fhir/Observation?subject=Patient/${regionalId}`)).toHaveLength(2);
    expect((await doctor.get(`/fhir/Patient/${regionalId}`)).status).toBe(200);
    const everything = await doctor.ids(`/fhir/Patient/${regionalId}/$everything?_count=100`);
    expect(everything.filter((r) => r.startsWith('Observation/'))).toHaveLength(2);
    // _has and _revinclude treat the regional Patient as the hub of its local records too.
    expect(await doctor.ids(`/fhir/Patient?_id=${regionalId}&_has:Observation:subject:code=3D046000001920402`, 'Patient')).toEqual([`Patient/${regionalId}`]);
    expect(await doctor.ids(`/fhir/Patient?_id=${regionalId}&_revinclude=Observation:subject`, 'Observation')).toHaveLength(2);
    // Each facility sees its own Consent, not the other's.
    expect(await doctor.ids('/fhir/Consent')).toHaveLength(1);
  }
});

test('revoking one facility\'s Consent ends its access at once and changes nothing for the other', async () => {
  const [consentRef] = await clinicDoctor.ids('/fhir/Consent');
  const consent = (await clinicDoctor.get(`/fhir/${consentRef}`)).body;
  expect((await clinicDoctor.put(`/fhir/${consentRef}`, { ...consent, status: 'inactive' })).status).toBe(200);
  expect(await clinicDoctor.ids(`/fhir/Observation?subject=Patient/${regionalId}`)).toHaveLength(1);
  expect((await clinicDoctor.get(`/fhir/Patient/${regionalId}`)).status).toBe(404);
  expect(await hospitalDoctor.ids(`/fhir/Observation?subject=Patient/${regionalId}`)).toHaveLength(2);
});

test('the emergency team gets only the emergency subset, and nothing else opens up', async () => {
  const summary = await emergencyTeam.post('/fhir/Patient/$emergency-summary', parameters({ cardNumber, reason: '意識障害で搬送中' }));
  expect(summary.status).toBe(200);
  const types = summary.body.entry.map((e: any) => e.resource.resourceType).sort();
  expect(types).toEqual(['MedicationRequest', 'Patient']);
  expect(await emergencyTeam.ids(`/fhir/Observation?subject=Patient/${regionalId}`)).toEqual([]);
  expect(await emergencyTeam.ids(`/fhir/MedicationRequest`)).toEqual([]);
  const noReason = await emergencyTeam.post('/fhir/Patient/$emergency-summary', parameters({ cardNumber }));
  expect(noReason.status).toBe(400);
  expect((await clinicDoctor.post('/fhir/Patient/$emergency-summary', parameters({ cardNumber, reason: 'x' }))).status).toBe(403);
});

test('the resident records vitals and sees them, their consents, but not facility data', async () => {
  const resident = as(server, await server.clientToken({ role: 'resident', patient: `Patient/${regionalId}` }));
  const bp = await resident.post('/fhir/Observation', {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel' }] },
    subject: { reference: `Patient/${regionalId}` },
    performer: [{ reference: `Patient/${regionalId}` }],
    effectiveDateTime: '2025-02-01T08:00:00+09:00',
    component: [
      { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 150, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
      { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: 95, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    ],
  });
  expect(bp.status).toBe(201);
  expect(await resident.ids('/fhir/Observation')).toEqual([`Observation/${bp.body.id}`]);
  expect((await resident.ids('/fhir/Consent')).length).toBe(3);
  const notMine = await resident.post('/fhir/Observation', { ...bp.body, id: undefined, subject: { reference: 'Patient/someone-else' } });
  expect(notMine.status).toBe(403);
  // The hospital, linked, sees the resident's own entry too.
  expect(await hospitalDoctor.ids(`/fhir/Observation?subject=Patient/${regionalId}`)).toContain(`Observation/${bp.body.id}`);
});

test('withdrawal from the network ends all access but the data\'s own sources', async () => {
  expect((await admin.post(`/fhir/Patient/${regionalId}/$withdraw`, parameters({}))).status).toBe(200);
  expect(await hospitalDoctor.ids(`/fhir/Observation?subject=Patient/${regionalId}`)).toHaveLength(1);
  expect((await hospitalDoctor.get(`/fhir/Patient/${regionalId}`)).status).toBe(404);
  const disclosure = await admin.get(`/fhir/Patient/${regionalId}/$disclosure`);
  expect(disclosure.status).toBe(200);
  expect(disclosure.body.entry.filter((e: any) => e.resource.resourceType === 'Observation')).toHaveLength(3);
});
