/**
 * The booking flow through the domain GraphQL schema: free CT slots of a hospital, booking with a referral,
 * each side's bookings, the hospital's confirmation, cancellation freeing the slot, and the same refusals as REST.
 */
import { as, facility, Facility } from '../consent/support';
import { graphql } from '../transports/graphql/support';
import { startTestServer, TestServer } from '../support/server';
import { clinicWithPatient, HEAD_CT, publishScanner, WEEK } from './support';

let server: TestServer;
let hospital: Facility;
let hospitalToken: string;
let clinicToken: string;
let otherClinicToken: string;
let clinic: Facility;
let patient: string;
let otherPatient: string;

const FREE = `query($h: ID!, $from: DateTime!, $to: DateTime!) { freeSlots(hospital: $h, modality: "CT", from: $from, to: $to) { slotId start end deviceId deviceName } }`;
const BOOK = `mutation($slot: ID!, $patient: ID!, $referral: ExamReferralInput!) {
  bookExam(slotId: $slot, patientId: $patient, referral: $referral) { appointmentId slotId state start hospital clinic procedureCode procedureDisplay appointment serviceRequest }
}`;
const MINE = `query($f: ID!) { myBookings(facility: $f) { appointmentId state appointment } }`;
const monday = { from: '2030-01-07T00:00:00+09:00', to: '2030-01-08T00:00:00+09:00' };

beforeAll(async () => {
  server = await startTestServer();
  hospital = await facility(server, '1310006001', 'core-hospital', '利根中央病院');
  hospitalToken = await server.clientToken({ role: 'clinician', organization: hospital.reference });
  const hospitalDoctor = as(server, hospitalToken);
  const ct = await publishScanner(hospitalDoctor, hospital, 'CT', 'CT-4');
  await publishScanner(hospitalDoctor, hospital, 'MR', 'MRI-1');
  expect((await hospitalDoctor.post(`/fhir/${ct.schedule}/$generate-slots`, { resourceType: 'Parameters', parameter: [{ name: 'from', valueDate: WEEK.from }, { name: 'to', valueDate: WEEK.from }, { name: 'slotMinutes', valueInteger: 60 }] })).status).toBe(200);
  const first = await clinicWithPatient(server, '1310006002', '加須クリニック');
  const second = await clinicWithPatient(server, '1310006003', '羽生クリニック');
  clinic = first.clinic;
  patient = first.patient;
  otherPatient = second.patient;
  clinicToken = await server.clientToken({ role: 'clinician', organization: first.clinic.reference });
  otherClinicToken = await server.clientToken({ role: 'clinician', organization: second.clinic.reference });
});
afterAll(async () => server?.close());

test('freeSlots lists the CT slots of the day, and nothing for a modality with no slots', async () => {
  const free = await graphql(server, clinicToken, FREE, { h: hospital.id, ...monday });
  expect(free.errors).toBeUndefined();
  // 09–12 and 13–17 in one-hour slots.
  expect(free.data.freeSlots).toHaveLength(7);
  expect(free.data.freeSlots[0]).toMatchObject({ start: '2030-01-07T00:00:00.000Z', deviceName: 'CT-4' });
  const mri = await graphql(server, clinicToken, FREE.replace('"CT"', '"MR"'), { h: hospital.id, ...monday });
  expect(mri.data.freeSlots).toEqual([]);
});

test('bookExam, myBookings on both sides, confirmation, cancelBooking and rebooking', async () => {
  const [slot] = (await graphql(server, clinicToken, FREE, { h: hospital.reference, ...monday })).data.freeSlots;
  const referral = { procedureCode: HEAD_CT.code, procedureDisplay: HEAD_CT.display, reason: '頭痛精査', note: '単純CT' };
  const booked = await graphql(server, clinicToken, BOOK, { slot: slot.slotId, patient, referral });
  expect(booked.errors).toBeUndefined();
  const booking = booked.data.bookExam;
  expect(booking).toMatchObject({ slotId: slot.slotId, state: 'proposed', hospital: hospital.reference, clinic: clinic.reference, procedureCode: HEAD_CT.code, procedureDisplay: HEAD_CT.display });
  expect(booking.appointment.status).toBe('proposed');
  expect(booking.serviceRequest.reasonCode[0].text).toBe('頭痛精査');

  const taken = await graphql(server, otherClinicToken, BOOK, { slot: slot.slotId, patient: otherPatient, referral });
  expect(taken.errors?.[0].extensions?.status).toBe(409);
  expect((await graphql(server, clinicToken, FREE, { h: hospital.id, ...monday })).data.freeSlots).toHaveLength(6);

  const clinicSide = await graphql(server, clinicToken, MINE, { f: clinic.reference });
  expect(clinicSide.data.myBookings).toEqual([{ appointmentId: booking.appointmentId, state: 'proposed', appointment: expect.objectContaining({ id: booking.appointmentId }) }]);
  // No consent links the hospital: it sees the booking, not the Appointment about the patient.
  const hospitalSide = await graphql(server, hospitalToken, MINE, { f: hospital.id });
  expect(hospitalSide.data.myBookings).toEqual([{ appointmentId: booking.appointmentId, state: 'proposed', appointment: null }]);
  const foreign = await graphql(server, otherClinicToken, MINE, { f: clinic.reference });
  expect(foreign.errors?.[0].extensions?.status).toBe(403);

  const confirmed = await graphql(server, hospitalToken, `mutation($id: ID!) { confirmBooking(appointmentId: $id) { state } }`, { id: booking.appointmentId });
  expect(confirmed.data.confirmBooking.state).toBe('booked');

  const cancelled = await graphql(server, clinicToken, `mutation($id: ID!) { cancelBooking(appointmentId: $id, reason: "改善") { state appointment } }`, { id: booking.appointmentId });
  expect(cancelled.errors).toBeUndefined();
  expect(cancelled.data.cancelBooking.state).toBe('cancelled');
  expect(cancelled.data.cancelBooking.appointment.cancelationReason.text).toBe('改善');
  expect((await graphql(server, clinicToken, FREE, { h: hospital.id, ...monday })).data.freeSlots).toHaveLength(7);

  const rebooked = await graphql(server, otherClinicToken, BOOK, { slot: slot.slotId, patient: otherPatient, referral });
  expect(rebooked.errors).toBeUndefined();
  expect(rebooked.data.bookExam.state).toBe('proposed');
  const rejected = await graphql(server, hospitalToken, `mutation($id: ID!) { rejectBooking(appointmentId: $id, reason: "装置故障") { state } }`, { id: rebooked.data.bookExam.appointmentId });
  expect(rejected.data.rejectBooking.state).toBe('cancelled');
});
