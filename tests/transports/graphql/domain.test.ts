/**
 * The domain schema over data that arrived through the real ingest path: the cross-facility timeline, a lab
 * trend, the emergency view, the resident app, research statistics with suppression, and the transport rules.
 */
import { sql } from '../../../src/core/sql';
import { TIMELINE_RULES } from '../../../src/records/timeline';
import { TimelineEntries } from '../../../src/store/read-models/timeline';
import { labResultMessage } from '../../support/hl7-messages';
import { startTestServer, TestServer } from '../../support/server';
import { as, facility, Facility, parameters, printedCard } from '../../consent/support';
import { graphql } from './support';

const HBA1C = '3D046000001920402';
let server: TestServer;
let hospital: Facility;
let clinic: Facility;
let hospitalDoctor: string;
let clinicDoctor: string;
let regionalId: string;
let cardNumber: string;
let cardSecret: string;

beforeAll(async () => {
  server = await startTestServer();
  hospital = await facility(server, '1310000111', 'core-hospital', '利根中央病院');
  clinic = await facility(server, '1310000222', 'clinic', '加須クリニック');
  hospitalDoctor = await server.clientToken({ role: 'clinician', organization: hospital.reference });
  clinicDoctor = await server.clientToken({ role: 'clinician', organization: clinic.reference });
  const hospitalGateway = as(server, await server.clientToken({ role: 'gateway', organization: hospital.reference }));
  const clinicGateway = as(server, await server.clientToken({ role: 'gateway', organization: clinic.reference }));
  const results: [typeof hospitalGateway, string, string, string, string][] = [
    [hospitalGateway, 'H-1', '7.1', '', '202401101000'],
    [hospitalGateway, 'H-1', '8.4', 'H', '202404101000'],
    [clinicGateway, 'C-1', '9.1', 'H', '202407101000'],
  ];
  for (const [gateway, localId, value, flag, at] of results) {
    const ack = await gateway.post('/hl7/v2', labResultMessage({ controlId: `G-${at}`, patientId: localId, orderNumber: `O-${at}`, code: HBA1C, name: 'HbA1c', value, unit: '%', range: '4.6-6.2', flag: flag as 'H' | '', observedAt: at }), 'x-application/hl7-v2+er7');
    expect(ack.body).toMatch(/MSA\|AA/);
  }
  const admin = as(server, server.adminToken);
  const enrolled = await admin.post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '検査', given: ['花子'] }], birthDate: '1956-01-01', gender: 'female' }, emergencyUse: true }));
  regionalId = enrolled.body.id;
  ({ cardNumber, cardSecret } = printedCard(enrolled.body));
  for (const [token, localId] of [[hospitalDoctor, 'H-1'], [clinicDoctor, 'C-1']]) {
    const linked = await graphql(server, token, `mutation { linkCard(cardNumber: "${cardNumber}", cardSecret: "${cardSecret}", localId: "${localId}", birthDate: "1956-01-01") { consent } }`);
    expect(linked.errors).toBeUndefined();
    expect(linked.data.linkCard.consent.status).toBe('active');
  }
});
afterAll(async () => server?.close());

const TIMELINE = `query($id: ID!, $first: Int, $after: String, $kinds: [TimelineKind!]) {
  patientTimeline(patientId: $id, first: $first, after: $after, kinds: $kinds) {
    edges { at kind title sourceFacility abnormal resource }
    pageInfo { endCursor hasNextPage }
  }
}`;

test('the timeline joins both facilities, newest first, with sources and abnormal flags, in pages', async () => {
  const all = await graphql(server, clinicDoctor, TIMELINE, { id: regionalId, first: 50, kinds: ['LAB_RESULT'] });
  expect(all.errors).toBeUndefined();
  const edges = all.data.patientTimeline.edges;
  expect(edges.map((e: any) => e.resource.valueQuantity.value)).toEqual([9.1, 8.4, 7.1]);
  expect(edges.map((e: any) => e.sourceFacility)).toEqual(['加須クリニック', '利根中央病院', '利根中央病院']);
  expect(edges.map((e: any) => e.abnormal)).toEqual([true, true, null]);
  expect(edges[0].title).toBe('HbA1c');
  // What GraphQL showed is in the audit trail like a REST read.
  const audit = await as(server, server.adminToken).get(`/fhir/AuditEvent?patient=Patient/${regionalId}&_count=100`);
  const graphqlReads = audit.body.entry.map((e: any) => e.resource).filter((r: any) => r.entity?.some((en: any) => /^GraphQL/.test(en.description ?? '')));
  expect(graphqlReads.some((r: any) => JSON.stringify(r.agent).includes(clinic.reference))).toBe(true);

  const first = await graphql(server, clinicDoctor, TIMELINE, { id: regionalId, first: 2, kinds: ['LAB_RESULT'] });
  expect(first.data.patientTimeline.pageInfo.hasNextPage).toBe(true);
  const second = await graphql(server, clinicDoctor, TIMELINE, { id: regionalId, first: 2, kinds: ['LAB_RESULT'], after: first.data.patientTimeline.pageInfo.endCursor });
  expect(second.data.patientTimeline.edges.map((e: any) => e.resource.valueQuantity.value)).toEqual([7.1]);
  expect(second.data.patientTimeline.pageInfo.hasNextPage).toBe(false);
});

test('labTrend plots one test over time with unit and range', async () => {
  const answer = await graphql(server, hospitalDoctor, `{ labTrend(patientId: "${regionalId}", code: "${HBA1C}") { code display unit low high points { at value abnormal sourceFacility } } }`);
  expect(answer.errors).toBeUndefined();
  const trend = answer.data.labTrend;
  expect(trend.points.map((p: any) => p.value)).toEqual([7.1, 8.4, 9.1]);
  expect(trend.unit).toBe('%');
  expect([trend.low, trend.high]).toEqual([4.6, 6.2]);
  // Asked with another laboratory's method digits, HbA1c is the same test; the old JDS analyte 3D045 is not.
  const otherMethod = await graphql(server, hospitalDoctor, `{ labTrend(patientId: "${regionalId}", code: "3D046000001906202") { points { value } } }`);
  expect(otherMethod.data.labTrend.points.map((p: any) => p.value)).toEqual([7.1, 8.4, 9.1]);
  const jds = await graphql(server, hospitalDoctor, `{ labTrend(patientId: "${regionalId}", code: "3D045000001920402") { points { value } } }`);
  expect(jds.data.labTrend.points).toEqual([]);
});

test('a facility without consent sees an empty timeline; GraphQL is no side door', async () => {
  const stranger = await server.clientToken({ role: 'clinician', organization: (await facility(server, '1310000333', 'clinic', '他院')).reference });
  const answer = await graphql(server, stranger, TIMELINE, { id: regionalId, first: 50 });
  expect(answer.data.patientTimeline.edges).toEqual([]);
  const researcher = await server.clientToken({ role: 'researcher' });
  const denied = await graphql(server, researcher, TIMELINE, { id: regionalId, first: 50 });
  expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
});

test('the resident records vitals, registers emergency information and reads their own record', async () => {
  const resident = await server.clientToken({ role: 'resident', patient: `Patient/${regionalId}` });
  const vitals = await graphql(server, resident, `mutation { recordVitals(vitals: { height: 160, weight: 64, systolic: 150, diastolic: 95 }) }`);
  expect(vitals.errors).toBeUndefined();
  expect(vitals.data.recordVitals.map((o: any) => o.code.coding[0].code).sort()).toEqual(['29463-7', '39156-5', '8302-2', '85354-9']);
  expect(vitals.data.recordVitals.find((o: any) => o.code.coding[0].code === '39156-5').valueQuantity.value).toBe(25);
  const info = await graphql(server, resident, `mutation($o: String) { updateEmergencyInfo(info: { contacts: [{ name: "検査太郎", relationship: "夫", phone: "090-0000-0000" }], allergies: ["ペニシリン"], familyDoctor: $o, notes: "糖尿病で通院中" }) }`, { o: clinic.reference });
  expect(info.errors).toBeUndefined();
  const record = await graphql(server, resident, `{ myRecord { patientId vitals emergencyInfo consents accessLog } }`);
  expect(record.errors).toBeUndefined();
  expect(record.data.myRecord.vitals).toHaveLength(4);
  expect(record.data.myRecord.emergencyInfo.extension.find((e: any) => e.url === 'urn:tonet:extension:emergency-note').valueString).toBe('糖尿病で通院中');
  expect(record.data.myRecord.consents.length).toBe(3);
  // The clinic's and hospital's looks at the record are in the access log.
  expect(record.data.myRecord.accessLog.length).toBeGreaterThan(0);
  const timeline = await graphql(server, resident, TIMELINE, { id: regionalId, first: 50 });
  expect(new Set(timeline.data.patientTimeline.edges.map((e: any) => e.kind))).toEqual(new Set(['VITAL']));
});

test('emergencySummary follows the REST rules: the emergency role only, with a reason', async () => {
  const team = await server.clientToken({ role: 'emergency', organization: (await facility(server, '1310000444', 'emergency', '消防本部')).reference });
  const answer = await graphql(server, team, `{ emergencySummary(cardNumber: "${cardNumber}", reason: "交通事故") { patient entries } }`);
  expect(answer.errors).toBeUndefined();
  expect(answer.data.emergencySummary.patient.id).toBe(regionalId);
  expect(answer.data.emergencySummary.entries.every((e: any) => ['Basic', 'AllergyIntolerance', 'MedicationRequest'].includes(e.resourceType))).toBe(true);
  expect((await graphql(server, hospitalDoctor, `{ emergencySummary(cardNumber: "${cardNumber}", reason: "x") { patient } }`)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
});

test('transport: GET ?query= works with a bearer token alone; no token is 401; introspection; limits', async () => {
  const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ __schema { queryType { name } } }')}`, { headers: { authorization: `Bearer ${hospitalDoctor}` } });
  expect(get.status).toBe(200);
  expect(((await get.json()) as any).data.__schema.queryType.name).toBe('Query');
  const anonymous = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
  expect(anonymous.status).toBe(401);
  // Seventeen levels of introspection: over its depth limit (the standard query nests 16), refused before it runs.
  const deep = `{ __schema { types { fields { type ${'{ ofType '.repeat(12)}{ name }${' }'.repeat(12)} } } } }`;
  expect((await graphql(server, hospitalDoctor, deep)).errors?.[0].message).toMatch(/Introspection is nested deeper than 16/);
  const unknownField = await graphql(server, hospitalDoctor, `{ patientTimeline(patientId: "${regionalId}") { edges { nope } } }`);
  expect(unknownField.errors?.[0].message).toMatch(/nope/);
  const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' }, redirect: 'manual' });
  expect(page.status).toBe(302);
  const graphiql = await fetch(`${server.url}/graphiql`);
  expect(await graphiql.text()).toMatch(/GraphiQL/);
});

// Last in the file: it changes the hospital's oldest result.
test('the timeline follows writes (a corrected date moves an entry, a deletion removes it) and is refilled when its rules change', async () => {
  const labs = async () => (await graphql(server, clinicDoctor, TIMELINE, { id: regionalId, first: 50, kinds: ['LAB_RESULT'] })).data.patientTimeline.edges;
  const oldest = (await labs())[2].resource;
  expect(oldest.valueQuantity.value).toBe(7.1);
  const gatewayToken = await server.clientToken({ role: 'gateway', organization: hospital.reference });
  const hospitalGateway = as(server, gatewayToken);
  const corrected = await hospitalGateway.put(`/fhir/Observation/${oldest.id}`, { ...oldest, effectiveDateTime: '2024-12-01T10:00:00+09:00' });
  expect(corrected.status).toBe(200);
  expect((await labs()).map((e: any) => e.resource.valueQuantity.value)).toEqual([7.1, 9.1, 8.4]);

  // Rules changed (or a database from before the read model): the server refills it from the resources at start.
  const db = server.tonet.db;
  await db.query(sql`DELETE FROM timeline_entry`);
  await db.query(sql`DELETE FROM server_setting WHERE key = 'timeline_read_model'`);
  expect(await labs()).toEqual([]);
  const entries = new TimelineEntries(db, TIMELINE_RULES);
  expect(await entries.ensureFilled()).toBe(true);
  expect(await entries.ensureFilled()).toBe(false);
  expect((await labs()).map((e: any) => e.resource.valueQuantity.value)).toEqual([7.1, 9.1, 8.4]);

  const deleted = await fetch(`${server.url}/fhir/Observation/${oldest.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${gatewayToken}` } });
  expect(deleted.status).toBeLessThan(300);
  expect((await labs()).map((e: any) => e.resource.valueQuantity.value)).toEqual([9.1, 8.4]);
});

test('a page is found past entries the caller may not see: the index is read on in chunks until the page is full', async () => {
  const labs = (await graphql(server, clinicDoctor, TIMELINE, { id: regionalId, first: 50, kinds: ['LAB_RESULT'] })).data.patientTimeline.edges;
  const subject = labs[0].resource.subject;
  const gatewayToken = await server.clientToken({ role: 'gateway', organization: hospital.reference });
  // 250 lab results dated after the resident's own vitals: the resident sees none of them, only the vitals behind them.
  const entry = Array.from({ length: 250 }, (_, i) => ({
    resource: { resourceType: 'Observation', status: 'final', code: { text: `batch ${i}` }, subject, effectiveDateTime: `2099-01-01T00:00:${String(i % 60).padStart(2, '0')}+09:00` },
    request: { method: 'POST', url: 'Observation' },
  }));
  const posted = await as(server, gatewayToken).post('/fhir', { resourceType: 'Bundle', type: 'transaction', entry });
  expect(posted.status).toBe(200);
  const resident = await server.clientToken({ role: 'resident', patient: `Patient/${regionalId}` });
  const page = (await graphql(server, resident, TIMELINE, { id: regionalId, first: 3 })).data.patientTimeline;
  expect(page.edges.map((e: any) => e.kind)).toEqual(['VITAL', 'VITAL', 'VITAL']);
  expect(page.pageInfo.hasNextPage).toBe(true);
  const rest = (await graphql(server, resident, TIMELINE, { id: regionalId, first: 50, after: page.pageInfo.endCursor })).data.patientTimeline;
  expect(rest.edges.map((e: any) => e.kind)).toEqual(['VITAL']);
  expect(rest.pageInfo.hasNextPage).toBe(false);
  // The clinic sees all of them, newest first.
  expect((await graphql(server, clinicDoctor, TIMELINE, { id: regionalId, first: 260, kinds: ['LAB_RESULT'] })).data.patientTimeline.edges).toHaveLength(252);
});
