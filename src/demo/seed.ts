/**
 * Plays the demo region (region.ts) against a running Tonet as its users would: the network office creates
 * facilities and clients and enrols residents; hospital and lab gateways send HL7 v2 results; clinicians link
 * cards at their desks, start a diabetes pathway and publish CT slots. Everything goes through the public
 * HTTP APIs, so the demo exercises the real ingest, consent and audit paths.
 */
import { MODALITY_SYSTEM } from '../booking/model';
import { PRINTED_CARD_SECRET_EXTENSION } from '../consent-workflows/enrolment';
import { CARD_SYSTEM, FACILITY_TYPE_SYSTEM } from '../consent/model';
import { buildMultipart } from '../dicomweb/multipart';
import { INSTITUTION_NUMBER_SYSTEM } from '../ingest/facility';
import { writeCtImage } from './ct-image';
import { referralLetter } from './referral';
import { CT_STUDIES, DEMO_PEOPLE, FACILITIES, HISTORY_MONTHS, PATHWAY, REFERRAL, REFUSED_RESULT, RESIDENTS, SCANNER, TESTS, DemoFacility } from './region';

const NAME_REPRESENTATION = 'http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation';

export interface DemoClient {
  role: string;
  facility?: string;
  clientId: string;
  clientSecret: string;
}

/** A person who logs in (OpenID Connect at /oidc, e.g. through the console), with both factors printed. */
export interface DemoPerson {
  kind: string;
  name: string;
  username: string;
  password: string;
  facilities: string[];
  totpSecret?: string;
  recoveryCodes?: string[];
}

export interface DemoCredentials {
  server: string;
  /** The network office's client the demo was seeded with. */
  admin: { clientId: string; clientSecret: string };
  clients: DemoClient[];
  people: DemoPerson[];
  residents: { name: string; patient: string; cardNumber: string; cardSecret: string; birthDate: string }[];
  pathwayPatient: string;
  scannerSchedule: string;
  /** The referral letter's DocumentReference (its document Bundle is the letter as FHIR). */
  referral: string;
  /** Each CT study's ImagingStudy and the DICOM UIDs WADO-RS serves its instance by, in CT_STUDIES' order. */
  ctStudies: { imagingStudy: string; studyInstanceUid: string; seriesInstanceUid: string; sopInstanceUid: string }[];
}

type Progress = (step: string) => void;

export async function seedDemoRegion(server: string, admin: { clientId: string; clientSecret: string }, progress: Progress = () => undefined): Promise<DemoCredentials> {
  const adminApi = api(server, await token(server, admin.clientId, admin.clientSecret));
  const clients: DemoClient[] = [];
  const organizations = new Map<string, string>();
  const callers = new Map<string, { clinician: Api; gateway?: Api }>();

  progress('facilities and their clients');
  for (const facility of FACILITIES) {
    const organization = await adminApi.created('/fhir/Organization', organizationOf(facility));
    organizations.set(facility.key, organization);
    const staffRole = facility.type === 'emergency' ? 'emergency' : 'clinician';
    const staff = await adminApi.post('/admin/clients', { name: `${facility.name} (${staffRole})`, role: staffRole, organization });
    clients.push({ role: staffRole, facility: facility.key, clientId: staff.client_id, clientSecret: staff.client_secret });
    let gateway: Api | undefined;
    if (facility.gateway) {
      const created = await adminApi.post('/admin/clients', { name: `${facility.name} gateway`, role: 'gateway', organization });
      clients.push({ role: 'gateway', facility: facility.key, clientId: created.client_id, clientSecret: created.client_secret });
      gateway = api(server, await token(server, created.client_id, created.client_secret));
    }
    callers.set(facility.key, { clinician: api(server, await token(server, staff.client_id, staff.client_secret)), gateway });
  }
  const researcher = await adminApi.post('/admin/clients', { name: 'Tone region research council', role: 'researcher' });
  clients.push({ role: 'researcher', clientId: researcher.client_id, clientSecret: researcher.client_secret });

  progress(`${RESIDENTS.length} residents enrolled, results sent over HL7 v2, cards linked`);
  const residents: DemoCredentials['residents'] = [];
  let messageNumber = 0;
  for (const [index, resident] of RESIDENTS.entries()) {
    const enrolled = await adminApi.post('/fhir/Patient/$enroll', parameters({ patient: residentPatient(resident), emergencyUse: resident.emergencyUse }), 201);
    const cardNumber = enrolled.identifier.find((i: { system: string }) => i.system === CARD_SYSTEM).value as string;
    const cardSecret = enrolled.extension.find((e: { url: string }) => e.url === PRINTED_CARD_SECRET_EXTENSION).valueString as string;
    residents.push({ name: `${resident.family} ${resident.given}`, patient: `Patient/${enrolled.id}`, cardNumber, cardSecret, birthDate: resident.birthDate });
    for (const key of resident.linkedAt) {
      const facility = FACILITIES.find((f) => f.key === key) as DemoFacility;
      const localId = localPatientId(facility, index);
      const gateway = callers.get(key)?.gateway;
      // The facility's own record comes first, from its system; the card is shown at the desk afterwards.
      for (let monthsAgo = HISTORY_MONTHS - 1; monthsAgo >= 0 && gateway; monthsAgo--) {
        for (const test of TESTS) {
          await gateway.hl7(labMessage(facility, resident, localId, `D${++messageNumber}`, test.code, test.name, test.value(index, monthsAgo), test, observedAt(monthsAgo * 30 + 2)));
        }
      }
      await callers.get(key)!.clinician.post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId, birthDate: resident.birthDate }));
    }
  }

  progress('people who log in: a doctor, a resident, an office user');
  const people: DemoPerson[] = [];
  const doctor = DEMO_PEOPLE.doctor;
  const practitioner = await adminApi.created('/fhir/Practitioner', { resourceType: 'Practitioner', name: [{ family: doctor.family, given: [doctor.given], text: `${doctor.family} ${doctor.given}` }] });
  const addPerson = async (body: Record<string, unknown>, facilityNames: string[]) => {
    const created = await adminApi.post('/admin/accounts', body, 201);
    people.push({ kind: created.kind, name: created.name, username: created.username, password: created.password, facilities: facilityNames, totpSecret: created.totpSecret, recoveryCodes: created.recoveryCodes });
  };
  await addPerson(
    {
      kind: 'practitioner',
      username: doctor.username,
      name: `${doctor.family} ${doctor.given}`,
      practitioner,
      totp: true,
      facilities: doctor.facilities.map((key) => ({ organization: organizations.get(key), role: 'doctor' })),
    },
    doctor.facilities.map((key) => FACILITIES.find((f) => f.key === key)!.name)
  );
  await addPerson({ kind: 'resident', username: DEMO_PEOPLE.resident.username, name: residents[DEMO_PEOPLE.resident.index].name, patient: residents[DEMO_PEOPLE.resident.index].patient }, []);
  await addPerson({ kind: 'office', username: DEMO_PEOPLE.office.username, name: DEMO_PEOPLE.office.name, totp: true }, []);

  progress('diabetes pathway with an alert');
  const hospital = callers.get(PATHWAY.hospital)!;
  const plans = await hospital.clinician.get('/fhir/PlanDefinition?url=urn:tonet:pathway:diabetes');
  const pathwayPatient = residents[PATHWAY.resident].patient;
  await hospital.clinician.post(`/fhir/PlanDefinition/${plans.entry[0].resource.id}/$apply`, parameters({ subject: pathwayPatient, organization: organizations.get(PATHWAY.clinic) as string }));
  const pathwayFacility = FACILITIES.find((f) => f.key === PATHWAY.hospital) as DemoFacility;
  const hba1c = TESTS[0];
  await hospital.gateway!.hl7(
    labMessage(pathwayFacility, RESIDENTS[PATHWAY.resident], localPatientId(pathwayFacility, PATHWAY.resident), `D${++messageNumber}`, hba1c.code, hba1c.name, Number(PATHWAY.alertingHbA1c), hba1c, observedAt(0))
  );

  progress('a referral letter (CDA R2) and the CT study it asked for (DICOM over STOW-RS)');
  const facilityOf = (key: string) => FACILITIES.find((f) => f.key === key) as DemoFacility;
  const referring = facilityOf(REFERRAL.from);
  const letter = referralLetter({
    letterNumber: REFERRAL.letterNumber,
    from: referring,
    to: facilityOf(REFERRAL.to),
    resident: RESIDENTS[REFERRAL.resident],
    localId: localPatientId(referring, REFERRAL.resident),
    author: { id: REFERRAL.authorId, family: DEMO_PEOPLE.doctor.family, given: DEMO_PEOPLE.doctor.given },
    recipient: REFERRAL.recipient,
    writtenAt: observedAt(REFERRAL.daysAgo),
    purpose: REFERRAL.purpose,
    problems: REFERRAL.problems,
    history: REFERRAL.history,
    results: TESTS.map((test) => ({ code: test.code, name: test.name, value: test.value(REFERRAL.resident, 0), unit: test.unit })),
  });
  const imported = await callers.get(REFERRAL.from)!.clinician.post('/fhir/$import-cda', letter, 201, 'application/cda+xml');
  const referral = imported.entry.map((e: { resource: { resourceType: string; id: string } }) => e.resource).find((r: { resourceType: string }) => r.resourceType === 'DocumentReference');
  const ctStudies: DemoCredentials['ctStudies'] = [];
  for (const ct of CT_STUDIES) {
    const scanning = facilityOf(ct.hospital);
    const resident = RESIDENTS[ct.resident];
    const scannedAt = observedAt(ct.daysAgo);
    const image = writeCtImage({
      patientId: localPatientId(scanning, ct.resident),
      patientName: { alphabetic: ct.alphabeticName, ideographic: `${resident.family}^${resident.given}`, phonetic: `${resident.familyKana}^${resident.givenKana}` },
      birthDate: resident.birthDate,
      sex: resident.gender === 'male' ? 'M' : 'F',
      studyDate: scannedAt.slice(0, 8),
      studyTime: `${scannedAt.slice(8)}00`,
      studyDescription: ct.description,
      bodyPart: ct.bodyPart,
      accessionNumber: ct.accessionNumber,
    });
    await callers.get(ct.hospital)!.gateway!.stow(image.bytes);
    const studies = await callers.get(ct.hospital)!.clinician.get(`/fhir/ImagingStudy?identifier=urn:dicom:uid|urn:oid:${image.studyInstanceUid}`);
    ctStudies.push({ imagingStudy: `ImagingStudy/${studies.entry[0].resource.id}`, studyInstanceUid: image.studyInstanceUid, seriesInstanceUid: image.seriesInstanceUid, sopInstanceUid: image.sopInstanceUid });
  }

  progress('a lab result refused for its decimal comma, waiting in the HL7 inbox');
  const refusing = facilityOf(REFUSED_RESULT.facility);
  const refusedTest = TESTS.find((test) => test.name === REFUSED_RESULT.test)!;
  await callers.get(REFUSED_RESULT.facility)!.gateway!.hl7(
    labMessage(refusing, RESIDENTS[REFUSED_RESULT.resident], localPatientId(refusing, REFUSED_RESULT.resident), `D${++messageNumber}`, refusedTest.code, refusedTest.name, REFUSED_RESULT.value, refusedTest, observedAt(REFUSED_RESULT.daysAgo), REFUSED_RESULT.written),
    'AE'
  );

  progress('CT slots for the next two weeks');
  const scannerHospital = callers.get(SCANNER.hospital)!.clinician;
  const scannerOwner = organizations.get(SCANNER.hospital) as string;
  const device = await scannerHospital.created('/fhir/Device', {
    resourceType: 'Device',
    status: 'active',
    deviceName: [{ name: SCANNER.name, type: 'user-friendly-name' }],
    type: { coding: [{ system: MODALITY_SYSTEM, code: SCANNER.modality }] },
    owner: { reference: scannerOwner },
  });
  const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'];
  const service = await scannerHospital.created('/fhir/HealthcareService', {
    resourceType: 'HealthcareService',
    active: true,
    providedBy: { reference: scannerOwner },
    name: `${SCANNER.name} 共同利用`,
    type: [{ text: `${SCANNER.modality} scan` }],
    availableTime: [
      { daysOfWeek: weekdays, availableStartTime: '09:00:00', availableEndTime: '12:00:00' },
      { daysOfWeek: weekdays, availableStartTime: '13:00:00', availableEndTime: '17:00:00' },
    ],
  });
  const scannerSchedule = await scannerHospital.created('/fhir/Schedule', { resourceType: 'Schedule', active: true, serviceType: [{ text: `${SCANNER.modality} scan` }], actor: [{ reference: device }, { reference: service }] });
  const from = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const to = new Date(Date.now() + SCANNER.days * 86_400_000).toISOString().slice(0, 10);
  await scannerHospital.post(`/fhir/${scannerSchedule}/$generate-slots`, { resourceType: 'Parameters', parameter: [{ name: 'from', valueDate: from }, { name: 'to', valueDate: to }, { name: 'slotMinutes', valueInteger: 30 }] });

  return { server, admin, clients, people, residents, pathwayPatient, scannerSchedule, referral: `DocumentReference/${referral.id}`, ctStudies };
}

/** What to print after seeding: how to get a token per role and three things to try. */
export function describeDemo(credentials: DemoCredentials): string {
  const nameOf = (key: string) => FACILITIES.find((f) => f.key === key)?.name;
  const lines = ['', 'Demo region ready (デモ地域を作成しました). Tokens per role (OAuth 2.0 client credentials):'];
  for (const client of credentials.clients) {
    const facility = FACILITIES.find((f) => f.key === client.facility);
    lines.push(`  ${client.role.padEnd(10)} ${facility ? facility.name : ''}`);
    lines.push(`    curl -s -u '${client.clientId}:${client.clientSecret}' -d grant_type=client_credentials ${credentials.server}/oauth2/token`);
  }
  const first = credentials.residents[0];
  lines.push(
    '',
    'Three things to try (with TOKEN set to the 利根中央病院 clinician token):',
    `  1. the resident's records from every linked facility:  curl -s -H "Authorization: Bearer $TOKEN" '${credentials.server}/fhir/${first.patient}/$everything'`,
    `  2. a search in Japanese:  curl -s -H "Authorization: Bearer $TOKEN" --get --data-urlencode 'name=やまだ' ${credentials.server}/fhir/Patient`,
    `  3. the diabetes pathway alerts:  curl -s -H "Authorization: Bearer $TOKEN" '${credentials.server}/fhir/Flag?subject=${credentials.pathwayPatient}'`,
    `Also there: ${nameOf(REFERRAL.from)}'s referral letter to ${nameOf(REFERRAL.to)} (CDA R2, ${credentials.referral}) and the CT study it asked for (${credentials.ctStudies[0].imagingStudy}, one DICOM instance at /dicomweb).`,
    'People who log in (the console at /console/, or any SMART app, through /oidc; second factor: a code from an',
    'authenticator app given the TOTP secret, or one of the recovery codes, each usable once):',
    ...credentials.people.map(
      (p) =>
        `  ${p.kind.padEnd(12)} ${p.name}${p.facilities.length ? ` (${p.facilities.join(', ')})` : ''}: username ${p.username}, password ${p.password}` +
        (p.totpSecret ? `, TOTP secret ${p.totpSecret}, recovery codes ${p.recoveryCodes!.slice(0, 3).join(' ')}` : '')
    ),
    `Resident cards (number / secret / birth date): ${credentials.residents.map((r) => `${r.name} ${r.cardNumber} / ${r.cardSecret} / ${r.birthDate}`).join('; ')}`,
    ''
  );
  return lines.join('\n');
}

function organizationOf(facility: DemoFacility) {
  return {
    resourceType: 'Organization',
    name: facility.name,
    identifier: [{ system: INSTITUTION_NUMBER_SYSTEM, value: facility.code }],
    type: [{ coding: [{ system: FACILITY_TYPE_SYSTEM, code: facility.type }] }],
  };
}

function residentPatient(resident: (typeof RESIDENTS)[number]) {
  return {
    resourceType: 'Patient',
    name: [
      { extension: [{ url: NAME_REPRESENTATION, valueCode: 'IDE' }], use: 'official', text: `${resident.family} ${resident.given}`, family: resident.family, given: [resident.given] },
      { extension: [{ url: NAME_REPRESENTATION, valueCode: 'SYL' }], use: 'official', text: `${resident.familyKana} ${resident.givenKana}`, family: resident.familyKana, given: [resident.givenKana] },
    ],
    gender: resident.gender,
    birthDate: resident.birthDate,
  };
}

/** 患者番号 patient number at a facility: its own numbering, different from every other facility's. */
function localPatientId(facility: DemoFacility, residentIndex: number): string {
  return `${facility.code.slice(-3)}${String(residentIndex + 1).padStart(5, '0')}`;
}

/**
 * An OUL^R22 result as a JAHIS lab system sends it (SS-MIX2 OML-11 storage shape), one test per message;
 * `written` is OBX-5 as the lab's system typed the value.
 */
function labMessage(facility: DemoFacility, resident: (typeof RESIDENTS)[number], localId: string, controlId: string, code: string, name: string, value: number, test: (typeof TESTS)[number], at: string, written = String(value)): string {
  const flag = test.high !== undefined && value > test.high ? 'H' : test.low !== undefined && value < test.low ? 'L' : '';
  const sex = resident.gender === 'male' ? 'M' : 'F';
  return (
    [
      `MSH|^~\\&|LAB|${facility.code}|TONET|REGION|${at}00||OUL^R22^OUL_R22|${controlId}|P|2.5`,
      `PID|0001||${localId}^^^^PI||${resident.family}^${resident.given}^^^^^L^I~${resident.familyKana}^${resident.givenKana}^^^^^L^P||${resident.birthDate.replace(/-/g, '')}|${sex}`,
      `PV1|0001|O|01^^^^^C`,
      `SPM|1|${controlId}S||023^血清^JC10|||||||||||||${at}`,
      `OBR|1|${controlId}|${controlId}F|E001^検体検査^99O03|||${at.slice(0, 8)}|${at.slice(0, 8)}`,
      `ORC|SC|${controlId}|${controlId}F||CM||||${at}00`,
      `OBX|1|NM|${code}^${name}^JC10||${written}|${test.unit}^${test.unit}^99XYZ|${test.range}|${flag}|||F|||${at}`,
    ].join('\r') + '\r'
  );
}

/** yyyyMMddHHmm in Japan time, `daysAgo` days before now, at 09:30. */
function observedAt(daysAgo: number): string {
  const jst = new Date(Date.now() - daysAgo * 86_400_000 + 9 * 3_600_000).toISOString();
  return `${jst.slice(0, 10).replace(/-/g, '')}0930`;
}

function parameters(values: Record<string, string | boolean | object>) {
  return {
    resourceType: 'Parameters',
    parameter: Object.entries(values).map(([name, value]) =>
      typeof value === 'boolean' ? { name, valueBoolean: value } : typeof value === 'string' ? (/^\d{4}-\d{2}-\d{2}$/.test(value) ? { name, valueDate: value } : { name, valueString: value }) : { name, resource: value }
    ),
  };
}

async function token(server: string, clientId: string, clientSecret: string): Promise<string> {
  const res = await fetch(`${server}/oauth2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }) });
  if (res.status !== 200) throw new Error(`demo: token for ${clientId}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

type Api = ReturnType<typeof api>;

function api(server: string, bearer: string) {
  const call = async (method: string, path: string, body: unknown, expected: number[], contentType = 'application/fhir+json'): Promise<any> => {
    const res = await fetch(`${server}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      body: body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    const text = await res.text();
    if (!expected.includes(res.status)) throw new Error(`demo: ${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
    return /json/.test(res.headers.get('content-type') ?? '') && text ? JSON.parse(text) : text;
  };
  return {
    get: (path: string) => call('GET', path, undefined, [200]),
    post: (path: string, body: unknown, status = 200, contentType?: string) => call('POST', path, body, status === 200 ? [200, 201] : [status], contentType),
    /** STOW-RS of DICOM files, as a modality's gateway sends them; every instance must be stored. */
    stow: async (...files: Buffer[]): Promise<void> => {
      const request = buildMultipart(files.map((file) => ({ contentType: 'application/dicom', body: file })), 'application/dicom');
      await call('POST', '/dicomweb/studies', request.body, [200], request.contentType);
    },
    /** POST that must create: answers "Type/id". */
    created: async (path: string, body: unknown): Promise<string> => {
      const resource = await call('POST', path, body, [201]);
      return `${resource.resourceType}/${resource.id}`;
    },
    /** An HL7 v2 message that must be answered with `expectedAck` (accepted, unless the demo means a refusal). */
    hl7: async (message: string, expectedAck: 'AA' | 'AE' = 'AA'): Promise<void> => {
      const ack = (await call('POST', '/hl7/v2', message, [200], 'x-application/hl7-v2+er7')) as string;
      if (!new RegExp(`MSA\\|${expectedAck}`).test(ack)) throw new Error(`demo: HL7 message answered otherwise than ${expectedAck}: ${ack.replace(/\r/g, '\n')}`);
    },
  };
}
