/**
 * A clinic books a core hospital's CT: the hospital publishes the scanner and generates slots from its
 * opening hours, the clinic finds free slots by chained search and books one with its referral, a second
 * booking of the slot is refused, cancellation frees it, and the hospital confirms or rejects.
 */
import { as, Facility, facility, parameters } from '../consent/support';
import { startTestServer, TestServer } from '../support/server';
import { book, Caller, clinicWithPatient, freeSlots, publishScanner, Scanner, WEEK } from './support';

let server: TestServer;
let hospital: Facility;
let hospitalDoctor: Caller;
let scanner: Scanner;
let clinicA: { clinic: Facility; doctor: Caller; patient: string };
let clinicB: { clinic: Facility; doctor: Caller; patient: string };

beforeAll(async () => {
  server = await startTestServer();
  hospital = await facility(server, '1310001001', 'core-hospital', '利根中央病院');
  hospitalDoctor = as(server, await server.clientToken({ role: 'clinician', organization: hospital.reference }));
  scanner = await publishScanner(hospitalDoctor, hospital, 'CT', 'CT-1 (Aquilion)');
  clinicA = await clinicWithPatient(server, '1310002001', '加須クリニック');
  clinicB = await clinicWithPatient(server, '1310002002', '羽生クリニック');
});
afterAll(async () => server?.close());

const slotAt = async (start: string): Promise<string> => {
  const found = await clinicA.doctor.ids(`/fhir/Slot?schedule.actor=${scanner.device}&start=${encodeURIComponent(start)}`, 'Slot');
  expect(found).toHaveLength(1);
  return found[0];
};
const statusOf = async (slot: string): Promise<string> => (await clinicA.doctor.get(`/fhir/${slot}`)).body.status;

test('the hospital generates slots from its opening hours, once, and only the hospital may', async () => {
  const generate = (caller: Caller, slotMinutes = 30) =>
    caller.post(`/fhir/${scanner.schedule}/$generate-slots`, { resourceType: 'Parameters', parameter: [{ name: 'from', valueDate: WEEK.from }, { name: 'to', valueDate: WEEK.to }, { name: 'slotMinutes', valueInteger: slotMinutes }] });
  const first = await generate(hospitalDoctor);
  expect(first.status).toBe(200);
  // 5 days × (6 morning + 8 afternoon half hours), less Wednesday morning's maintenance.
  expect(first.body.parameter).toEqual([{ name: 'created', valueInteger: 64 }, { name: 'skipped', valueInteger: 0 }]);
  const again = await generate(hospitalDoctor);
  expect(again.body.parameter).toEqual([{ name: 'created', valueInteger: 0 }, { name: 'skipped', valueInteger: 64 }]);
  expect((await generate(clinicA.doctor)).status).toBe(403);
  expect((await generate(hospitalDoctor, 2)).status).toBe(400);
  const slot = (await clinicA.doctor.get(`/fhir/${await slotAt('2030-01-07T09:00:00+09:00')}`)).body;
  expect(slot).toMatchObject({ status: 'free', end: '2030-01-07T09:30:00+09:00', schedule: { reference: scanner.schedule }, meta: { source: hospital.reference } });
});

test('a clinic finds free slots with a chained search on the scanner', async () => {
  expect(await freeSlots(clinicA.doctor, scanner)).toHaveLength(64);
  const wednesday = await clinicA.doctor.ids(
    `/fhir/Slot?schedule.actor=${scanner.device}&status=free&start=${encodeURIComponent('ge2030-01-09T00:00:00+09:00')}&start=${encodeURIComponent('lt2030-01-10T00:00:00+09:00')}`,
    'Slot'
  );
  expect(wednesday).toHaveLength(8);
});

test('booking holds the slot: 201 with a proposed Appointment based on the stored ServiceRequest', async () => {
  const slot = await slotAt('2030-01-07T09:00:00+09:00');
  const booked = await book(clinicA.doctor, slot, clinicA.patient);
  expect(booked.status).toBe(201);
  const appointment = booked.body;
  expect(appointment).toMatchObject({
    resourceType: 'Appointment',
    status: 'proposed',
    start: '2030-01-07T09:00:00+09:00',
    end: '2030-01-07T09:30:00+09:00',
    slot: [{ reference: slot }],
    meta: { source: clinicA.clinic.reference },
  });
  expect(appointment.participant.map((p: any) => [p.actor.reference, p.status])).toEqual([
    [clinicA.patient, 'accepted'],
    [scanner.device, 'needs-action'],
    [scanner.service, 'needs-action'],
  ]);
  const request = await clinicA.doctor.get(`/fhir/${appointment.basedOn[0].reference}`);
  expect(request.status).toBe(200);
  expect(request.body).toMatchObject({ resourceType: 'ServiceRequest', subject: { reference: clinicA.patient }, performer: [{ reference: hospital.reference }], occurrencePeriod: { start: appointment.start, end: appointment.end } });
  expect(await statusOf(slot)).toBe('busy');
  expect(await freeSlots(clinicA.doctor, scanner)).not.toContain(slot);

  const second = await book(clinicB.doctor, slot, clinicB.patient);
  expect(second.status).toBe(409);
  expect(second.body.resourceType).toBe('OperationOutcome');
  expect(second.body.issue[0].code).toBe('conflict');
  expect(second.body.issue[0].diagnostics).toMatch(/not free|no longer free/);
});

test('a clinic books only patients it may see, and only with a referral', async () => {
  const slot = await slotAt('2030-01-07T09:30:00+09:00');
  expect((await book(clinicB.doctor, slot, clinicA.patient)).status).toBe(404);
  expect((await clinicA.doctor.post('/fhir/Appointment/$book', parameters({ slot, patient: clinicA.patient }))).status).toBe(400);
  expect((await book(clinicA.doctor, 'Slot/does-not-exist', clinicA.patient)).status).toBe(404);
  // The network office has no facility to book for.
  expect((await book(as(server, server.adminToken), slot, clinicA.patient)).status).toBe(403);
  expect(await statusOf(slot)).toBe('free');
});

test('plain writes cannot go around the ledger', async () => {
  const slot = await slotAt('2030-01-07T10:00:00+09:00');
  const selfConfirmed = await clinicA.doctor.post('/fhir/Appointment', {
    resourceType: 'Appointment',
    status: 'booked',
    start: '2030-01-07T10:00:00+09:00',
    end: '2030-01-07T10:30:00+09:00',
    slot: [{ reference: slot }],
    participant: [{ actor: { reference: clinicA.patient }, status: 'accepted' }],
  });
  expect(selfConfirmed.status).toBe(403);
  expect(await statusOf(slot)).toBe('free');

  const booked = (await book(clinicA.doctor, slot, clinicA.patient)).body;
  expect((await clinicA.doctor.put(`/fhir/Appointment/${booked.id}`, { ...booked, status: 'booked' })).status).toBe(403);
  const slotResource = (await hospitalDoctor.get(`/fhir/${slot}`)).body;
  const freed = await hospitalDoctor.put(`/fhir/${slot}`, { ...slotResource, status: 'free' });
  expect(freed.status).toBe(409);
  expect(freed.body.issue[0].diagnostics).toContain(`Appointment/${booked.id}`);
  expect(await statusOf(slot)).toBe('busy');
});

test('cancelling frees the slot in the same write, and the slot can be booked again', async () => {
  const slot = await slotAt('2030-01-07T10:30:00+09:00');
  const first = (await book(clinicA.doctor, slot, clinicA.patient)).body;
  const cancelled = await clinicA.doctor.put(`/fhir/Appointment/${first.id}`, { ...first, status: 'cancelled' });
  expect(cancelled.status).toBe(200);
  expect(await statusOf(slot)).toBe('free');
  expect((await clinicA.doctor.put(`/fhir/Appointment/${first.id}`, { ...cancelled.body, status: 'proposed' })).status).toBe(409);

  const second = await book(clinicB.doctor, slot, clinicB.patient);
  expect(second.status).toBe(201);
  expect(await statusOf(slot)).toBe('busy');
  const withdrawn = await clinicB.doctor.post(`/fhir/Appointment/${second.body.id}/$cancel`, parameters({ reason: '患者都合 (patient request)' }));
  expect(withdrawn.status).toBe(200);
  expect(withdrawn.body).toMatchObject({ status: 'cancelled', cancelationReason: { text: '患者都合 (patient request)' } });
  expect(await statusOf(slot)).toBe('free');

  const third = (await book(clinicA.doctor, slot, clinicA.patient)).body;
  const patched = await server.tonet.router.handle(
    { clientId: 'test', clientName: 'test', role: 'clinician', organization: clinicA.clinic.reference, purposeOfUse: 'TREAT', requestId: 'patch' },
    { method: 'PATCH', path: `Appointment/${third.id}`, query: {}, body: [{ op: 'replace', path: '/status', value: 'cancelled' }] }
  );
  expect(patched.status).toBe(200);
  expect(await statusOf(slot)).toBe('free');
  expect((await clinicA.doctor.post(`/fhir/Appointment/${third.id}/$cancel`, parameters({}))).status).toBe(409);
});

test('the hospital confirms or rejects; the clinic cannot answer for it', async () => {
  const confirmSlot = await slotAt('2030-01-08T09:00:00+09:00');
  const rejectSlot = await slotAt('2030-01-08T09:30:00+09:00');
  const toConfirm = (await book(clinicA.doctor, confirmSlot, clinicA.patient)).body;
  const toReject = (await book(clinicB.doctor, rejectSlot, clinicB.patient)).body;

  expect((await clinicA.doctor.post(`/fhir/Appointment/${toConfirm.id}/$confirm`, parameters({}))).status).toBe(403);
  expect((await clinicB.doctor.post(`/fhir/Appointment/${toConfirm.id}/$confirm`, parameters({}))).status).toBe(404);
  const confirmed = await hospitalDoctor.post(`/fhir/Appointment/${toConfirm.id}/$confirm`, parameters({}));
  expect(confirmed.status).toBe(200);
  expect(confirmed.body.parameter.find((p: any) => p.name === 'state').valueCode).toBe('booked');
  const seenByClinic = (await clinicA.doctor.get(`/fhir/Appointment/${toConfirm.id}`)).body;
  expect(seenByClinic.status).toBe('booked');
  expect(seenByClinic.meta.source).toBe(clinicA.clinic.reference);
  expect(seenByClinic.participant.filter((p: any) => !p.actor.reference.startsWith('Patient/')).map((p: any) => p.status)).toEqual(['accepted', 'accepted']);
  expect(await statusOf(confirmSlot)).toBe('busy');

  expect((await hospitalDoctor.post(`/fhir/Appointment/${toReject.id}/$reject`, parameters({}))).status).toBe(400);
  expect((await hospitalDoctor.post(`/fhir/Appointment/${toReject.id}/$cancel`, parameters({}))).status).toBe(403);
  const rejected = await hospitalDoctor.post(`/fhir/Appointment/${toReject.id}/$reject`, parameters({ reason: '造影剤アレルギーのため単純CTへ変更を (contrast allergy)' }));
  expect(rejected.status).toBe(200);
  expect(rejected.body.parameter.find((p: any) => p.name === 'state').valueCode).toBe('cancelled');
  const seenByClinicB = (await clinicB.doctor.get(`/fhir/Appointment/${toReject.id}`)).body;
  expect(seenByClinicB).toMatchObject({ status: 'cancelled', cancelationReason: { coding: [{ code: 'prov' }], text: expect.stringContaining('contrast allergy') } });
  expect(await statusOf(rejectSlot)).toBe('free');
  expect((await hospitalDoctor.post(`/fhir/Appointment/${toReject.id}/$confirm`, parameters({}))).status).toBe(409);

  // A confirmed booking can still be cancelled by the clinic, which frees the slot.
  expect((await clinicA.doctor.post(`/fhir/Appointment/${toConfirm.id}/$cancel`, parameters({ reason: 'recovered' }))).status).toBe(200);
  expect(await statusOf(confirmSlot)).toBe('free');
});

test('each booking is in the audit trail with the patient it concerns', async () => {
  const slot = await slotAt('2030-01-08T10:00:00+09:00');
  const booked = (await book(clinicA.doctor, slot, clinicA.patient)).body;
  const events = await as(server, server.adminToken).get(`/fhir/AuditEvent?patient=${clinicA.patient}&_count=100`);
  expect(events.status).toBe(200);
  const bookingEvents = events.body.entry
    .map((e: any) => e.resource)
    .filter((event: any) => event.entity.some((entity: any) => entity.description?.startsWith(`Appointment/$book: ${slot}`)));
  expect(bookingEvents).toHaveLength(1);
  expect(bookingEvents[0].agent[0].who.reference).toBe(clinicA.clinic.reference);
  expect(bookingEvents[0].entity.map((entity: any) => entity.what?.reference)).toEqual(expect.arrayContaining([clinicA.patient, `Appointment/${booked.id}`, slot]));
});
