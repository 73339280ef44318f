/**
 * kill -9 in the middle of exam bookings and consent changes (issue 13), on the server as users start it:
 * after a restart on the same data, every answered booking and revocation is there exactly once, and what
 * was unanswered either happened whole or not at all — a slot is busy exactly when one Appointment holds it,
 * and a facility reads a resident exactly when its Consent is active (the grants rebuilt in the same
 * transaction as the Consent). The client then resends what went unanswered, as a real one does. And a
 * gateway's SS-MIX2 import killed the same way, resumed from its state file, ends with exactly what an
 * uninterrupted import stores. (tests/ingest/crash.test.ts does the same for HL7 v2 messages over MLLP.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importSsmix2 } from '../../src/cli/import-ssmix2';
import { fixturePath } from '../fixtures';
import { FACILITY_CODE } from '../ingest/support';
import { startTestServer } from '../support/server';
import { startShippedServer, ShippedServer } from '../support/shipped-server';
import { book, freeSlots, publishScanner, WEEK } from '../booking/support';
import { as, Facility, parameters, printedCard } from '../consent/support';
import { INSTITUTION_NUMBER_SYSTEM } from '../../src/ingest/facility';
import { FACILITY_TYPE_SYSTEM } from '../../src/consent/model';

const BOOKINGS = 40;
const RESIDENTS = 16;

let server: ShippedServer;
// Each test starts its own server, stopped (and its data removed) when the test ends.
afterEach(async () => server?.stop());

type Caller = ReturnType<typeof as>;

async function facility(admin: Caller, code: string, type: string, name: string): Promise<Facility> {
  const created = await admin.post('/fhir/Organization', {
    resourceType: 'Organization',
    name,
    identifier: [{ system: INSTITUTION_NUMBER_SYSTEM, value: code }],
    type: [{ coding: [{ system: FACILITY_TYPE_SYSTEM, code: type }] }],
  });
  if (created.status !== 201) throw new Error(`facility: ${created.status} ${JSON.stringify(created.body)}`);
  return { code, id: created.body.id, reference: `Organization/${created.body.id}` };
}

/** A client of the role and its credentials, so that a token can be had again after the restart. */
async function newClient(admin: Caller, input: Record<string, string>): Promise<{ id: string; secret: string }> {
  const created = await admin.post('/admin/clients', { name: `${input.role} client`, ...input }, 'application/json');
  if (created.status !== 201) throw new Error(`client: ${created.status} ${JSON.stringify(created.body)}`);
  return { id: created.body.client_id, secret: created.body.client_secret };
}

test('bookings and consent revocations answered before a kill -9 are kept once; the unanswered ones happened whole or not at all', async () => {
  server = await startShippedServer();
  const adminClient = { id: 'shipped-admin', secret: 'shipped-admin-secret' };
  let admin = as(server, await server.adminToken());
  const hospital = await facility(admin, '1321000011', 'core-hospital', '障害試験病院');
  const clinic = await facility(admin, '1321000022', 'clinic', '障害試験クリニック');
  const staffClient = await newClient(admin, { role: 'clinician', organization: hospital.reference });
  const doctorClient = await newClient(admin, { role: 'clinician', organization: clinic.reference });
  const staff = as(server, await server.token(staffClient.id, staffClient.secret));
  let doctor = as(server, await server.token(doctorClient.id, doctorClient.secret));

  const scanner = await publishScanner(staff, hospital, 'CT', '障害試験CT');
  const generated = await staff.post(`/fhir/${scanner.schedule}/$generate-slots`, { resourceType: 'Parameters', parameter: [{ name: 'from', valueDate: WEEK.from }, { name: 'to', valueDate: WEEK.to }] });
  expect(generated.status).toBe(200);
  const slots = (await freeSlots(doctor, scanner)).slice(0, BOOKINGS);
  expect(slots).toHaveLength(BOOKINGS);
  const patients = await Promise.all(
    Array.from({ length: BOOKINGS }, async (_, i) => `Patient/${(await doctor.post('/fhir/Patient', { resourceType: 'Patient', name: [{ family: '予約', given: [`${i}`] }], birthDate: '1950-05-05' })).body.id}`)
  );
  // Residents whose card is linked at the clinic: the office revokes those Consents below. One at a time:
  // a card link counts as a failed guess until it succeeds, and only a few may be pending at once.
  const residents: { id: string; local: string }[] = [];
  for (let i = 0; i < RESIDENTS; i++) residents.push(await enrolAndLink(i));
  async function enrolAndLink(i: number) {
    const birthDate = `1941-02-${String(i + 1).padStart(2, '0')}`;
    const enrolled = await admin.post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: `同意${i}`, given: ['太郎'] }], birthDate, gender: 'male' } }));
    expect(enrolled.status).toBe(201);
    const { cardNumber, cardSecret } = printedCard(enrolled.body);
    const linked = await doctor.post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId: `K-${i}`, birthDate }));
    expect(linked.status).toBe(200);
    return { id: enrolled.body.id as string, local: `K-${i}` };
  }
  const consentOf = async (caller: Caller, residentId: string) => {
    const found = await caller.get(`/fhir/Consent?patient=Patient/${residentId}&actor=${clinic.reference}`);
    expect(found.body.entry).toHaveLength(1);
    return found.body.entry[0].resource;
  };
  const consents = await Promise.all(residents.map((r) => consentOf(admin, r.id)));
  for (const r of residents) expect((await doctor.get(`/fhir/Patient/${r.id}`)).status).toBe(200);

  // Two streams at once, each request answered or cut by the kill.
  const booked = new Set<number>();
  const revoked = new Set<number>();
  let nextBooking = 0;
  let nextRevocation = 0;
  const bookings = async () => {
    while (nextBooking < BOOKINGS) {
      const i = nextBooking++;
      const answer = await book(doctor, slots[i], patients[i]).catch(() => undefined);
      if (!answer) return;
      if (answer.status !== 201) throw new Error(`booking ${slots[i]}: ${answer.status} ${JSON.stringify(answer.body)}`);
      booked.add(i);
    }
  };
  const revocations = async () => {
    while (nextRevocation < RESIDENTS) {
      const i = nextRevocation++;
      const answer = await admin.put(`/fhir/Consent/${consents[i].id}`, { ...consents[i], status: 'inactive' }).catch(() => undefined);
      if (!answer) return;
      if (answer.status !== 200) throw new Error(`revoking Consent/${consents[i].id}: ${answer.status} ${JSON.stringify(answer.body)}`);
      revoked.add(i);
    }
  };
  let failure: unknown;
  const streams = Promise.all([bookings(), bookings(), revocations()]).catch((err) => (failure = err));
  // Killed once both streams are under way, long before either can finish.
  for (let waited = 0; (booked.size < 3 || revoked.size < 3) && !failure && waited < 60_000; waited += 5) await new Promise((r) => setTimeout(r, 5));
  if (failure) throw failure;
  const restarting = server.killAndRestart();
  await streams;
  server = await restarting;
  if (failure) throw failure;
  expect(booked.size).toBeGreaterThan(0);
  expect(booked.size).toBeLessThan(BOOKINGS);
  expect(revoked.size).toBeGreaterThan(0);
  expect(revoked.size).toBeLessThan(RESIDENTS);

  admin = as(server, await server.token(adminClient.id, adminClient.secret));
  doctor = as(server, await server.token(doctorClient.id, doctorClient.secret));
  const appointmentsOf = async (slot: string) => (await admin.get(`/fhir/Appointment?slot=${slot}`)).body.entry ?? [];
  const slotStatus = async (slot: string) => (await admin.get(`/fhir/${slot}`)).body.status;
  const consistentBooking = async (i: number): Promise<boolean> => {
    const held = (await appointmentsOf(slots[i])).length;
    expect(held).toBeLessThanOrEqual(1);
    expect(await slotStatus(slots[i])).toBe(held ? 'busy' : 'free');
    return held === 1;
  };
  const consistentConsent = async (i: number): Promise<boolean> => {
    const active = (await consentOf(admin, residents[i].id)).status === 'active';
    expect((await doctor.get(`/fhir/Patient/${residents[i].id}`)).status).toBe(active ? 200 : 404);
    return !active;
  };

  // What was answered is there; what was not is whole or absent, and is then resent.
  for (let i = 0; i < BOOKINGS; i++) {
    const held = await consistentBooking(i);
    if (booked.has(i)) expect(held).toBe(true);
    else if (!held) expect((await book(doctor, slots[i], patients[i])).status).toBe(201);
    // A booking that committed unanswered: the resent one is refused as taken, not stored twice.
    else expect((await book(doctor, slots[i], patients[i])).status).toBe(409);
  }
  for (let i = 0; i < RESIDENTS; i++) {
    const done = await consistentConsent(i);
    if (revoked.has(i)) expect(done).toBe(true);
    else if (!done) expect((await admin.put(`/fhir/Consent/${consents[i].id}`, { ...(await consentOf(admin, residents[i].id)), status: 'inactive' })).status).toBe(200);
  }
  for (let i = 0; i < BOOKINGS; i++) expect(await consistentBooking(i)).toBe(true);
  for (let i = 0; i < RESIDENTS; i++) expect(await consistentConsent(i)).toBe(true);
}, 300_000);

const NHO_STORAGE = fixturePath('ssmix2-nho', 'sampleData');
const COUNTED_TYPES = ['Patient', 'Encounter', 'Condition', 'AllergyIntolerance', 'MedicationRequest', 'MedicationAdministration', 'ServiceRequest', 'Observation', 'DiagnosticReport', 'Specimen', 'ImagingStudy', 'Provenance'];

/** How many of each type a server holds, as the network office counts them. */
async function holdings(url: string, adminToken: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const type of COUNTED_TYPES) {
    const res = await fetch(`${url}/fhir/${type}?_summary=count`, { headers: { authorization: `Bearer ${adminToken}` } });
    counts[type] = ((await res.json()) as { total: number }).total;
  }
  return counts;
}

/** The sending hospital (the NHO samples' facility code) and a gateway client of it. */
async function hospitalGateway(url: string, adminToken: string): Promise<{ client_id: string; client_secret: string }> {
  const admin = as({ url }, adminToken);
  const hospital = await facility(admin, FACILITY_CODE, 'core-hospital', '登呂病院');
  const created = await admin.post('/admin/clients', { name: 'hospital gateway', role: 'gateway', organization: hospital.reference }, 'application/json');
  expect(created.status).toBe(201);
  return created.body;
}

test('an SS-MIX2 import cut by a kill -9 and resumed from its state file stores exactly what an uninterrupted one does', async () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonet-import-kill-'));
  const reference = await startTestServer();
  let expected: Record<string, number>;
  try {
    const gateway = await hospitalGateway(reference.url, reference.adminToken);
    await importSsmix2({ root: NHO_STORAGE, server: reference.url, clientId: gateway.client_id, clientSecret: gateway.client_secret, statePath: path.join(stateDir, 'reference.json') });
    expected = await holdings(reference.url, reference.adminToken);
  } finally {
    await reference.close();
  }
  expect(expected.Observation).toBeGreaterThan(0);

  server = await startShippedServer();
  const gateway = await hospitalGateway(server.url, await server.adminToken());
  const statePath = path.join(stateDir, 'state.json');
  const run = () => importSsmix2({ root: NHO_STORAGE, server: server.url, clientId: gateway.client_id, clientSecret: gateway.client_secret, statePath });
  const interrupted = run().then(
    () => 'finished',
    () => 'cut'
  );
  const acknowledged = () => (fs.existsSync(statePath) ? Object.keys(JSON.parse(fs.readFileSync(statePath, 'utf8'))).length : 0);
  for (let waited = 0; acknowledged() < 5 && waited < 120_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  server = await server.killAndRestart();
  expect(await interrupted).toBe('cut');
  const before = acknowledged();
  const resumed = await run();
  // What the state file held was not sent again; everything else was, the unacknowledged file among it.
  expect(resumed.skipped).toBe(before);
  expect(await holdings(server.url, await server.adminToken())).toEqual(expected);
  fs.rmSync(stateDir, { recursive: true, force: true });
}, 300_000);
