/**
 * The referral travels under consent: the clinic books for its own record of an enrolled resident with the
 * reason, a diagnosis, an eGFR result and a contrast-agent allergy. The hospital holds the booking (it can
 * confirm it and sees procedure and time) but reads the patient's referral only once the resident's card
 * links the hospital too, and no longer after that Consent is revoked.
 */
import { as, facility, Facility, parameters, printedCard } from '../consent/support';
import { startTestServer, TestServer } from '../support/server';
import { graphql } from '../transports/graphql/support';
import { book, Caller, created, freeSlots, HEAD_CT, publishScanner, referral, Scanner, WEEK } from './support';

const BIRTH_DATE = '1948-03-03';
let server: TestServer;
let hospital: Facility;
let clinic: Facility;
let hospitalDoctor: Caller;
let hospitalToken: string;
let clinicDoctor: Caller;
let scanner: Scanner;
let cardNumber: string;
let cardSecret: string;
let localPatient: string;
let referralParts: string[];
let appointmentId: string;
let serviceRequest: string;

beforeAll(async () => {
  server = await startTestServer();
  hospital = await facility(server, '1310005001', 'core-hospital', '利根中央病院');
  clinic = await facility(server, '1310005002', 'clinic', '加須クリニック');
  hospitalToken = await server.clientToken({ role: 'clinician', organization: hospital.reference });
  hospitalDoctor = as(server, hospitalToken);
  clinicDoctor = as(server, await server.clientToken({ role: 'clinician', organization: clinic.reference }));
  scanner = await publishScanner(hospitalDoctor, hospital, 'CT', 'CT-3');
  expect((await hospitalDoctor.post(`/fhir/${scanner.schedule}/$generate-slots`, parameters({ from: WEEK.from, to: WEEK.from }))).status).toBe(200);

  const enrolled = await as(server, server.adminToken).post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '利根', given: ['一郎'] }], birthDate: BIRTH_DATE, gender: 'male' } }));
  expect(enrolled.status).toBe(201);
  ({ cardNumber, cardSecret } = printedCard(enrolled.body));
  const linked = await clinicDoctor.post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId: 'C-77', birthDate: BIRTH_DATE }));
  expect(linked.status).toBe(200);
  localPatient = `Patient/${linked.body.parameter.find((p: any) => p.name === 'patient').resource.id}`;

  const subject = { reference: localPatient };
  const condition = await created(clinicDoctor.post('/fhir/Condition', { resourceType: 'Condition', subject, code: { text: '慢性腎臓病 G3a (CKD stage 3a)' }, clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] } }));
  const egfr = await created(clinicDoctor.post('/fhir/Observation', { resourceType: 'Observation', status: 'final', subject, code: { text: 'eGFR' }, valueQuantity: { value: 52, unit: 'mL/min/1.73m2' } }));
  const allergy = await created(clinicDoctor.post('/fhir/AllergyIntolerance', { resourceType: 'AllergyIntolerance', patient: subject, clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] }, code: { text: 'ヨード造影剤 (iodinated contrast)' }, criticality: 'high' }));
  referralParts = [condition, egfr, allergy];
});
afterAll(async () => server?.close());

test('the clinic books with a referral naming a diagnosis, a lab result and a contrast allergy', async () => {
  const [slot] = await freeSlots(clinicDoctor, scanner);
  const [condition, egfr, allergy] = referralParts;
  const answer = await book(clinicDoctor, slot, localPatient, referral({ reasonReference: [{ reference: condition }], supportingInfo: [{ reference: egfr }, { reference: allergy }], note: [{ text: '造影剤アレルギーあり、単純CTで' }] }));
  expect(answer.status).toBe(201);
  appointmentId = answer.body.id;
  serviceRequest = answer.body.basedOn[0].reference;
  const stored = (await clinicDoctor.get(`/fhir/${serviceRequest}`)).body;
  expect(stored.supportingInfo.map((s: any) => s.reference)).toEqual([egfr, allergy]);
});

test('a referral may not name records the clinic cannot see itself', async () => {
  const [, slot] = await freeSlots(clinicDoctor, scanner);
  const someoneElse = await created(hospitalDoctor.post('/fhir/Patient', { resourceType: 'Patient', name: [{ family: '別人' }] }));
  const hospitalOwn = await created(hospitalDoctor.post('/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'eGFR' }, subject: { reference: someoneElse } }));
  const answer = await book(clinicDoctor, slot, localPatient, referral({ supportingInfo: [{ reference: hospitalOwn }] }));
  expect(answer.status).toBe(422);
  expect(answer.body.issue[0].diagnostics).toContain(hospitalOwn);
  expect((await freeSlots(clinicDoctor, scanner))).toContain(slot);
});

test('without the resident\'s consent the hospital holds the booking but cannot read the referral', async () => {
  for (const hidden of [`Appointment/${appointmentId}`, serviceRequest, ...referralParts]) {
    expect((await hospitalDoctor.get(`/fhir/${hidden}`)).status).toBe(404);
  }
  const bookings = await graphql(server, hospitalToken, `query($f: ID!) { myBookings(facility: $f) { appointmentId state procedureCode clinic referralVisibleToHospital appointment serviceRequest } }`, { f: hospital.reference });
  expect(bookings.errors).toBeUndefined();
  expect(bookings.data.myBookings).toEqual([
    { appointmentId, state: 'proposed', procedureCode: HEAD_CT.code, clinic: clinic.reference, referralVisibleToHospital: false, appointment: null, serviceRequest: null },
  ]);
  const confirmed = await hospitalDoctor.post(`/fhir/Appointment/${appointmentId}/$confirm`, parameters({}));
  expect(confirmed.status).toBe(200);
  // The answer names the booking but no patient.
  expect(JSON.stringify(confirmed.body)).not.toContain('Patient/');
});

test('once the card links the hospital it reads the referral, until the Consent is revoked', async () => {
  const linked = await hospitalDoctor.post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId: 'H-77', birthDate: BIRTH_DATE }));
  expect(linked.status).toBe(200);
  const request = await hospitalDoctor.get(`/fhir/${serviceRequest}`);
  expect(request.status).toBe(200);
  expect(request.body.code.coding[0].code).toBe(HEAD_CT.code);
  for (const part of referralParts) expect((await hospitalDoctor.get(`/fhir/${part}`)).status).toBe(200);
  const allergy = (await hospitalDoctor.get(`/fhir/${referralParts[2]}`)).body;
  expect(allergy.code.text).toContain('contrast');
  const appointment = (await hospitalDoctor.get(`/fhir/Appointment/${appointmentId}`)).body;
  expect(appointment.status).toBe('booked');

  const clinicView = await graphql(server, hospitalToken, `query($f: ID!) { myBookings(facility: $f) { referralVisibleToHospital serviceRequest } }`, { f: hospital.reference });
  expect(clinicView.data.myBookings[0].referralVisibleToHospital).toBe(true);
  expect(clinicView.data.myBookings[0].serviceRequest.id).toBe(serviceRequest.split('/')[1]);

  const consent = linked.body.parameter.find((p: any) => p.name === 'consent').resource;
  expect((await hospitalDoctor.put(`/fhir/Consent/${consent.id}`, { ...consent, status: 'inactive' })).status).toBe(200);
  expect((await hospitalDoctor.get(`/fhir/${serviceRequest}`)).status).toBe(404);
});
