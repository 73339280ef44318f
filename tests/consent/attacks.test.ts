/**
 * Attack cases (docs/security.md): each row names an actor, what they try, and what must not happen. They
 * run in order over real sockets against one region; each case uses its own residents, so a row that fails
 * says which defence broke. The consent matrix says who sees what; these rows try to get around it.
 */
import { MAX_EMERGENCY_DECLARATIONS_FOR_TESTS, MAX_FAILED_ATTEMPTS_FOR_TESTS } from './limits';
import { startTestServer, TestServer } from '../support/server';
import fs from 'node:fs';
import http from 'node:http';
import { MAX_FAILED_SECRETS } from '../../src/auth/clients';
import { sql } from '../../src/core/sql';
import { fixturePath } from '../fixtures';
import { ackCode, MllpClient, withToken } from '../ingest/support';
import { createClient, Client } from 'graphql-ws';
import WebSocket from 'ws';
import { graphql } from '../transports/graphql/support';
import { CT, CT_FILES, ENHANCED_CT, ENHANCED_CT_FILE, read, stow } from '../dicomweb/support';
import { as, facility, Facility, parameters, printedCard } from './support';

type Caller = ReturnType<typeof as>;

interface AttackCase {
  actor: string;
  steps: string;
  mustNot: string;
  run: () => Promise<void>;
}

interface Resident {
  id: string;
  cardNumber: string;
  cardSecret: string;
  birthDate: string;
  family: string;
}

let server: TestServer;
let hospital: Facility;
let clinic: Facility;
let admin: Caller;
let hospitalDoctor: Caller;
let emergencyTeam: Caller;
let residentCount = 0;

beforeAll(async () => {
  server = await startTestServer();
  hospital = await facility(server, '1320000011', 'core-hospital', '攻撃試験病院');
  clinic = await facility(server, '1320000022', 'clinic', '攻撃試験クリニック');
  const ambulance = await facility(server, '1320000033', 'emergency', '攻撃試験消防');
  admin = as(server, server.adminToken);
  hospitalDoctor = as(server, await server.clientToken({ role: 'clinician', organization: hospital.reference }));
  emergencyTeam = as(server, await server.clientToken({ role: 'emergency', organization: ambulance.reference }));
});
afterAll(async () => server?.close());

/** A client of its own per case: failed $link-card attempts are counted per client. */
async function clinicianAt(f: Facility): Promise<Caller> {
  return as(server, await server.clientToken({ role: 'clinician', organization: f.reference }));
}

/** A newly enrolled resident (emergency use allowed) with an address and a phone number on record. */
async function enrol(family = `攻撃${++residentCount}`, birthDate = new Date(Date.UTC(1940, 0, 10 + residentCount)).toISOString().slice(0, 10), city = '加須市'): Promise<Resident> {
  const enrolled = await admin.post('/fhir/Patient/$enroll', parameters({
    patient: { resourceType: 'Patient', name: [{ family, given: ['花子'] }], birthDate, gender: 'female', address: [{ city, line: ['本町1-1'] }], telecom: [{ system: 'phone', value: '0480-00-0000' }] },
    emergencyUse: true,
  }));
  expect(enrolled.status).toBe(201);
  return { id: enrolled.body.id, ...printedCard(enrolled.body), birthDate, family };
}

function linkCard(doctor: Caller, resident: Resident, localId: string, overrides: Record<string, string> = {}) {
  const { cardNumber, cardSecret, birthDate } = resident;
  return doctor.post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId, birthDate, ...overrides }));
}

/** A lab result the hospital keeps on its own record of the resident. */
async function hospitalResult(resident: Resident, localId: string): Promise<string> {
  const local = await hospitalDoctor.get(`/fhir/Patient?identifier=urn:oid:1.2.392.100495.20.3.51.1${hospital.code}|${localId}`);
  const created = await hospitalDoctor.post('/fhir/Observation', {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
    subject: { reference: `Patient/${local.body.entry[0].resource.id}` },
    valueQuantity: { value: 7.1, unit: '%' },
  });
  expect(created.status).toBe(201);
  return `Observation/${created.body.id}`;
}

function expectNoCard(answer: unknown, resident: Resident): void {
  const text = JSON.stringify(answer);
  expect(text).not.toContain(resident.cardNumber);
  expect(text).not.toContain(resident.cardSecret);
}

async function fhirGraphql(caller: Caller, query: string) {
  const answer = await caller.post('/fhir/$graphql', { query }, 'application/json');
  expect(answer.status).toBe(200);
  return answer.body;
}

/** WADO-RS as a caller: the status, the served part's transfer syntax, and the body text with the asked UIDs masked. */
async function wado(token: string, uids: { study: string; series: string; sop: string }) {
  const res = await fetch(`${server.url}/dicomweb/studies/${uids.study}/series/${uids.series}/instances/${uids.sop}`, { headers: { authorization: `Bearer ${token}` } });
  const body = Buffer.from(await res.arrayBuffer()).toString('latin1');
  return { status: res.status, syntax: /transfer-syntax=([\d.]+)/.exec(body)?.[1], masked: [uids.study, uids.series, uids.sop].reduce((text, uid) => text.split(uid).join('<uid>'), body) };
}

/** Audit events naming a patient, as the office sees them (the resident sees the same entries in their access log). */
async function auditOf(patientId: string): Promise<string[]> {
  const found = await admin.get(`/fhir/AuditEvent?patient=Patient/${patientId}&_count=100`);
  expect(found.status).toBe(200);
  return (found.body.entry ?? []).map((e: any) => e.resource.entity.map((x: any) => x.description ?? '').join(' '));
}

/** The resident revokes one facility's Consent themselves. */
async function revoke(resident: Resident, f: Facility): Promise<void> {
  const self = as(server, await server.clientToken({ role: 'resident', patient: `Patient/${resident.id}` }));
  const consents = await admin.get(`/fhir/Consent?patient=Patient/${resident.id}&actor=${f.reference}&status=active`);
  expect(consents.body.entry).toHaveLength(1);
  const consent = consents.body.entry[0].resource;
  expect((await self.put(`/fhir/Consent/${consent.id}`, { ...consent, status: 'inactive' })).status).toBe(200);
}

async function planDefinitionId(url: string): Promise<string> {
  return (await admin.get(`/fhir/PlanDefinition?url=${url}`)).body.entry[0].resource.id;
}

const EXPLICIT_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const ICD10 = 'http://jpfhir.jp/fhir/core/mhlw/CodeSystem/ICD10-2013-full';
const JLAC10 = 'http://medis.or.jp/CodeSystem/master-JLAC10-17digits';
const HBA1C = '3D046000001920402';
const COHORT_QUERY = `query($c: CohortCriteria!, $g: [CohortDimension!]!) { cohortStatistics(criteria: $c, groupBy: $g) { groups { key count suppressed mean quartiles } } }`;

/** An SS-MIX2 ADT-00 of the NHO sample tree (patient 9999013), with MSH fields set as given (MSH-n at index n). */
function adtMessage(fields: Record<number, string>): Buffer {
  const message = fs.readFileSync(fixturePath('ssmix2-nho', 'sampleData', '999', '901', '9999013', '-', 'ADT-00', '9999013_-_ADT-00_999999999999999_20111220224447339_-_1'));
  const firstEnd = message.indexOf(0x0d);
  const header = message.subarray(0, firstEnd).toString('latin1').split('|');
  for (const [n, value] of Object.entries(fields)) header[Number(n) - 1] = value;
  return Buffer.concat([Buffer.from(header.join('|'), 'latin1'), message.subarray(firstEnd)]);
}

const cases: AttackCase[] = [
  {
    actor: 'clinician of a linked facility',
    steps: 'reads the regional Patient by read, search, history, $everything, _revinclude and FHIR GraphQL',
    mustNot: 'see the card number or the card secret',
    async run() {
      const resident = await enrol();
      expect((await linkCard(hospitalDoctor, resident, 'H-1')).status).toBe(200);
      const answers = [
        await hospitalDoctor.get(`/fhir/Patient/${resident.id}`),
        await hospitalDoctor.get(`/fhir/Patient?_id=${resident.id}`),
        await hospitalDoctor.get(`/fhir/Patient/${resident.id}/_history`),
        await hospitalDoctor.get(`/fhir/Patient/${resident.id}/$everything`),
        await hospitalDoctor.get(`/fhir/Patient?_id=${resident.id}&_revinclude=Consent:patient`),
        await hospitalDoctor.get(`/fhir/Patient?identifier=urn:tonet:card-number|${resident.cardNumber}`),
      ];
      for (const answer of answers) expect(answer.status).toBe(200);
      expect(answers[0].body.id).toBe(resident.id);
      // A search by the card number finds nothing (only the digest is stored); its self link echoes the query.
      expect(answers.pop()?.body.entry ?? []).toEqual([]);
      answers.forEach((a) => expectNoCard(a.body, resident));
      expectNoCard(await fhirGraphql(hospitalDoctor, `{ Patient(id: "${resident.id}") { identifier { system value } extension { url valueString } } }`), resident);
    },
  },
  {
    actor: 'network office',
    steps: 'reads the regional Patient, or tries to store a card number in a Patient',
    mustNot: 'find the card number or secret stored anywhere it serves',
    async run() {
      const resident = await enrol();
      const read = await admin.get(`/fhir/Patient/${resident.id}`);
      expect(read.status).toBe(200);
      expectNoCard(read.body, resident);
      const stored = await admin.put(`/fhir/Patient/${resident.id}`, { ...read.body, identifier: [{ system: 'urn:tonet:card-number', value: resident.cardNumber }] });
      expect(stored.status).toBe(403);
    },
  },
  {
    actor: 'emergency team',
    steps: 'takes the emergency summary by card number',
    mustNot: 'receive the card, any identifier, the address or the phone number of the resident',
    async run() {
      const resident = await enrol();
      const summary = await emergencyTeam.post('/fhir/Patient/$emergency-summary', parameters({ cardNumber: resident.cardNumber, reason: '交通事故' }));
      expect(summary.status).toBe(200);
      const patient = summary.body.entry[0].resource;
      expect(patient.id).toBe(resident.id);
      expect(patient.name[0].family).toBe(resident.family);
      expect(patient.identifier).toBeUndefined();
      expect(patient.address).toBeUndefined();
      expect(patient.telecom).toBeUndefined();
      expectNoCard(summary.body, resident);
    },
  },
  {
    actor: 'clinician who saw the card number (printed, or on a handover sheet)',
    steps: '$link-card with the number and birth date but a wrong or missing card secret',
    mustNot: 'link, or learn from the answer which check failed',
    async run() {
      const clinicDoctor = await clinicianAt(clinic);
      const resident = await enrol();
      const wrongSecret = await linkCard(clinicDoctor, resident, 'C-4', { cardSecret: 'AAAAAAAAAA' });
      const wrongBirthDate = await linkCard(clinicDoctor, resident, 'C-4', { birthDate: '1900-01-01' });
      const noSecret = await clinicDoctor.post('/fhir/Patient/$link-card', parameters({ cardNumber: resident.cardNumber, localId: 'C-4', birthDate: resident.birthDate }));
      expect(wrongSecret.status).toBe(422);
      expect(wrongBirthDate).toEqual(wrongSecret);
      expect(noSecret.status).toBe(400);
      expect((await clinicDoctor.get(`/fhir/Patient/${resident.id}`)).status).toBe(404);
    },
  },
  {
    actor: 'clinician',
    steps: 'creates a Patient carrying the card number, or the digest a card look-up searches for',
    mustNot: 'make the card (emergency summary, $link-card) find its own record',
    async run() {
      const clinicDoctor = await clinicianAt(clinic);
      const resident = await enrol();
      const regional = (await admin.get(`/fhir/Patient/${resident.id}`)).body;
      const digest = regional.identifier.find((i: { system: string }) => i.system === 'urn:tonet:card-number-digest');
      expect(digest).toBeDefined();
      const forged = await clinicDoctor.post('/fhir/Patient', { resourceType: 'Patient', identifier: [digest], name: [{ family: 'にせもの' }], birthDate: resident.birthDate });
      expect(forged.status).toBe(403);
      const plain = await clinicDoctor.post('/fhir/Patient', { resourceType: 'Patient', identifier: [{ system: 'urn:tonet:card-number', value: resident.cardNumber }] });
      expect(plain.status).toBe(403);
      const secret = await clinicDoctor.post('/fhir/Patient', { resourceType: 'Patient', extension: regional.extension });
      expect(secret.status).toBe(403);
    },
  },
  {
    actor: 'facility whose Consent was revoked',
    steps: 'calls $link-card again with the card it saw before; later the resident shows a new card secret',
    mustNot: 're-link on its own, or tell from the refusal that it was revoked',
    async run() {
      const clinicDoctor = await clinicianAt(clinic);
      const resident = await enrol();
      expect((await linkCard(clinicDoctor, resident, 'C-6')).status).toBe(200);
      const self = as(server, await server.clientToken({ role: 'resident', patient: `Patient/${resident.id}` }));
      const [consentRef] = await clinicDoctor.ids(`/fhir/Consent?patient=Patient/${resident.id}`);
      const consent = (await self.get(`/fhir/${consentRef}`)).body;
      expect((await self.put(`/fhir/${consentRef}`, { ...consent, status: 'inactive' })).status).toBe(200);
      const again = await linkCard(clinicDoctor, resident, 'C-6');
      const wrongSecret = await linkCard(clinicDoctor, resident, 'C-6', { cardSecret: 'AAAAAAAAAA' });
      expect(again).toEqual(wrongSecret);
      expect((await clinicDoctor.get(`/fhir/Patient/${resident.id}`)).status).toBe(404);
      // The resident asks for a new secret and shows it: only then may the facility link again.
      expect((await clinicDoctor.post(`/fhir/Patient/${resident.id}/$new-card-secret`, parameters({}))).status).toBe(403);
      const renewed = await self.post(`/fhir/Patient/${resident.id}/$new-card-secret`, parameters({}));
      expect(renewed.status).toBe(200);
      const cardSecret = renewed.body.parameter.find((p: { name: string }) => p.name === 'cardSecret').valueString;
      expect((await linkCard(clinicDoctor, resident, 'C-6')).status).toBe(422);
      expect((await linkCard(clinicDoctor, resident, 'C-6', { cardSecret })).status).toBe(200);
      expect((await clinicDoctor.get(`/fhir/Patient/${resident.id}`)).status).toBe(200);
    },
  },
  {
    actor: 'clinician or emergency team',
    steps: 'uses the card of a resident who withdrew from the network',
    mustNot: 'link a facility or get the emergency summary',
    async run() {
      const clinicDoctor = await clinicianAt(clinic);
      const resident = await enrol();
      expect((await admin.post(`/fhir/Patient/${resident.id}/$withdraw`, parameters({}))).status).toBe(200);
      expect((await linkCard(clinicDoctor, resident, 'C-7')).status).toBe(422);
      expect((await emergencyTeam.post('/fhir/Patient/$emergency-summary', parameters({ cardNumber: resident.cardNumber, reason: '搬送' }))).status).toBe(404);
    },
  },
  {
    actor: 'facility named by a Consent',
    steps: 'updates its Consent to name another patient, another actor or another provision while revoking it',
    mustNot: 'bend the Consent: only the status may change',
    async run() {
      const clinicDoctor = await clinicianAt(clinic);
      const resident = await enrol();
      const other = await enrol();
      expect((await linkCard(clinicDoctor, resident, 'C-8')).status).toBe(200);
      const [consentRef] = await clinicDoctor.ids(`/fhir/Consent?patient=Patient/${resident.id}`);
      const consent = (await clinicDoctor.get(`/fhir/${consentRef}`)).body;
      const bent = [
        { ...consent, status: 'inactive', patient: { reference: `Patient/${other.id}` } },
        { ...consent, status: 'inactive', provision: { ...consent.provision, actor: [{ ...consent.provision.actor[0], reference: { reference: hospital.reference } }] } },
        { ...consent, status: 'inactive', provision: { ...consent.provision, type: 'deny' } },
      ];
      for (const body of bent) expect((await clinicDoctor.put(`/fhir/${consentRef}`, body)).status).toBe(403);
      expect((await clinicDoctor.get(`/fhir/${consentRef}`)).body.status).toBe('active');
    },
  },
  {
    actor: 'anyone who moves a Consent to another patient (here the network office, who may)',
    steps: 're-points an active facility Consent from one resident to another',
    mustNot: 'leave the facility a grant on the first resident',
    async run() {
      const clinicDoctor = await clinicianAt(clinic);
      const first = await enrol();
      const second = await enrol();
      expect((await linkCard(hospitalDoctor, first, 'H-9a')).status).toBe(200);
      const result = await hospitalResult(first, 'H-9a');
      expect((await linkCard(clinicDoctor, first, 'C-9')).status).toBe(200);
      expect(await clinicDoctor.ids(`/fhir/Observation?subject=Patient/${first.id}`)).toEqual([result]);
      const [consentRef] = await clinicDoctor.ids(`/fhir/Consent?patient=Patient/${first.id}`);
      const consent = (await admin.get(`/fhir/${consentRef}`)).body;
      expect((await admin.put(`/fhir/${consentRef}`, { ...consent, patient: { reference: `Patient/${second.id}` } })).status).toBe(200);
      expect(await clinicDoctor.ids(`/fhir/Observation?subject=Patient/${first.id}`)).toEqual([]);
      expect((await clinicDoctor.get(`/fhir/Patient/${first.id}`)).status).toBe(404);
    },
  },
  {
    actor: 'emergency team',
    steps: 'looks a resident up by a name prefix, a family name alone, or a name and birth date two residents share',
    mustNot: 'find anyone but on an exact full name with birth date that matches exactly one resident',
    async run() {
      const resident = await enrol('救急探索', '1931-03-03');
      const twinA = await enrol('同名', '1932-04-04');
      await enrol('同名', '1932-04-04');
      const lookUp = (name: string, birthDate: string) => emergencyTeam.post('/fhir/Patient/$emergency-summary', parameters({ name, birthDate, reason: '搬送' }));
      expect((await lookUp('救急', resident.birthDate)).status).toBe(404);
      expect((await lookUp('救急探索', resident.birthDate)).status).toBe(404);
      expect((await lookUp('救急探索 花子', '1931-03-04')).status).toBe(404);
      expect((await lookUp(`${twinA.family} 花子`, twinA.birthDate)).status).toBe(404);
      const exact = await lookUp('救急探索 花子', resident.birthDate);
      expect(exact.status).toBe(200);
      expect(exact.body.entry[0].resource.id).toBe(resident.id);
    },
  },
  {
    actor: 'facility storing clinical data whose patient cannot be resolved',
    steps: 'writes Observations naming the patient by an absolute URL, by identifier only, or not at all',
    mustNot: 'let any other facility, emergency team or resident read them as directory data',
    async run() {
      const clinicDoctor = await clinicianAt(clinic);
      const resident = await enrol();
      const observation = (subject?: object) => ({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] }, ...(subject ? { subject } : {}) });
      const stored: string[] = [];
      for (const subject of [{ reference: `https://elsewhere.example/fhir/Patient/${resident.id}` }, { identifier: { system: 'urn:example:mrn', value: '123' } }, undefined]) {
        const created = await hospitalDoctor.post('/fhir/Observation', observation(subject));
        expect(created.status).toBe(201);
        stored.push(`Observation/${created.body.id}`);
      }
      const self = as(server, await server.clientToken({ role: 'resident', patient: `Patient/${resident.id}` }));
      for (const viewer of [clinicDoctor, emergencyTeam, self]) {
        const seen = await viewer.ids('/fhir/Observation?code=http://loinc.org|2345-7');
        expect(seen.filter((id) => stored.includes(id))).toEqual([]);
        for (const id of stored) expect((await viewer.get(`/fhir/${id}`)).status).toBe(404);
      }
      expect(await hospitalDoctor.ids('/fhir/Observation?code=http://loinc.org|2345-7')).toEqual(expect.arrayContaining(stored));
    },
  },
  {
    actor: 'facility naming its patient otherwise than by a relative reference',
    steps: "files data naming the patient by this server's absolute URL, by its own patient number only, by a contained Patient, inside a Bundle, as the Binary of the patient's DocumentReference and as a CDA letter; and one naming another server's URL",
    mustNot: "leave any of the first six outside the patient's record (a linked clinic must see them, an unlinked one none, and each read of them is in the resident's audit trail), or take another server's URL for a local patient",
    async run() {
      const resident = await enrol();
      const linkedClinic = await clinicianAt(clinic);
      const unlinkedClinic = await clinicianAt(await facility(server, '1320000066', 'clinic', '未連携クリニック'));
      expect((await linkCard(hospitalDoctor, resident, 'H-60')).status).toBe(200);
      expect((await linkCard(linkedClinic, resident, 'C-60')).status).toBe(200);
      const mrn = { system: `urn:oid:1.2.392.100495.20.3.51.1${hospital.code}`, value: 'H-60' };
      const local = (await hospitalDoctor.get(`/fhir/Patient?identifier=${encodeURIComponent(`${mrn.system}|${mrn.value}`)}`)).body.entry[0].resource.id;
      const observation = (extra: object) => ({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2160-0' }] }, valueQuantity: { value: 0.8, unit: 'mg/dL' }, ...extra });
      const post = async (resource: { resourceType: string; [element: string]: unknown }) => {
        const created = await hospitalDoctor.post(`/fhir/${resource.resourceType}`, resource);
        expect(created.status).toBe(201);
        return `${resource.resourceType}/${created.body.id}`;
      };
      const letter = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><ClinicalDocument xmlns="urn:hl7-org:v3"><recordTarget><patientRole><id root="${mrn.system.slice('urn:oid:'.length)}" extension="H-60"/><patient><name>攻撃 花子</name></patient></patientRole></recordTarget></ClinicalDocument>`).toString('base64');
      const document = await post({ resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${local}` }, content: [{ attachment: { contentType: 'text/plain', title: '所見' } }] });
      const filed = [
        await post(observation({ subject: { reference: `${server.fhirUrl}/Patient/${local}` } })),
        await post(observation({ subject: { identifier: mrn } })),
        await post(observation({ contained: [{ resourceType: 'Patient', id: 'p', identifier: [mrn] }], subject: { reference: '#p' } })),
        await post({ resourceType: 'Bundle', type: 'collection', entry: [
          { fullUrl: 'urn:uuid:0b0b6a0e-0000-4000-8000-000000000001', resource: { resourceType: 'Patient', identifier: [mrn] } },
          { fullUrl: 'urn:uuid:0b0b6a0e-0000-4000-8000-000000000002', resource: observation({ subject: { reference: 'urn:uuid:0b0b6a0e-0000-4000-8000-000000000001' } }) },
        ] }),
        await post({ resourceType: 'Binary', contentType: 'text/plain', securityContext: { reference: document }, data: Buffer.from('所見').toString('base64') }),
        await post({ resourceType: 'DocumentReference', status: 'current', content: [{ attachment: { contentType: 'application/hl7-cda+xml', data: letter } }] }),
      ];
      for (const ref of filed) {
        expect([ref, (await linkedClinic.get(`/fhir/${ref}`)).status]).toEqual([ref, 200]);
        expect([ref, (await unlinkedClinic.get(`/fhir/${ref}`)).status]).toEqual([ref, 404]);
      }
      // Each read is recorded under the resident, though only its content names them (resolved when it was
      // written): over REST, and over FHIR GraphQL for the one naming its patient by number only.
      const byNumber = filed[1].split('/')[1];
      expect((await fhirGraphql(linkedClinic, `{ Observation(id: "${byNumber}") { id } }`)).data.Observation.id).toBe(byNumber);
      const trail = await as(server, server.adminToken).get(`/fhir/AuditEvent?patient=Patient/${local}&_count=1000`);
      const events = (trail.body.entry ?? []).map((e: any) => e.resource);
      const readOf = (ref: string) => events.some((e: any) => e.subtype?.some((s: any) => s.code === 'read') && e.entity?.some((en: any) => en.what?.reference === ref));
      expect(filed.map((ref) => [ref, readOf(ref)])).toEqual(filed.map((ref) => [ref, true]));
      const graphqlRead = events.filter((e: any) => e.entity?.some((en: any) => en.what?.reference === filed[1]) && JSON.stringify(e.entity).includes('$graphql'));
      expect(graphqlRead).toHaveLength(1);
      const foreign = await post(observation({ subject: { reference: `https://elsewhere.example/fhir/Patient/${local}` } }));
      expect((await linkedClinic.get(`/fhir/${foreign}`)).status).toBe(404);
      expect((await hospitalDoctor.get(`/fhir/${foreign}`)).status).toBe(200);
      // This server's URL is stored as the relative reference it names.
      expect((await hospitalDoctor.get(`/fhir/${filed[0]}`)).body.subject.reference).toBe(`Patient/${local}`);
    },
  },
  {
    actor: 'clinician probing ids of another facility',
    steps: 'DELETEs an id it cannot see and one that never existed',
    mustNot: 'get different answers, or delete anything',
    async run() {
      const token = await server.clientToken({ role: 'clinician', organization: clinic.reference });
      const resident = await enrol();
      expect((await linkCard(hospitalDoctor, resident, 'H-12')).status).toBe(200);
      const hidden = await hospitalResult(resident, 'H-12');
      const del = async (path: string) => {
        const res = await fetch(`${server.url}${path}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
        // The answer echoes the id asked for; apart from that it must be the same.
        return { status: res.status, body: (await res.text()).split(path.slice('/fhir/'.length)).join('<id>') };
      };
      expect(await del(`/fhir/${hidden}`)).toEqual(await del('/fhir/Observation/never-existed'));
      expect((await hospitalDoctor.get(`/fhir/${hidden}`)).status).toBe(200);
    },
  },
  {
    actor: 'clinician of a clinic (not an emergency-capable facility)',
    steps: 'declares X-Purpose-Of-Use: ETREAT and asks for the emergency summary',
    mustNot: 'get it (a core hospital clinician may)',
    async run() {
      const resident = await enrol();
      const declare = async (f: Facility) =>
        as(server, await server.clientToken({ role: 'clinician', organization: f.reference }), { 'x-purpose-of-use': 'ETREAT' }).post(
          '/fhir/Patient/$emergency-summary',
          parameters({ cardNumber: resident.cardNumber, reason: '来院時意識なし' })
        );
      expect((await declare(clinic)).status).toBe(403);
      expect((await declare(hospital)).status).toBe(200);
    },
  },
  {
    actor: 'emergency client used for routine look-ups',
    steps: `declares emergencies again and again, ${MAX_EMERGENCY_DECLARATIONS_FOR_TESTS} in a row and then several at once`,
    mustNot: `get more than ${MAX_EMERGENCY_DECLARATIONS_FOR_TESTS} declarations an hour answered`,
    async run() {
      const resident = await enrol();
      const ambulance = await facility(server, '1320000044', 'emergency', '攻撃試験消防二');
      const team = as(server, await server.clientToken({ role: 'emergency', organization: ambulance.reference }));
      const declare = () => team.post('/fhir/Patient/$emergency-summary', parameters({ cardNumber: resident.cardNumber, reason: '搬送' }));
      for (let i = 0; i < MAX_EMERGENCY_DECLARATIONS_FOR_TESTS - 3; i++) expect((await declare()).status).toBe(200);
      const burst = await Promise.all(Array.from({ length: 8 }, declare));
      expect(burst.filter((a) => a.status === 200)).toHaveLength(3);
      expect(burst.filter((a) => a.status === 429)).toHaveLength(5);
    },
  },
  {
    actor: 'one clinician client guessing card secrets',
    steps: `sends ${MAX_FAILED_ATTEMPTS_FOR_TESTS * 3} wrong $link-card attempts at once`,
    mustNot: `get more than ${MAX_FAILED_ATTEMPTS_FOR_TESTS} of them checked (the rest are refused with 429)`,
    async run() {
      const resident = await enrol();
      const guesser = as(server, await server.clientToken({ role: 'clinician', organization: clinic.reference }));
      const answers = await Promise.all(Array.from({ length: MAX_FAILED_ATTEMPTS_FOR_TESTS * 3 }, (_, i) => linkCard(guesser, resident, 'C-11', { cardSecret: `GUESS${i}` })));
      const checked = answers.filter((a) => a.status === 422).length;
      expect(checked).toBe(MAX_FAILED_ATTEMPTS_FOR_TESTS);
      expect(answers.filter((a) => a.status === 429)).toHaveLength(answers.length - checked);
      expect((await linkCard(guesser, resident, 'C-11')).status).toBe(429);
    },
  },
  {
    actor: 'facility gateway that learned another facility\'s Study, Series and SOP Instance UIDs',
    steps: 'STOWs its own copy under the same SOP Instance UID, and writes an ImagingStudy quoting another study\'s UID; then retrieves both over WADO-RS',
    mustNot: 'be served the other facility\'s bytes, replace them, or tell a hidden instance from one that never existed',
    async run() {
      const hospitalGateway = await server.clientToken({ role: 'gateway', organization: hospital.reference });
      const clinicGateway = await server.clientToken({ role: 'gateway', organization: clinic.reference });
      const hospitalClinician = await server.clientToken({ role: 'clinician', organization: hospital.reference });
      expect((await stow(server, hospitalGateway, [read(CT_FILES[1]), read(ENHANCED_CT_FILE)])).status).toBe(200);
      // The clinic's copy of the CT instance, in another transfer syntax (JPEG-LS), under the hospital's UIDs.
      expect((await stow(server, clinicGateway, [read(CT_FILES[3])])).status).toBe(200);
      const clinicCopy = await wado(clinicGateway, CT);
      expect(clinicCopy.status).toBe(200);
      expect(clinicCopy.syntax).not.toBe(EXPLICIT_LITTLE_ENDIAN);
      const hospitalOriginal = await wado(hospitalClinician, CT);
      expect(hospitalOriginal).toMatchObject({ status: 200, syntax: EXPLICIT_LITTLE_ENDIAN });
      // An ImagingStudy of the clinic's own that quotes the hospital's enhanced CT study opens nothing.
      const clinicPatient = await as(server, clinicGateway).post('/fhir/Patient', { resourceType: 'Patient', name: [{ family: '画像' }] });
      const quoting = await as(server, clinicGateway).post('/fhir/ImagingStudy', {
        resourceType: 'ImagingStudy',
        status: 'available',
        identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${ENHANCED_CT.study}` }],
        subject: { reference: `Patient/${clinicPatient.body.id}` },
      });
      expect(quoting.status).toBe(201);
      const hidden = await wado(clinicGateway, ENHANCED_CT);
      expect(hidden.status).toBe(404);
      expect(hidden).toEqual(await wado(clinicGateway, { ...ENHANCED_CT, sop: '1.2.3.4.5.6.7' }));
      expect((await wado(hospitalClinician, ENHANCED_CT)).status).toBe(200);
    },
  },
  {
    actor: 'resident reading their access log',
    steps: 'a facility stores their images over STOW-RS and another retrieves them over WADO-RS',
    mustNot: 'miss either in the AuditEvents that name them',
    async run() {
      const hospitalGateway = await server.clientToken({ role: 'gateway', organization: hospital.reference });
      const hospitalClinician = await server.clientToken({ role: 'clinician', organization: hospital.reference });
      expect((await stow(server, hospitalGateway, [read(CT_FILES[1])])).status).toBe(200);
      const [patientRef] = await admin.ids(`/fhir/Patient?identifier=urn:oid:1.2.392.100495.20.3.51.1${hospital.code}|${CT.patientId}`);
      expect(patientRef).toBeDefined();
      expect((await wado(hospitalClinician, CT)).status).toBe(200);
      const events = await auditOf(patientRef.slice('Patient/'.length));
      expect(events.some((e) => e.includes(`STOW-RS study ${CT.study}`))).toBe(true);
      expect(events.some((e) => e.includes(`WADO-RS GET studies/${CT.study}/series/${CT.series}/instances/${CT.sop} → 200`))).toBe(true);
    },
  },
  {
    actor: 'anyone who reads the inbox or a copy of the database (an operator, a backup)',
    steps: 'a gateway sends messages with its access token in MSH-8 over MLLP and POST /hl7/v2, one of them rejected',
    mustNot: 'find the token in any stored or reviewed message, or miss the writes and the review in the resident\'s access log',
    async run() {
      const token = await server.clientToken({ role: 'gateway', organization: hospital.reference });
      const mllp = await MllpClient.connect(server.mllpPort);
      try {
        expect(ackCode(await mllp.send(withToken(adtMessage({ 10: 'TRUST-MLLP-1' }), token)))).toBe('AA');
        expect(ackCode(await mllp.send(withToken(adtMessage({ 9: 'ZZZ^Z99', 10: 'TRUST-MLLP-2' }), token)))).toBe('AR');
      } finally {
        mllp.close();
      }
      const overHttp = await fetch(`${server.url}/hl7/v2`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'x-application/hl7-v2+er7' }, body: withToken(adtMessage({ 10: 'TRUST-HTTP-1' }), token) });
      expect(overHttp.headers.get('x-ack-code')).toBe('AA');
      const stored = await server.tonet.db.query<{ raw: Uint8Array; message_control_id: string }>(sql`SELECT raw, message_control_id FROM inbox_message WHERE message_control_id LIKE 'TRUST-%'`);
      expect(stored.map((r) => r.message_control_id).sort()).toEqual(['TRUST-HTTP-1', 'TRUST-MLLP-1', 'TRUST-MLLP-2']);
      for (const row of stored) {
        const text = Buffer.from(row.raw).toString('latin1');
        expect(text).not.toContain(token);
        expect(text.split('\r')[0].split('|')[7]).toBe('');
      }
      const [patientRef] = await admin.ids(`/fhir/Patient?identifier=urn:oid:1.2.392.100495.20.3.51.1${hospital.code}|9999013`);
      const events = await auditOf(patientRef.slice('Patient/'.length));
      expect(events.some((e) => e.includes('TRUST-MLLP-1 over mllp'))).toBe(true);
      expect(events.some((e) => e.includes('TRUST-HTTP-1 over http'))).toBe(true);
      // The office reads the message in the inbox: the token is not in its text, and the look is in the access log.
      const inboxId = overHttp.headers.get('x-inbox-id');
      const reviewed = await admin.get(`/admin/inbox/${inboxId}`);
      expect(reviewed.status).toBe(200);
      expect(reviewed.body.message).toContain('TRUST-HTTP-1');
      expect(reviewed.body.message).not.toContain(token);
      expect((await auditOf(patientRef.slice('Patient/'.length))).some((e) => e.includes(`GET /admin/inbox/${inboxId}`))).toBe(true);
    },
  },
  {
    actor: 'clinician probing ids of another facility',
    steps: 'PUTs a resource to an id it cannot see (live, and deleted) and to one that never existed',
    mustNot: 'get different answers, create anything, or take the deleted id over',
    async run() {
      const token = await server.clientToken({ role: 'clinician', organization: clinic.reference });
      const resident = await enrol();
      expect((await linkCard(hospitalDoctor, resident, 'H-13')).status).toBe(200);
      const hidden = await hospitalResult(resident, 'H-13');
      const deleted = await hospitalResult(resident, 'H-13');
      const hospitalToken = await server.clientToken({ role: 'clinician', organization: hospital.reference });
      expect((await fetch(`${server.url}/fhir/${deleted}`, { method: 'DELETE', headers: { authorization: `Bearer ${hospitalToken}` } })).status).toBe(200);
      const put = async (reference: string) => {
        const [type, id] = reference.split('/');
        const res = await fetch(`${server.url}/fhir/${reference}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
          body: JSON.stringify({ resourceType: type, id, status: 'final', code: { text: 'probe' } }),
        });
        return { status: res.status, body: (await res.text()).split(id).join('<id>') };
      };
      const never = await put('Observation/never-existed-13');
      expect(never.status).toBe(404);
      expect(await put(hidden)).toEqual(never);
      expect(await put(deleted)).toEqual(never);
      expect((await admin.get('/fhir/Observation/never-existed-13')).status).toBe(404);
      expect((await admin.get(`/fhir/${deleted}`)).status).toBe(410);
      expect((await hospitalDoctor.get(`/fhir/${hidden}`)).body.code.coding[0].code).toBe('4548-4');
    },
  },
  {
    actor: 'core hospital clinician applying a pathway',
    steps: '$apply for a resident it cannot see and for an id that never existed; for residents whose follow-up clinic is, or is not, linked',
    mustNot: 'tell a hidden resident from a missing one, or learn the clinic\'s consent state from the answer',
    async run() {
      const diabetes = await planDefinitionId('urn:tonet:pathway:diabetes');
      const clinicDoctor = await clinicianAt(clinic);
      const apply = (patient: string) => hospitalDoctor.post(`/fhir/PlanDefinition/${diabetes}/$apply`, parameters({ subject: patient, organization: clinic.reference }));
      const hidden = await enrol();
      const missing = await apply('Patient/never-existed-14');
      expect(missing.status).toBe(404);
      const hiddenAnswer = await apply(`Patient/${hidden.id}`);
      expect({ ...hiddenAnswer, body: JSON.stringify(hiddenAnswer.body).split(hidden.id).join('<id>') }).toEqual({ ...missing, body: JSON.stringify(missing.body).split('never-existed-14').join('<id>') });
      const linkedBoth = await enrol();
      const linkedHospitalOnly = await enrol();
      expect((await linkCard(hospitalDoctor, linkedBoth, 'H-14a')).status).toBe(200);
      expect((await linkCard(clinicDoctor, linkedBoth, 'C-14a')).status).toBe(200);
      expect((await linkCard(hospitalDoctor, linkedHospitalOnly, 'H-14b')).status).toBe(200);
      const both = await apply(`Patient/${linkedBoth.id}`);
      const hospitalOnly = await apply(`Patient/${linkedHospitalOnly.id}`);
      expect(hospitalOnly.status).toBe(both.status);
      expect(both.status).toBe(201);
      // The clinic sees the pathway only where the resident's Consent names it.
      expect(await clinicDoctor.ids(`/fhir/CarePlan?subject=Patient/${linkedHospitalOnly.id}`)).toEqual([]);
      expect(await clinicDoctor.ids(`/fhir/CarePlan?subject=Patient/${linkedBoth.id}`)).toEqual([`CarePlan/${both.body.id}`]);
    },
  },
  {
    actor: 'core hospital whose Consent the resident revoked after it applied a pathway',
    steps: 'reads the pathway dashboard, the outcome figures and the Flags',
    mustNot: 'see the resident, their results or their alerts any more',
    async run() {
      const diabetes = await planDefinitionId('urn:tonet:pathway:diabetes');
      const token = await server.clientToken({ role: 'clinician', organization: hospital.reference });
      const resident = await enrol();
      expect((await linkCard(hospitalDoctor, resident, 'H-15')).status).toBe(200);
      const applied = await hospitalDoctor.post(`/fhir/PlanDefinition/${diabetes}/$apply`, parameters({ subject: `Patient/${resident.id}`, organization: clinic.reference }));
      expect(applied.status).toBe(201);
      await hospitalResult(resident, 'H-15');
      const query = `query($facility: ID!) { pathwayDashboard(facility: $facility, pathway: "diabetes", first: 500) { patients { patientId recentValues { text } } openAlerts { patientId } } }`;
      const board = async () => (await graphql(server, token, query, { facility: hospital.reference })).data.pathwayDashboard;
      const enrolled = async () => (await graphql(server, token, '{ pathwayOutcomes(pathway: "diabetes") { enrolled } }')).data.pathwayOutcomes.enrolled;
      const before = await board();
      expect(before.patients.find((p: any) => p.patientId === resident.id)?.recentValues).toEqual([{ text: '7.1 %' }]);
      const enrolledBefore = await enrolled();
      await revoke(resident, hospital);
      const after = await board();
      expect(after.patients.filter((p: any) => p.patientId === resident.id)).toEqual([]);
      expect(after.openAlerts.filter((a: any) => a.patientId === resident.id)).toEqual([]);
      expect(await enrolled()).toBe(enrolledBefore - 1);
      expect(await hospitalDoctor.ids(`/fhir/Flag?subject=Patient/${resident.id}`)).toEqual([]);
    },
  },
  {
    actor: 'facility that wants other care teams\' pathway alerts to follow its rules',
    steps: 'publishes an ActivityDefinition and a PlanDefinition under the shipped pathways\' canonical URLs',
    mustNot: 'be stored (only the network office publishes urn:tonet: canonicals)',
    async run() {
      const hba1c = (await admin.get('/fhir/ActivityDefinition?url=urn:tonet:pathway:diabetes:hba1c')).body.entry[0].resource;
      const { id: _a, meta: _m, ...activity } = hba1c;
      expect((await hospitalDoctor.post('/fhir/ActivityDefinition', { ...activity, version: '9.9.9' })).status).toBe(403);
      expect((await hospitalDoctor.post('/fhir/PlanDefinition', { resourceType: 'PlanDefinition', status: 'active', url: 'urn:tonet:pathway:diabetes', version: '9.9.9' })).status).toBe(403);
      expect((await admin.get('/fhir/ActivityDefinition?url=urn:tonet:pathway:diabetes:hba1c&version=9.9.9')).body.entry ?? []).toEqual([]);
    },
  },
  {
    actor: 'emergency team that declared an emergency once',
    steps: 'refreshes the summary by the resident\'s id while the declaration is open, then after it closed; another team tries the same id',
    mustNot: 'read the emergency subset without an open declaration of its own, or after its time box',
    async run() {
      const resident = await enrol();
      const ambulance = await facility(server, '1320000055', 'emergency', '攻撃試験消防三');
      const team = as(server, await server.clientToken({ role: 'emergency', organization: ambulance.reference }));
      const otherTeam = as(server, await server.clientToken({ role: 'emergency', organization: ambulance.reference }));
      const refresh = (caller: Caller, id = resident.id) => caller.post(`/fhir/Patient/${id}/$emergency-summary`, parameters({ reason: '搬送中の再確認' }));
      const unknown = await refresh(team, 'never-existed-16');
      expect(unknown.status).toBe(404);
      expect(await refresh(team)).toEqual(unknown);
      const declared = await team.post('/fhir/Patient/$emergency-summary', parameters({ cardNumber: resident.cardNumber, reason: '交通事故' }));
      expect(declared.status).toBe(200);
      const closes = declared.body.meta.extension.find((e: any) => e.url === 'urn:tonet:extension:emergency-window-closes').valueInstant;
      expect(Date.parse(closes) - Date.now()).toBeGreaterThan(50 * 60_000);
      expect(Date.parse(closes) - Date.now()).toBeLessThanOrEqual(60 * 60_000);
      const refreshed = await refresh(team);
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.entry[0].resource.id).toBe(resident.id);
      expect(await refresh(otherTeam)).toEqual(unknown);
      // The hour passes.
      await server.tonet.db.query(sql`UPDATE emergency_declaration SET closes_at = now() - interval '1 second' WHERE patient_id = ${resident.id}`);
      expect(await refresh(team)).toEqual(unknown);
      const events = await auditOf(resident.id);
      expect(events.filter((e) => e.includes('declaration open until'))).toHaveLength(1);
    },
  },
  {
    actor: 'researcher differencing cohort statistics',
    steps: 'asks for E11 in one municipality, then the same with the period one day shorter, the same again, and after a resident withdrew; one person there is not enrolled',
    mustNot: 'isolate a person by subtracting two answers, count anyone not enrolled, or see one person\'s value as a quartile',
    async run() {
      const researcher = await server.clientToken({ role: 'researcher' });
      const hba1c = [5.0, 5.3, 5.9, 6.2, 6.8, 7.1, 7.7, 8.0, 8.6, 9.3, 9.9];
      const residents: Resident[] = [];
      for (const [i, value] of hba1c.entries()) {
        const resident = await enrol(`研究${i}`, `1950-02-${String(i + 1).padStart(2, '0')}`, '羽生市');
        residents.push(resident);
        const subject = { reference: `Patient/${resident.id}` };
        expect((await admin.post('/fhir/Condition', { resourceType: 'Condition', subject, code: { coding: [{ system: ICD10, code: 'E119' }] }, onsetDateTime: `2020-01-${String(i + 1).padStart(2, '0')}T12:00:00Z` })).status).toBe(201);
        expect((await admin.post('/fhir/Observation', { resourceType: 'Observation', status: 'final', subject, code: { coding: [{ system: JLAC10, code: HBA1C }] }, effectiveDateTime: '2024-06-01', valueQuantity: { value, unit: '%' } })).status).toBe(201);
      }
      // A hospital's own record of someone who never joined the network, with the same diagnosis there.
      const outsider = await hospitalDoctor.post('/fhir/Patient', { resourceType: 'Patient', gender: 'female', birthDate: '1950-03-01', address: [{ city: '羽生市' }] });
      expect((await hospitalDoctor.post('/fhir/Condition', { resourceType: 'Condition', subject: { reference: `Patient/${outsider.body.id}` }, code: { coding: [{ system: ICD10, code: 'E119' }] }, onsetDateTime: '2020-01-05T12:00:00Z' })).status).toBe(201);
      const cohort = async (criteria: Record<string, unknown>) => {
        const answer = await graphql(server, researcher, COHORT_QUERY, { c: { icd10Prefix: 'E11', municipality: '羽生市', labCode: HBA1C, ...criteria }, g: ['SEX'] });
        expect(answer.errors).toBeUndefined();
        return answer.data.cohortStatistics.groups[0];
      };
      const all = await cohort({});
      expect(all).toMatchObject({ key: ['female'], count: 11, suppressed: false });
      for (const q of all.quartiles) expect(hba1c.some((v) => Math.abs(v - q) < 1e-9)).toBe(false);
      // One day less in the period (the period bounds lab results too, so without the lab) leaves out exactly the
      // eleventh resident: 11 − 10 would be their diagnosis.
      expect(await cohort({ to: '2020-01-11T00:00:00Z', labCode: undefined })).toMatchObject({ count: null, suppressed: true });
      expect(await cohort({})).toEqual(all);
      expect((await admin.post(`/fhir/Patient/${residents[0].id}/$withdraw`, parameters({}))).status).toBe(200);
      expect(await cohort({})).toMatchObject({ count: null, suppressed: true });
    },
  },
  {
    actor: 'researcher combining three cohort answers',
    steps: 'asks for E13 in the region, then in each of the two municipalities that hold all but one of its persons (every two answers differ by ten persons or more)',
    mustNot: 'get all three answered: the region less the two municipalities would be the one person\'s diagnosis, and their HbA1c from the means',
    async run() {
      const researcher = await server.clientToken({ role: 'researcher' });
      const places = [...Array(10).fill('行田市'), ...Array(10).fill('熊谷市'), '鴻巣市'];
      for (const [i, city] of places.entries()) {
        const resident = await enrol(`三問${i}`, `1951-05-${String(i + 1).padStart(2, '0')}`, city);
        const subject = { reference: `Patient/${resident.id}` };
        expect((await admin.post('/fhir/Condition', { resourceType: 'Condition', subject, code: { coding: [{ system: ICD10, code: 'E139' }] }, onsetDateTime: '2021-03-01T12:00:00Z' })).status).toBe(201);
        expect((await admin.post('/fhir/Observation', { resourceType: 'Observation', status: 'final', subject, code: { coding: [{ system: JLAC10, code: HBA1C }] }, effectiveDateTime: '2024-07-01', valueQuantity: { value: 6 + i / 10, unit: '%' } })).status).toBe(201);
      }
      const cohort = async (criteria: Record<string, unknown>) => {
        const answer = await graphql(server, researcher, COHORT_QUERY, { c: { icd10Prefix: 'E13', labCode: HBA1C, ...criteria }, g: ['SEX'] });
        expect(answer.errors).toBeUndefined();
        return answer.data.cohortStatistics.groups[0];
      };
      expect(await cohort({})).toMatchObject({ count: 21, suppressed: false });
      expect(await cohort({ municipality: '行田市' })).toMatchObject({ count: 10, suppressed: false });
      expect(await cohort({ municipality: '熊谷市' })).toMatchObject({ count: null, mean: null, suppressed: true });
    },
  },
  {
    actor: 'clinician client with a live GraphQL subscription to a resident\'s record',
    steps: 'keeps the WebSocket open after its client is deactivated, and after the resident revoked its facility\'s Consent',
    mustNot: 'receive any further change of the record',
    async run() {
      const resident = await enrol();
      expect((await linkCard(hospitalDoctor, resident, 'H-18')).status).toBe(200);
      const clinicToken = await server.clientToken({ role: 'clinician', organization: clinic.reference });
      expect((await linkCard(as(server, clinicToken), resident, 'C-18')).status).toBe(200);
      const revokedToken = await server.clientToken({ role: 'clinician', organization: clinic.reference });
      const watch = async (token: string) => {
        const client: Client = createClient({ url: `ws://127.0.0.1:${new URL(server.url).port}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
        const events: any[] = [];
        let ended = false;
        client.subscribe({ query: `subscription { resourceChanged(patientId: "${resident.id}") }` }, {
          // Its own Consent's revocation reaches the clinic too (it names the clinic); the record's changes are what must stop.
          next: (e) => ((e.data?.resourceChanged as any)?.resourceType === 'Observation' ? events.push(e.data?.resourceChanged) : undefined),
          error: () => (ended = true),
          complete: () => (ended = true),
        });
        return { events, ended: () => ended, dispose: () => client.dispose() };
      };
      // Deliveries are asynchronous: a watcher that may see everything (the hospital) says when a change has gone out.
      const until = async (done: () => boolean, tries = 200) => {
        for (let i = 0; i < tries && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
        return done();
      };
      const control = await watch(await server.clientToken({ role: 'clinician', organization: hospital.reference }));
      const deactivatedClient = await watch(clinicToken);
      const stillLinked = await watch(revokedToken);
      const watchers = [control, deactivatedClient, stillLinked];
      // A subscription is registered once the server has answered connection_init: changes go out until all three have heard one.
      let primed = false;
      for (let i = 0; i < 10 && !primed; i++) {
        await hospitalResult(resident, 'H-18');
        primed = await until(() => watchers.every((w) => w.events.length > 0), 30);
      }
      expect(primed).toBe(true);
      const counts = () => watchers.map((w) => w.events.length);
      const [c0, d0, s0] = counts();
      const clientId = JSON.parse(Buffer.from(clinicToken.split('.')[1], 'base64url').toString()).client_id;
      expect((await admin.post(`/admin/clients/${clientId}/deactivate`, {}, 'application/json')).status).toBe(200);
      await hospitalResult(resident, 'H-18');
      expect(await until(() => control.events.length === c0 + 1 && stillLinked.events.length === s0 + 1 && deactivatedClient.ended())).toBe(true);
      expect(deactivatedClient.events).toHaveLength(d0);
      await revoke(resident, clinic);
      await hospitalResult(resident, 'H-18');
      await hospitalResult(resident, 'H-18');
      expect(await until(() => control.events.length === c0 + 3)).toBe(true);
      expect(stillLinked.events).toHaveLength(s0 + 1);
      for (const w of watchers) await w.dispose();
    },
  },
  {
    actor: 'clinician of a linked facility',
    steps: 'reads the resident\'s record with a GraphQL query sent over the WebSocket instead of HTTP, and with FHIR GraphQL at /fhir/$graphql',
    mustNot: 'go unrecorded in the resident\'s access log',
    async run() {
      const resident = await enrol();
      expect((await linkCard(hospitalDoctor, resident, 'H-19')).status).toBe(200);
      const token = await server.clientToken({ role: 'clinician', organization: hospital.reference });
      const client: Client = createClient({ url: `ws://127.0.0.1:${new URL(server.url).port}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
      try {
        const result = await new Promise<any>((resolve, reject) => {
          let data: any;
          client.subscribe({ query: `query OverTheSocket { Patient(id: "${resident.id}") { id } }` }, { next: (r) => (data = r), error: reject, complete: () => resolve(data) });
        });
        expect(result.data.Patient.id).toBe(resident.id);
      } finally {
        await client.dispose();
      }
      expect((await auditOf(resident.id)).some((e) => e.includes('GraphQL query OverTheSocket'))).toBe(true);
      // FHIR GraphQL objects carry no resourceType: the answer alone does not say whose record it is.
      const before = (await auditOf(resident.id)).filter((e) => e.includes('$graphql')).length;
      expect((await fhirGraphql(as(server, token), `{ Patient(id: "${resident.id}") { name { family } } }`)).data.Patient.name[0].family).toBe(resident.family);
      expect((await auditOf(resident.id)).filter((e) => e.includes('$graphql'))).toHaveLength(before + 1);
    },
  },
  {
    actor: 'gateway of a facility',
    steps: '$import NDJSON claiming another facility as meta.source, reusing an id another facility holds, and carrying a Consent and an AuditEvent',
    mustNot: 'store data as the other facility\'s, overwrite or learn the content of its record, or write consent state or audit entries',
    async run() {
      const hospitalGateway = as(server, await server.clientToken({ role: 'gateway', organization: hospital.reference }));
      const clinicDoctor = await clinicianAt(clinic);
      const held = await clinicDoctor.post('/fhir/Patient', { resourceType: 'Patient', name: [{ family: '診療所' }] });
      expect(held.status).toBe(201);
      const resident = await enrol();
      const lines = [
        { resourceType: 'Patient', id: 'import-claims-clinic', meta: { source: clinic.reference }, name: [{ family: '偽装' }] },
        { resourceType: 'Patient', id: held.body.id, name: [{ family: '上書き' }] },
        { resourceType: 'Consent', status: 'inactive', scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] }, category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }], patient: { reference: `Patient/${resident.id}` } },
        { resourceType: 'AuditEvent', type: { code: 'rest' }, recorded: '2025-01-01T00:00:00Z', agent: [{ requestor: true }], source: { observer: { display: 'x' } } },
      ].map((r) => JSON.stringify(r));
      const answer = await hospitalGateway.post('/fhir/$import', lines.join('\n'), 'application/fhir+ndjson');
      expect(answer.status).toBe(200);
      const refused = answer.body.issue.filter((i: any) => i.severity === 'error').map((i: any) => i.diagnostics as string);
      expect(refused.map((text: string) => Number(/^Line (\d+)/.exec(text)?.[1]))).toEqual([2, 3, 4]);
      expect(JSON.stringify(answer.body)).not.toContain('診療所');
      const claimed = await admin.get('/fhir/Patient/import-claims-clinic');
      expect(claimed.body.meta.source).toBe(hospital.reference);
      expect((await clinicDoctor.get('/fhir/Patient/import-claims-clinic')).status).toBe(404);
      const kept = await admin.get(`/fhir/Patient/${held.body.id}`);
      expect([kept.body.meta.versionId, kept.body.name[0].family]).toEqual(['1', '診療所']);
      expect((await admin.get(`/fhir/Consent?patient=Patient/${resident.id}&status=inactive`)).body.entry ?? []).toEqual([]);
    },
  },
  {
    actor: 'anyone who can reach the server',
    steps: 'guesses a gateway\'s client secret at /oauth2/token, 25 attempts at once from one address, then tries the right one from there and from elsewhere',
    mustNot: `get more than ${MAX_FAILED_SECRETS} secrets checked from that address, or lock the gateway out at its own address`,
    async run() {
      const created = await admin.post('/admin/clients', { name: 'guessed gateway', role: 'gateway', organization: hospital.reference });
      expect(created.status).toBe(201);
      const { client_id: clientId, client_secret: secret } = created.body as { client_id: string; client_secret: string };
      const tokenRequest = (clientSecret: string, localAddress: string) =>
        new Promise<{ status: number; retryAfter?: string }>((resolve, reject) => {
          const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString();
          const req = http.request(`${server.url}/oauth2/token`, { method: 'POST', localAddress, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode as number, retryAfter: res.headers['retry-after'] as string | undefined }));
          });
          req.on('error', reject);
          req.end(body);
        });
      const guesses = await Promise.all(Array.from({ length: 25 }, (_, i) => tokenRequest(`guess-${i}`, '127.0.0.2')));
      expect(guesses.filter((g) => g.status === 401)).toHaveLength(MAX_FAILED_SECRETS);
      const throttled = guesses.filter((g) => g.status === 429);
      expect(throttled).toHaveLength(25 - MAX_FAILED_SECRETS);
      expect(throttled.every((g) => g.retryAfter === '900')).toBe(true);
      // From the guessing address even the right secret waits; the gateway's own address is not locked out.
      expect((await tokenRequest(secret, '127.0.0.2')).status).toBe(429);
      expect((await tokenRequest(secret, '127.0.0.1')).status).toBe(200);
    },
  },
];

test.each(cases.map((c) => [`${c.actor}: ${c.steps}; must not ${c.mustNot}`, c] as const))('%s', async (_title, attack) => {
  await attack.run();
});
