/**
 * The diabetes pathway (地域連携パス) through real sockets: a region built with $enroll and $link-card, the
 * specialist's $apply, results through HL7 ingest and the resident's own entry, alerts as Flags and as
 * `alertRaised` events, the overdue sweep, acknowledgement, and the dashboard under each facility's consent.
 */
import { createClient, Client } from 'graphql-ws';
import WebSocket from 'ws';
import { loadPathways } from '../../src/pathway/catalogue';
import { validate } from '../../src/fhir/repository';
import { bloodPressureMessage, BloodPressure, labResultMessage } from '../support/hl7-messages';
import { startTestServer, TestServer } from '../support/server';
import { as, facility, Facility, parameters, printedCard } from '../consent/support';
import { graphql } from '../transports/graphql/support';

type Caller = ReturnType<typeof as>;

let server: TestServer;
let hospital: Facility;
let clinic: Facility;
let otherClinic: Facility;
let admin: Caller;
let hospitalDoctor: Caller;
let clinicDoctor: Caller;
let otherDoctor: Caller;
let gateway: Caller;
let clinicToken: string;
let patientId: string;
let bystanderId: string;
let carePlanId: string;
let diabetesId: string;
let messageCount = 0;

const BIRTH_DATE = '1956-01-01';
const HBA1C = '3D046000001920402';
const EGFR = '8A065000002391901';

/** yyyyMMddHHmm in Japan time, `daysAgo` days before now. */
function observedAt(daysAgo: number): string {
  const jst = new Date(Date.now() - daysAgo * 86_400_000 + 9 * 3_600_000).toISOString();
  return jst.slice(0, 16).replace(/[-T:]/g, '');
}

async function sendLab(localId: string, code: string, name: string, value: string, unit: string, daysAgo = 1) {
  messageCount++;
  const message = labResultMessage({ controlId: `P-${messageCount}`, patientId: localId, orderNumber: `O-${messageCount}`, code, name, value, unit, range: '', observedAt: observedAt(daysAgo) });
  const ack = await gateway.post('/hl7/v2', message, 'x-application/hl7-v2+er7');
  expect(ack.body).toMatch(/MSA\|AA/);
}

async function sendBloodPressure(reading: Omit<BloodPressure, 'controlId'>) {
  messageCount++;
  const ack = await gateway.post('/hl7/v2', bloodPressureMessage({ controlId: `P-${messageCount}`, ...reading }), 'x-application/hl7-v2+er7');
  expect(ack.body).toMatch(/MSA\|AA/);
}

async function enrolAndLink(localId: string, family: string): Promise<string> {
  const enrolled = await admin.post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family, given: ['花子'] }], birthDate: BIRTH_DATE, gender: 'female' } }));
  expect(enrolled.status).toBe(201);
  const { cardNumber, cardSecret } = printedCard(enrolled.body);
  for (const [doctor, local] of [[hospitalDoctor, localId], [clinicDoctor, `C-${localId}`]] as const) {
    expect((await doctor.post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId: local, birthDate: BIRTH_DATE }))).status).toBe(200);
  }
  return enrolled.body.id;
}

async function flags(caller: Caller, patient: string): Promise<any[]> {
  const answer = await caller.get(`/fhir/Flag?subject=Patient/${patient}&_count=100`);
  expect(answer.status).toBe(200);
  return (answer.body.entry ?? []).map((e: any) => e.resource);
}

const ruleOf = (flag: any) => flag.code.coding[0].code;
const kindOf = (flag: any) => flag.category[0].coding[0].code;
const ext = (flag: any, name: string) => flag.extension.find((e: any) => e.url === `urn:tonet:extension:pathway-${name}`);

beforeAll(async () => {
  server = await startTestServer();
  hospital = await facility(server, '1310000011', 'core-hospital', '利根中央病院');
  clinic = await facility(server, '1310000022', 'clinic', '加須クリニック');
  otherClinic = await facility(server, '1310000044', 'clinic', '栗橋医院');
  admin = as(server, server.adminToken);
  hospitalDoctor = as(server, await server.clientToken({ role: 'clinician', organization: hospital.reference }));
  clinicToken = await server.clientToken({ role: 'clinician', organization: clinic.reference });
  clinicDoctor = as(server, clinicToken);
  otherDoctor = as(server, await server.clientToken({ role: 'clinician', organization: otherClinic.reference }));
  gateway = as(server, await server.clientToken({ role: 'gateway', organization: hospital.reference }));
  // Results before enrolment: the hospital's local records exist before the cards are linked.
  await sendLab('H-100', EGFR, 'eGFR', '80', 'mL/min/1.73m2', 30);
  await sendLab('H-200', HBA1C, 'HbA1c', '6.0', '%', 30);
  patientId = await enrolAndLink('H-100', '連携');
  bystanderId = await enrolAndLink('H-200', '別人');
  const plans = await admin.get('/fhir/PlanDefinition?url=urn:tonet:pathway:diabetes');
  diabetesId = plans.body.entry[0].resource.id;
});
afterAll(async () => server?.close());

test('the shipped pathways are loaded once, as PlanDefinitions with ActivityDefinitions, and versioned on edit', async () => {
  for (const name of ['diabetes', 'stroke', 'hip-fracture']) {
    const page = await clinicDoctor.get(`/fhir/PlanDefinition?url=urn:tonet:pathway:${name}`);
    expect(page.body.total ?? page.body.entry.length).toBe(1);
    for (const action of page.body.entry[0].resource.action) {
      const [url, version] = action.definitionCanonical.split('|');
      expect((await clinicDoctor.ids(`/fhir/ActivityDefinition?url=${url}&version=${version}`))).toHaveLength(1);
    }
  }
  const hba1c = (await admin.get('/fhir/ActivityDefinition?url=urn:tonet:pathway:diabetes:hba1c')).body.entry[0].resource;
  expect(hba1c.code.coding[0]).toEqual({ system: 'http://medis.or.jp/CodeSystem/master-JLAC10-17digits', code: HBA1C, display: 'HbA1c(NGSP)' });
  expect(await loadPathways(server.tonet.repo)).toEqual({ created: 0 });

  const stroke = (await admin.get('/fhir/PlanDefinition?url=urn:tonet:pathway:stroke')).body.entry[0].resource;
  const edited = await admin.put(`/fhir/PlanDefinition/${stroke.id}`, { ...stroke, description: 'Edited by the network office' });
  expect(edited.status).toBe(200);
  const history = await admin.get(`/fhir/PlanDefinition/${stroke.id}/_history`);
  expect(history.body.entry).toHaveLength(2);
  expect((await clinicDoctor.put(`/fhir/PlanDefinition/${stroke.id}`, { ...stroke, description: 'x' })).status).toBe(403);
  // A restart keeps the administrator's edit.
  await loadPathways(server.tonet.repo);
  expect((await admin.get(`/fhir/PlanDefinition/${stroke.id}`)).body.description).toBe('Edited by the network office');
});

test('$apply is refused for a patient the caller cannot see, or when the caller is not at a core hospital', async () => {
  // Whether the follow-up clinic is linked is not the hospital's to learn (docs/security.md, existence oracles).
  const unknown = await hospitalDoctor.post(`/fhir/PlanDefinition/${diabetesId}/$apply`, parameters({ subject: 'Patient/never-enrolled', organization: clinic.reference }));
  expect(unknown.status).toBe(404);
  const byClinic = await clinicDoctor.post(`/fhir/PlanDefinition/${diabetesId}/$apply`, parameters({ subject: `Patient/${patientId}`, organization: clinic.reference }));
  expect(byClinic.status).toBe(403);
  expect(await clinicDoctor.ids(`/fhir/CarePlan?subject=Patient/${patientId}`)).toEqual([]);
});

test('the specialist applies the diabetes pathway: an active CarePlan with due dates and the care team', async () => {
  const applied = await hospitalDoctor.post(`/fhir/PlanDefinition/${diabetesId}/$apply`, parameters({ subject: `Patient/${patientId}`, organization: clinic.reference }));
  expect(applied.status).toBe(201);
  const plan = applied.body;
  carePlanId = plan.id;
  expect(plan).toMatchObject({ resourceType: 'CarePlan', status: 'active', intent: 'plan', subject: { reference: `Patient/${patientId}` }, author: { reference: hospital.reference } });
  expect(plan.instantiatesCanonical).toEqual(['urn:tonet:pathway:diabetes|1.0.0']);
  expect(plan.contained[0].participant.map((p: any) => p.member.reference)).toEqual([hospital.reference, clinic.reference]);
  expect(plan.activity).toHaveLength(8);
  const hba1c = plan.activity.find((a: any) => a.detail.instantiatesCanonical[0].startsWith('urn:tonet:pathway:diabetes:hba1c|'));
  const inThreeMonths = new Date();
  inThreeMonths.setUTCMonth(inThreeMonths.getUTCMonth() + 3);
  expect(hba1c.detail.scheduledTiming.event).toEqual([inThreeMonths.toISOString().slice(0, 10)]);
  expect(hba1c.detail.performer).toEqual([{ reference: clinic.reference }]);
  // The follow-up clinic sees the plan through its consent; an unlinked clinic does not.
  expect((await clinicDoctor.get(`/fhir/CarePlan/${carePlanId}`)).status).toBe(200);
  expect((await otherDoctor.get(`/fhir/CarePlan/${carePlanId}`)).status).toBe(404);
  const again = await hospitalDoctor.post(`/fhir/PlanDefinition/${diabetesId}/$apply`, parameters({ subject: `Patient/${patientId}`, organization: clinic.reference }));
  expect(again.status).toBe(409);
});

test('an HbA1c of 9.1% through HL7 ingest raises a Flag for the care team and an alertRaised event', async () => {
  const client: Client = createClient({ url: `ws://127.0.0.1:${new URL(server.url).port}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${clinicToken}` } });
  const events: any[] = [];
  let subscribed!: () => void;
  const received = new Promise<void>((resolve, reject) => {
    subscribed = client.subscribe({ query: 'subscription { alertRaised }' }, { next: (event) => (events.push(event.data?.alertRaised), resolve()), error: reject, complete: () => undefined });
  });
  try {
    // The subscription is registered when the server has answered connection_init; give it that round trip.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await sendLab('H-100', HBA1C, 'HbA1c', '9.1', '%');
    await received;
  } finally {
    subscribed();
    await client.dispose();
  }
  expect(events[0]).toMatchObject({ resourceType: 'Flag', status: 'active', subject: { reference: `Patient/${patientId}` } });
  expect(ruleOf(events[0])).toBe('hba1c-high');

  for (const doctor of [clinicDoctor, hospitalDoctor]) {
    const raised = (await flags(doctor, patientId)).filter((f) => ruleOf(f) === 'hba1c-high');
    expect(raised).toHaveLength(1);
    const flag = raised[0];
    expect(kindOf(flag)).toBe('pathway-abnormal');
    expect(flag.category[0].coding[0].system).toBe('urn:tonet:flag-category');
    expect(ext(flag, 'value').valueString).toBe('9.1 %');
    expect(ext(flag, 'care-plan').valueReference.reference).toBe(`CarePlan/${carePlanId}`);
    expect(ext(flag, 'observation').valueReference.reference).toMatch(/^Observation\//);
    expect(ext(flag, 'severity').valueCode).toBe('high');
    expect(flag.author.display).toMatch(/Tonet/);
    expect(flag.meta.source).toBeUndefined();
    expect(() => validate(flag)).not.toThrow();
  }
  expect(await flags(otherDoctor, patientId)).toEqual([]);
});

test('a patient on no pathway raises nothing', async () => {
  await sendLab('H-200', HBA1C, 'HbA1c', '9.5', '%');
  expect(await flags(admin, bystanderId)).toEqual([]);
});

test("a facility's blood pressure, sent as systolic and diastolic items, raises one alert per measurement and answers the activity", async () => {
  const bpHigh = async () => (await flags(clinicDoctor, patientId)).filter((f) => ruleOf(f) === 'bp-high');
  const yesterday = observedAt(1);
  await sendBloodPressure({ patientId: 'H-100', systolic: '165', diastolic: '95', observedAt: yesterday });
  const raised = await bpHigh();
  expect(raised).toHaveLength(1);
  expect(ext(raised[0], 'value').valueString).toBe('165/95 mm[Hg]');
  expect(ext(raised[0], 'follow-up').valueReference.reference).toBe(clinic.reference);
  // The measurement is the blood-pressure activity's latest result.
  const board = await graphql(server, clinicToken, `query($facility: ID!) { pathwayDashboard(facility: $facility, pathway: "diabetes") { patients { recentValues { activity text abnormal } } } }`, { facility: clinic.reference });
  expect(board.errors).toBeUndefined();
  const recent = board.data.pathwayDashboard.patients[0].recentValues;
  expect(recent.filter((v: any) => v.activity.startsWith('血圧'))).toEqual([{ activity: '血圧 (blood pressure, resident or facility)', text: '165/95 mm[Hg]', abnormal: true }]);

  // The same measurement sent again, and a normal one, raise nothing more.
  await sendBloodPressure({ patientId: 'H-100', systolic: '165', diastolic: '95', observedAt: yesterday });
  await sendBloodPressure({ patientId: 'H-100', systolic: '128', diastolic: '82', observedAt: observedAt(0.5) });
  expect(await bpHigh()).toHaveLength(1);

  // A device that sends the two items of one measurement in two messages: still one alert.
  const twoDaysAgo = observedAt(2);
  await sendBloodPressure({ patientId: 'H-100', diastolic: '100', observedAt: twoDaysAgo });
  await sendBloodPressure({ patientId: 'H-100', systolic: '170', observedAt: twoDaysAgo });
  const after = await bpHigh();
  expect(after).toHaveLength(2);
  expect(after.map((f) => ext(f, 'value').valueString).sort()).toEqual(['100 mm[Hg]', '165/95 mm[Hg]']);
});

test("a resident's blood pressure of 150/95 raises an alert", async () => {
  const resident = as(server, await server.clientToken({ role: 'resident', patient: `Patient/${patientId}` }));
  const recorded = await graphql(server, (await server.clientToken({ role: 'resident', patient: `Patient/${patientId}` })), 'mutation { recordVitals(vitals: { systolic: 150, diastolic: 95 }) }');
  expect(recorded.errors).toBeUndefined();
  const bp = (await flags(clinicDoctor, patientId)).filter((f) => ruleOf(f) === 'bp-high' && ext(f, 'value').valueString === '150/95 mm[Hg]');
  expect(bp).toHaveLength(1);
  const raisedBefore = (await flags(clinicDoctor, patientId)).filter((f) => ruleOf(f) === 'bp-high').length;
  // A normal reading raises nothing more.
  const normal = await resident.post('/fhir/Observation', {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: new Date().toISOString(),
    component: [
      { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 128, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
      { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: 82, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    ],
  });
  expect(normal.status).toBe(201);
  expect((await flags(clinicDoctor, patientId)).filter((f) => ruleOf(f) === 'bp-high')).toHaveLength(raisedBefore);
});

test('an eGFR falling 25% or more from the baseline before enrolment raises an alert, though above 45', async () => {
  await sendLab('H-100', EGFR, 'eGFR', '58', 'mL/min/1.73m2');
  const egfr = (await flags(hospitalDoctor, patientId)).filter((f) => ruleOf(f).startsWith('egfr-'));
  expect(egfr.map(ruleOf)).toEqual(['egfr-fall']);
  expect(ext(egfr[0], 'follow-up').valueReference.reference).toBe(hospital.reference);
});

test('$check-overdue a year later raises one missed-test Flag per activity, once; a result closes its Flag', async () => {
  const asOf = new Date(Date.now() + 366 * 86_400_000).toISOString().slice(0, 10);
  const first = await admin.post('/fhir/CarePlan/$check-overdue', parameters({ asOf }));
  expect(first.status).toBe(200);
  expect(first.body.parameter.find((p: any) => p.name === 'raised').valueInteger).toBe(8);
  const second = await clinicDoctor.post('/fhir/CarePlan/$check-overdue', parameters({ asOf }));
  expect(second.body.parameter.find((p: any) => p.name === 'raised').valueInteger).toBe(0);
  const missed = (await flags(clinicDoctor, patientId)).filter((f) => kindOf(f) === 'pathway-missed-test');
  expect(missed).toHaveLength(8);
  expect(new Set(missed.map((f) => ext(f, 'activity').valueCanonical)).size).toBe(8);
  expect(() => validate(missed[0])).not.toThrow();
  expect((await otherDoctor.post('/fhir/CarePlan/$check-overdue', parameters({ asOf }))).body.parameter[1].valueInteger).toBe(0);
  expect((await as(server, await server.clientToken({ role: 'researcher' })).post('/fhir/CarePlan/$check-overdue', parameters({ asOf }))).status).toBe(403);

  // Another laboratory reports HbA1c under other method digits: still the pathway's HbA1c.
  await sendLab('H-100', '3D046000001906202', 'HbA1c', '7.0', '%');
  const after = (await flags(clinicDoctor, patientId)).filter((f) => kindOf(f) === 'pathway-missed-test');
  const hba1c = after.filter((f) => ext(f, 'activity').valueCanonical.startsWith('urn:tonet:pathway:diabetes:hba1c|'));
  expect(hba1c.map((f) => f.status)).toEqual(['inactive']);
  expect(hba1c[0].period.end).toBeDefined();
  // A facility's blood pressure, sent as two items, answers the blood-pressure activity.
  await sendBloodPressure({ patientId: 'H-100', systolic: '126', diastolic: '78', observedAt: observedAt(0) });
  const answered = (await flags(clinicDoctor, patientId)).filter((f) => kindOf(f) === 'pathway-missed-test');
  const bp = answered.filter((f) => ext(f, 'activity').valueCanonical.startsWith('urn:tonet:pathway:diabetes:blood-pressure|'));
  expect(bp.map((f) => f.status)).toEqual(['inactive']);
  expect(answered.filter((f) => f.status === 'active')).toHaveLength(6);
});

test('the care team acknowledges an alert: who and when on the Flag, and in the audit trail', async () => {
  const [flag] = (await flags(clinicDoctor, patientId)).filter((f) => ruleOf(f) === 'hba1c-high');
  expect((await otherDoctor.post(`/fhir/Flag/${flag.id}/$acknowledge`, parameters({}))).status).toBe(404);
  const acknowledged = await clinicDoctor.post(`/fhir/Flag/${flag.id}/$acknowledge`, parameters({}));
  expect(acknowledged.status).toBe(200);
  const record = acknowledged.body.extension.find((e: any) => e.url === 'urn:tonet:extension:flag-acknowledgement');
  expect(record.extension.find((e: any) => e.url === 'by').valueReference.reference).toBe(clinic.reference);
  expect(Date.parse(record.extension.find((e: any) => e.url === 'at').valueDateTime)).not.toBeNaN();
  expect(acknowledged.body.meta.versionId).toBe('2');
  const audit = await admin.get(`/fhir/AuditEvent?patient=Patient/${patientId}&_count=200`);
  expect(JSON.stringify(audit.body)).toContain(`$acknowledge Flag/${flag.id}`);
});

test('the dashboard and outcome figures follow each caller’s consent', async () => {
  const query = `query($facility: ID!) { pathwayDashboard(facility: $facility, pathway: "diabetes") {
    patients { patientId carePlanId openAlerts nextDue { activity dueDate overdue } recentValues { activity text abnormal } }
    openAlertsBySeverity { severity count } openAlerts { kind severity ruleId acknowledged } } }`;
  const mine = await graphql(server, clinicToken, query, { facility: clinic.reference });
  expect(mine.errors).toBeUndefined();
  const board = mine.data.pathwayDashboard;
  expect(board.patients).toHaveLength(1);
  expect(board.patients[0]).toMatchObject({ patientId, carePlanId });
  expect(board.patients[0].nextDue).toHaveLength(8);
  expect(board.patients[0].recentValues.find((v: any) => v.activity === 'HbA1c')).toEqual({ activity: 'HbA1c', text: '7 %', abnormal: false });
  expect(board.openAlertsBySeverity.map((s: any) => s.severity)).toEqual(['high', 'medium']);
  expect(board.openAlerts.find((a: any) => a.ruleId === 'hba1c-high').acknowledged).toBe(true);
  const others = await graphql(server, (await server.clientToken({ role: 'clinician', organization: otherClinic.reference })), query, { facility: clinic.reference });
  expect(others.data.pathwayDashboard.patients).toEqual([]);

  const outcomes = await graphql(server, server.adminToken, '{ pathwayOutcomes(pathway: "diabetes") { enrolled hba1cMeasured hba1cControlledShare missedTestRate activities { activity measured } } }');
  expect(outcomes.errors).toBeUndefined();
  expect(outcomes.data.pathwayOutcomes).toMatchObject({ enrolled: 1, hba1cMeasured: 1, hba1cControlledShare: 1, missedTestRate: 6 / 8 });
});

test('a CarePlan that is no longer active leaves the rules', async () => {
  const plan = (await hospitalDoctor.get(`/fhir/CarePlan/${carePlanId}`)).body;
  expect((await hospitalDoctor.put(`/fhir/CarePlan/${carePlanId}`, { ...plan, status: 'completed' })).status).toBe(200);
  const before = (await flags(admin, patientId)).length;
  await sendLab('H-100', HBA1C, 'HbA1c', '10.2', '%');
  expect((await flags(admin, patientId)).length).toBe(before);
});
