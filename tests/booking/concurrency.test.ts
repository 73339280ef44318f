/**
 * Racing for slots: 50 clinics' requests for one slot at once, and 20 clinics booking and cancelling random
 * slots concurrently. Whatever the interleaving, the database never holds two active bookings of one slot,
 * and every busy slot is held by exactly one active Appointment.
 */
import { as, facility, parameters } from '../consent/support';
import { sql } from '../../src/core/sql';
import { startTestServer, TestServer } from '../support/server';
import { book, Caller, clinicWithPatient, freeSlots, publishScanner, Scanner, WEEK } from './support';

let server: TestServer;
let scanner: Scanner;
let clinics: { doctor: Caller; patient: string }[];

beforeAll(async () => {
  server = await startTestServer();
  const hospital = await facility(server, '1310003001', 'core-hospital', '利根中央病院');
  const hospitalDoctor = as(server, await server.clientToken({ role: 'clinician', organization: hospital.reference }));
  scanner = await publishScanner(hospitalDoctor, hospital, 'CT', 'CT-2');
  const generated = await hospitalDoctor.post(`/fhir/${scanner.schedule}/$generate-slots`, parameters({ from: WEEK.from, to: WEEK.to }));
  expect(generated.status).toBe(200);
  clinics = [];
  for (let i = 0; i < 20; i++) clinics.push(await clinicWithPatient(server, `13100040${String(i).padStart(2, '0')}`, `クリニック${i}`));
});
afterAll(async () => server?.close());

/** Slots held by more than one active Appointment, straight from the stored resources. */
async function doubleBooked(): Promise<unknown[]> {
  return server.tonet.db.query(sql`SELECT content::jsonb -> 'slot' -> 0 ->> 'reference' AS slot, count(*) AS appointments
    FROM resource WHERE resource_type = 'Appointment' AND NOT deleted AND content::jsonb ->> 'status' NOT IN ('cancelled', 'noshow', 'entered-in-error')
    GROUP BY 1 HAVING count(*) > 1`);
}

/** Busy slots without exactly one active Appointment, and active Appointments whose slot is not busy. */
async function ledgerMismatches(): Promise<unknown[]> {
  return server.tonet.db.query(sql`
    WITH active AS (
      SELECT content::jsonb -> 'slot' -> 0 ->> 'reference' AS slot FROM resource
      WHERE resource_type = 'Appointment' AND NOT deleted AND content::jsonb ->> 'status' NOT IN ('cancelled', 'noshow', 'entered-in-error')
    ), slots AS (
      SELECT 'Slot/' || id AS slot, content::jsonb ->> 'status' AS status FROM resource WHERE resource_type = 'Slot' AND NOT deleted
    )
    SELECT s.slot, s.status, (SELECT count(*) FROM active a WHERE a.slot = s.slot) AS appointments FROM slots s
    WHERE (s.status = 'busy') <> EXISTS (SELECT 1 FROM active a WHERE a.slot = s.slot)`);
}

test('50 simultaneous bookings of one slot: exactly one 201, 49 × 409', async () => {
  const [slot] = await freeSlots(clinics[0].doctor, scanner);
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => book(clinics[i % clinics.length].doctor, slot, clinics[i % clinics.length].patient)));
  const statuses = answers.map((a) => a.status);
  expect(statuses.filter((s) => s === 201)).toHaveLength(1);
  expect(statuses.filter((s) => s === 409)).toHaveLength(49);
  for (const refused of answers.filter((a) => a.status === 409)) {
    expect(refused.body.resourceType).toBe('OperationOutcome');
    expect(refused.body.issue[0]).toMatchObject({ severity: 'error', code: 'conflict' });
    expect(refused.body.issue[0].diagnostics).toContain(slot);
  }
  const [{ n }] = await server.tonet.db.query<{ n: string }>(sql`SELECT count(*) AS n FROM resource
    WHERE resource_type = 'Appointment' AND content::jsonb -> 'slot' -> 0 ->> 'reference' = ${slot}`);
  expect(Number(n)).toBe(1);
  // The refused bookings left no ServiceRequest behind either: each was one transaction.
  const [{ requests }] = await server.tonet.db.query<{ requests: string }>(sql`SELECT count(*) AS requests FROM resource WHERE resource_type = 'ServiceRequest'`);
  expect(Number(requests)).toBe(1);
  expect(await doubleBooked()).toEqual([]);
});

test('plain Appointment creates racing for one slot meet the same lock: one 201, the rest 409', async () => {
  // No $book here: nothing checks the slot before the write, so only the ledger's Slot row lock decides.
  const [slot] = await freeSlots(clinics[0].doctor, scanner);
  const appointment = (patient: string) => ({
    resourceType: 'Appointment',
    status: 'proposed',
    slot: [{ reference: slot }],
    participant: [{ actor: { reference: patient }, status: 'accepted' }],
  });
  const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => clinics[i % clinics.length].doctor.post('/fhir/Appointment', appointment(clinics[i % clinics.length].patient))));
  expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
  expect(answers.filter((a) => a.status === 409)).toHaveLength(29);
  expect(await doubleBooked()).toEqual([]);
});

test('20 clinics booking and cancelling random slots at once never double-book', async () => {
  const slots = (await freeSlots(clinics[0].doctor, scanner)).slice(0, 12);
  let seed = 20300107;
  const random = () => {
    // mulberry32: a seeded generator, so a failure can be replayed.
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const plans = clinics.map((clinic) => ({ clinic, picks: Array.from({ length: 6 }, () => ({ slot: slots[Math.floor(random() * slots.length)], cancel: random() < 0.4 })) }));
  let booked = 0;
  let cancelled = 0;
  await Promise.all(
    plans.map(async ({ clinic, picks }) => {
      await Promise.all(
        picks.map(async ({ slot, cancel }) => {
          const answer = await book(clinic.doctor, slot, clinic.patient);
          expect([201, 409]).toContain(answer.status);
          if (answer.status !== 201) return;
          booked++;
          if (!cancel) return;
          const withdrawn = await clinic.doctor.post(`/fhir/Appointment/${answer.body.id}/$cancel`, parameters({ reason: 'load test' }));
          expect(withdrawn.status).toBe(200);
          cancelled++;
        })
      );
    })
  );
  expect(booked).toBeGreaterThan(0);
  expect(await doubleBooked()).toEqual([]);
  expect(await ledgerMismatches()).toEqual([]);
  const [{ active }] = await server.tonet.db.query<{ active: string }>(sql`SELECT count(*) AS active FROM booking WHERE state <> 'cancelled'`);
  // One booking survives from each earlier test; every other 201 is either still active or was cancelled.
  expect(Number(active)).toBe(2 + booked - cancelled);
});
