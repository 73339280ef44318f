/**
 * The audit trail through real HTTP: what each kind of request records (who, facility, role, purpose,
 * patients, action, outcome, address), what is left out (directory reads), the AuditEvent API (append-only,
 * each role sees its own slice, search by patient and date with paging), the hash chain under concurrent
 * requests and against tampering by SQL, and that a request whose audit entry cannot be written fails.
 */
import type { AuditEvent, Bundle, Observation, Patient } from '@medplum/fhirtypes';
import request from 'supertest';
import type { ChainedRow } from '../../src/audit/chain';
import { verifyAuditChain } from '../../src/audit/verify';
import { AuditChain } from '../../src/store/audit-log';
import { sql } from '../../src/core/sql';
import { validate } from '../../src/fhir/repository';
import { useFhirServer } from '../fhir/helpers';

const fhir = useFhirServer();

/** An audit_event row as the chain covers it, with its sequence number. */
type Row = Omit<ChainedRow, 'recorded'> & { seq: string };

const HOSPITAL_A = 'Organization/hospital-a';
const HOSPITAL_B = 'Organization/hospital-b';
let clinicianA = { id: '', token: '' };
let clinicianB = { id: '', token: '' };
let researcher = { id: '', token: '' };
let first: Patient;
let second: Patient;

async function client(role: string, extra: { organization?: string; patient?: string } = {}) {
  const created = await fhir.server.tonet.clients.create({ name: `${role} ${extra.organization ?? extra.patient ?? ''}`, role, ...extra });
  return { id: created.clientId, token: await fhir.server.token(created.clientId, created.clientSecret) };
}

async function lastSeq(): Promise<string> {
  const [row] = await fhir.server.tonet.db.query<{ seq: string }>(sql`SELECT seq::text AS seq FROM audit_head`);
  return row.seq;
}

/** The events recorded after `mark`, oldest first. */
async function eventsSince(mark: string): Promise<Row[]> {
  return fhir.server.tonet.db.query<Row>(sql`SELECT seq::text AS seq, client_id, role, organization, purpose_of_use, patient_ids, action, outcome, remote_address, event
    FROM audit_event WHERE seq > ${mark}::bigint ORDER BY seq`);
}

/** Runs `act` and returns the single event it recorded. */
async function onlyEvent(act: () => Promise<unknown>): Promise<Row> {
  const mark = await lastSeq();
  await act();
  const rows = await eventsSince(mark);
  expect(rows).toHaveLength(1);
  return rows[0];
}

function observation(patient: Patient, code: string): Observation {
  return { resourceType: 'Observation', status: 'final', code: { text: code }, subject: { reference: `Patient/${patient.id}` } };
}

beforeAll(async () => {
  clinicianA = await client('clinician', { organization: HOSPITAL_A });
  clinicianB = await client('clinician', { organization: HOSPITAL_B });
  researcher = await client('researcher');
  first = (await fhir.post('Patient', { resourceType: 'Patient', name: [{ family: 'Sato' }] }, clinicianA.token)).body;
  second = (await fhir.post('Patient', { resourceType: 'Patient', name: [{ family: 'Suzuki' }] }, clinicianA.token)).body;
});

describe('what a FHIR request records', () => {
  test('a create names the client, its role and facility, the patient, purpose TREAT and the address', async () => {
    let created: Observation = {} as Observation;
    const row = await onlyEvent(async () => (created = (await fhir.post('Observation', observation(first, 'weight'), clinicianA.token)).body));
    expect(row).toMatchObject({ client_id: clinicianA.id, role: 'clinician', organization: HOSPITAL_A, purpose_of_use: 'TREAT', patient_ids: [first.id], action: 'create', outcome: '0', remote_address: '127.0.0.1' });
    const event = JSON.parse(row.event) as AuditEvent;
    expect(event.action).toBe('C');
    expect(event.subtype?.[0].code).toBe('create');
    expect(event.agent[0]).toMatchObject({ who: { reference: HOSPITAL_A }, altId: clinicianA.id, requestor: true, network: { address: '127.0.0.1' } });
    expect(event.entity?.map((e) => e.what?.reference)).toEqual(expect.arrayContaining([`Patient/${first.id}`, `Observation/${created.id}`]));
  });

  test('a read records the declared purpose of use, and the AuditEvent is valid R4', async () => {
    const obs = (await fhir.post('Observation', observation(second, 'height'), clinicianA.token)).body as Observation;
    const row = await onlyEvent(() => fhir.get(`Observation/${obs.id}`, clinicianA.token).set('X-Purpose-Of-Use', 'ETREAT').expect(200));
    expect(row).toMatchObject({ action: 'read', purpose_of_use: 'ETREAT', patient_ids: [second.id], outcome: '0' });
    const event = JSON.parse(row.event) as AuditEvent;
    expect(event.purposeOfEvent?.[0].coding?.[0]).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'ETREAT' });
    expect(() => validate({ ...event, id: row.seq })).not.toThrow();
  });

  test('a search records every patient whose data it returned', async () => {
    const row = await onlyEvent(() => fhir.get(`Observation?subject=Patient/${first.id},Patient/${second.id}`, clinicianA.token).expect(200));
    expect(row.action).toBe('search');
    expect([...row.patient_ids].sort()).toEqual([first.id, second.id].sort());
  });

  test('an update, a patch and a delete record the patient, the delete from the stored record', async () => {
    const obs = (await fhir.post('Observation', observation(first, 'pulse'), clinicianA.token)).body as Observation;
    const update = await onlyEvent(() => fhir.put(`Observation/${obs.id}`, { ...obs, status: 'amended' }, clinicianA.token).expect(200));
    expect(update).toMatchObject({ action: 'update', patient_ids: [first.id] });
    const patch = await onlyEvent(() => fhir.patch(`Observation/${obs.id}`, [{ op: 'replace', path: '/status', value: 'corrected' }], clinicianA.token).expect(200));
    expect(patch).toMatchObject({ action: 'patch', patient_ids: [first.id] });
    const deletion = await onlyEvent(() => fhir.delete(`Observation/${obs.id}`, clinicianA.token).expect(200));
    expect(deletion).toMatchObject({ action: 'delete', patient_ids: [first.id] });
    expect(JSON.parse(deletion.event).action).toBe('D');
  });

  test('a transaction records the patients of every entry, also with return=minimal', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [observation(first, 'a'), observation(second, 'b')].map((resource) => ({ resource, request: { method: 'POST', url: 'Observation' } })),
    };
    const row = await onlyEvent(() => fhir.post('', bundle, clinicianA.token).expect(200));
    expect(row.action).toBe('transaction');
    expect([...row.patient_ids].sort()).toEqual([first.id, second.id].sort());
    const minimal = await onlyEvent(() => fhir.post('Patient', { resourceType: 'Patient', name: [{ family: 'Kato' }] }, clinicianA.token).set('Prefer', 'return=minimal').expect(201));
    expect(minimal.patient_ids).toHaveLength(1);
  });

  test('$everything records the patient', async () => {
    const row = await onlyEvent(() => fhir.get(`Patient/${first.id}/$everything`, clinicianA.token).expect(200));
    expect(row.action).toBe('operation');
    expect(row.patient_ids).toEqual([first.id]);
  });

  test('a read that finds nothing is recorded with outcome 4', async () => {
    const row = await onlyEvent(() => fhir.get('Patient/no-such-patient', clinicianA.token).expect(404));
    expect(row).toMatchObject({ action: 'read', outcome: '4', client_id: clinicianA.id });
    expect(JSON.parse(row.event).outcomeDesc).toMatch(/not found/);
  });

  test('directory reads and searches are not recorded; directory writes are', async () => {
    const organization = await onlyEvent(() => fhir.post('Organization', { resourceType: 'Organization', name: 'Clinic' }).expect(201));
    expect(organization).toMatchObject({ action: 'create', patient_ids: [] });
    const id = JSON.parse(organization.event).entity[0].what.reference;
    const mark = await lastSeq();
    await fhir.get(id, clinicianA.token).expect(200);
    await fhir.get('Organization?name=Clinic', clinicianA.token).expect(200);
    await fhir.get('Practitioner', clinicianA.token).expect(200);
    expect(await eventsSince(mark)).toEqual([]);
  });
});

describe('refused requests', () => {
  test('a missing or bad token is recorded as a failed login (401)', async () => {
    const missing = await onlyEvent(() => request(fhir.server.url).get(`/fhir/Patient/${first.id}`).expect(401));
    expect(missing).toMatchObject({ action: 'login-failure', outcome: '4', client_id: null, remote_address: '127.0.0.1' });
    const bad = await onlyEvent(() => request(fhir.server.url).get('/fhir/Patient').set('Authorization', 'Bearer not.a.jwt').expect(401));
    expect(bad.action).toBe('login-failure');
  });

  test('a failed client authentication at /oauth2/token is recorded with the client id tried', async () => {
    const row = await onlyEvent(() =>
      request(fhir.server.url).post('/oauth2/token').type('form').send({ grant_type: 'client_credentials', client_id: clinicianA.id, client_secret: 'wrong' }).expect(401)
    );
    expect(row).toMatchObject({ action: 'login-failure', client_id: clinicianA.id, outcome: '4' });
  });

  test('a denied request (403) is recorded with the caller', async () => {
    const row = await onlyEvent(() => fhir.get(`Patient/${first.id}`, researcher.token).expect(403));
    expect(row).toMatchObject({ action: 'denied', outcome: '4', client_id: researcher.id, role: 'researcher' });
  });
});

describe('the AuditEvent API', () => {
  test.each([
    ['POST', 'AuditEvent'],
    ['PUT', 'AuditEvent/1'],
    ['PATCH', 'AuditEvent/1'],
    ['DELETE', 'AuditEvent/1'],
    ['DELETE', 'AuditEvent?outcome=0'],
  ])('%s %s is 405 for the administrator too, and nothing changes', async (method, path) => {
    const [before] = await fhir.server.tonet.db.query<{ event: string }>(sql`SELECT event FROM audit_event WHERE seq = 1`);
    const body = { resourceType: 'AuditEvent', id: '1', type: { code: 'rest' }, recorded: new Date().toISOString(), agent: [], source: { observer: { display: 'x' } } };
    const req = request(fhir.server.url)[method.toLowerCase() as 'post' | 'put' | 'patch' | 'delete'](`/fhir/${path}`).set('Authorization', `Bearer ${fhir.server.adminToken}`);
    const res = method === 'PATCH' ? await req.set('Content-Type', 'application/json-patch+json').send([{ op: 'remove', path: '/agent' }]) : method === 'DELETE' ? await req : await req.set('Content-Type', 'application/fhir+json').send(body);
    expect(res.status).toBe(405);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const [after] = await fhir.server.tonet.db.query<{ event: string }>(sql`SELECT event FROM audit_event WHERE seq = 1`);
    expect(after).toEqual(before);
  });

  test('a transaction cannot slip an AuditEvent into the resource store', async () => {
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'AuditEvent' }, request: { method: 'POST', url: 'AuditEvent' } }] };
    expect((await fhir.post('', bundle)).status).toBe(405);
    expect(await fhir.server.tonet.db.query(sql`SELECT 1 FROM resource WHERE resource_type = 'AuditEvent'`)).toEqual([]);
  });

  test('the table itself refuses UPDATE and DELETE', async () => {
    await expect(fhir.server.tonet.db.query(sql`UPDATE audit_event SET outcome = '0' WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(fhir.server.tonet.db.query(sql`DELETE FROM audit_event WHERE seq = 1`)).rejects.toThrow(/append-only/);
  });

  test('read by id returns the event with its seq as id', async () => {
    const res = await fhir.get('AuditEvent/1').expect(200);
    expect(res.body).toMatchObject({ resourceType: 'AuditEvent', id: '1', meta: { versionId: '1' } });
    await fhir.get('AuditEvent/999999999').expect(404);
  });

  test('a resident sees only the events about their own records', async () => {
    const resident = await client('resident', { patient: `Patient/${first.id}` });
    await fhir.get(`Patient/${second.id}`, clinicianB.token);
    const pages = await allPages('AuditEvent?_count=5', resident.token);
    const events = pages.flatMap((b) => (b.entry ?? []).map((e) => e.resource as AuditEvent));
    expect(events.length).toBeGreaterThan(5);
    // Of each event only their own record is named: a search over several patients does not reveal the others.
    for (const event of events) expect(event.entity?.map((e) => e.what?.reference)).toEqual([`Patient/${first.id}`]);
    expect(events.some((e) => e.agent[0].who?.reference === HOSPITAL_A)).toBe(true);
    // Each page read is itself recorded about them (AuditEvent is in the Patient compartment), after that page.
    const newestSeen = Math.max(...events.map((e) => Number(e.id)));
    const [aboutThem] = await fhir.server.tonet.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_event WHERE ${first.id} = ANY(patient_ids) AND seq <= ${newestSeen}`);
    expect(events).toHaveLength(aboutThem.n);
    const [pageReads] = await fhir.server.tonet.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_event WHERE ${first.id} = ANY(patient_ids) AND seq > ${newestSeen} AND client_id = ${resident.id}`);
    expect(pageReads.n).toBe(pages.length);
    const onlySecond = await fhir.server.tonet.db.query<{ seq: string }>(sql`SELECT seq::text AS seq FROM audit_event WHERE patient_ids = ARRAY[${second.id}]::text[] LIMIT 1`);
    await fhir.get(`AuditEvent/${onlySecond[0].seq}`, resident.token).expect(404);
  });

  test('a clinician sees what its own facility caused, not what another did', async () => {
    await fhir.get(`Patient/${first.id}`, clinicianB.token).expect(404);
    const events = (await allPages('AuditEvent?_count=50', clinicianB.token)).flatMap((b) => (b.entry ?? []).map((e) => e.resource as AuditEvent));
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(event.agent[0].who?.reference).toBe(HOSPITAL_B);
    const [other] = await fhir.server.tonet.db.query<{ seq: string }>(sql`SELECT seq::text AS seq FROM audit_event WHERE client_id = ${clinicianA.id} LIMIT 1`);
    await fhir.get(`AuditEvent/${other.seq}`, clinicianB.token).expect(404);
  });

  test('researchers may not read the audit trail', async () => {
    await fhir.get('AuditEvent', researcher.token).expect(403);
  });

  test('search by patient pages newest first; date ge/le and _total narrow and count', async () => {
    const future = new Date(Date.now() + 3600_000).toISOString();
    const past = await fhir.get(`AuditEvent?patient=${first.id}&date=le${future}&date=ge2020-01-01&_count=1000`).expect(200);
    const pages = await allPages(`AuditEvent?patient=Patient/${first.id}&_count=3&_total=accurate`);
    const seqs = pages.flatMap((b) => (b.entry ?? []).map((e) => Number(e.resource?.id)));
    expect(pages[0].total).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seqs).size).toBe(seqs.length);
    // Reading someone's trail is an access to their data: the search before left one more event about them.
    expect(seqs).toHaveLength(past.body.entry.length + 1);

    await fhir.get(`AuditEvent?date=ge${future}`).expect(200).expect((res) => expect(res.body.entry).toEqual([]));
    await fhir.get('AuditEvent?agent=Organization/x').expect(400);
  });
});

describe('the hash chain', () => {
  test('concurrent requests keep the chain whole and gap-free', async () => {
    const mark = Number(await lastSeq());
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => fhir.get(`Patient/${i % 2 ? first.id : second.id}`, i % 3 ? clinicianA.token : fhir.server.adminToken))
    );
    expect(answers.map((a) => a.status).filter((s) => s !== 200 && s !== 404)).toEqual([]);
    expect(Number(await lastSeq())).toBe(mark + 40);
    expect(await verifyAuditChain(new AuditChain(fhir.server.tonet.db))).toEqual({ ok: true, checked: mark + 40 });
  });

  test('changing one row by SQL is found at that row, in small chunks too', async () => {
    const db = fhir.server.tonet.db;
    const [{ seq: target }] = await db.query<{ seq: string }>(sql`SELECT seq::text AS seq FROM audit_event WHERE cardinality(patient_ids) > 0 ORDER BY seq OFFSET 20 LIMIT 1`);
    const [original] = await db.query<{ patient_ids: string[] }>(sql`SELECT patient_ids FROM audit_event WHERE seq = ${target}::bigint`);
    const progress: number[] = [];
    expect(await verifyAuditChain(new AuditChain(db), (checked) => progress.push(checked), 7)).toMatchObject({ ok: true });
    expect(progress.length).toBeGreaterThan(2);

    // Someone with the rights to drop the guard hides an event from a resident's access log.
    await db.query(sql`ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change`);
    try {
      await db.query(sql`UPDATE audit_event SET patient_ids = '{}' WHERE seq = ${target}::bigint`);
      expect(await verifyAuditChain(new AuditChain(db), undefined, 7)).toMatchObject({ ok: false, firstBadSeq: target, checked: Number(target) - 1 });
      await db.query(sql`UPDATE audit_event SET patient_ids = ${original.patient_ids}::text[] WHERE seq = ${target}::bigint`);
      expect(await verifyAuditChain(new AuditChain(db))).toMatchObject({ ok: true });

      await db.query(sql`DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)`);
      const cut = await verifyAuditChain(new AuditChain(db));
      expect(cut.ok).toBe(false);
      expect(cut.firstBadSeq).toBe(await lastSeq());
    } finally {
      await db.query(sql`ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change`);
    }
  });

  test('when the audit entry cannot be written, the read fails instead of going unrecorded', async () => {
    const db = fhir.server.tonet.db;
    await db.query(sql`ALTER TABLE audit_head RENAME TO audit_head_away`);
    try {
      const res = await fhir.get(`Patient/${first.id}`, clinicianA.token);
      expect(res.status).toBe(500);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(JSON.stringify(res.body)).not.toContain('Sato');
    } finally {
      await db.query(sql`ALTER TABLE audit_head_away RENAME TO audit_head`);
    }
  });
});

async function allPages(path: string, token?: string): Promise<Bundle[]> {
  const pages: Bundle[] = [];
  let next: string | undefined = path;
  while (next) {
    const res = await fhir.get(next, token);
    if (res.status !== 200) throw new Error(`GET ${next}: ${res.status} ${JSON.stringify(res.body)}`);
    pages.push(res.body);
    next = res.body.link?.find((l: { relation: string }) => l.relation === 'next')?.url.replace(/^.*?\/fhir\//, '');
    if (pages.length > 100) throw new Error('paging does not end');
  }
  return pages;
}
