/**
 * The console benchmark's patient: one resident known at four facilities (bench/codes.ts FACILITY_CODES), a
 * timeline of any length made of generated patients' records in transaction bundles, each facility's local
 * record linked by card, so that the viewing clinic holds consent and sees all four facilities' entries.
 */
import type { Observation, Patient } from '@medplum/fhirtypes';
import { PRINTED_CARD_SECRET_EXTENSION } from '../src/consent-workflows/enrolment';
import { CARD_SYSTEM } from '../src/consent/model';
import { facilityPatientIdSystem } from '../src/mapping/common/ids';
import { call, clientToken, createFacility, expectStatus, timedGraphql, transaction } from './api';
import { FACILITY_CODES } from './codes';
import { FACILITY_TYPES, linkCard } from './consent';
import { donatedRecords, RESOURCES_PER_PATIENT } from './dataset';
import { log } from './progress';
import type { ServerProcess } from './server-process';

const FACILITY_NAMES = ['利根中央病院', '加須クリニック', '羽生クリニック', '利根臨床検査センター'];
/** The facility whose clinician opens the record (a clinic, as in the console's clinician test). */
const VIEWER = 1;
const BIRTH_DATE = '1952-03-14';

const COUNT_QUERY = `query($id: ID!, $after: String) {
  patientTimeline(patientId: $id, first: 500, after: $after) {
    edges { kind sourceFacility }
    pageInfo { endCursor hasNextPage }
  }
}`;

/** The patient: the regional record and each facility's local record of the same resident. */
export interface SeededPatient {
  regionalId: string;
  viewerToken: string;
  viewerLocalId: string;
  entries: number;
  byKind: Record<string, number>;
  byFacility: Record<string, number>;
}

/**
 * One resident known at four facilities: each facility's gateway sends its local Patient and its share of
 * the records (generated patients' records donated to it, in transaction bundles, plus vital signs to make
 * up the count); the network office enrols the resident; each facility's clinician links its local record
 * with the card. The viewer's facility so holds consent, and the timeline spans all four local records.
 */
export async function seedPatient(server: ServerProcess, seed: number, entries: number): Promise<SeededPatient> {
  const started = Date.now();
  const facilities = await Promise.all(
    FACILITY_CODES.map(async (code, i) => {
      const organization = await createFacility(server, code, FACILITY_TYPES[i], FACILITY_NAMES[i]);
      const gateway = await clientToken(server, { name: `${FACILITY_NAMES[i]} gateway`, role: 'gateway', organization });
      const clinician = await clientToken(server, { name: `${FACILITY_NAMES[i]} clinician`, role: 'clinician', organization });
      return { code, gateway, clinician, localId: `FS-${i + 1}` };
    })
  );
  const name = [{ family: '初画', given: ['面子'], text: '初画 面子' }];
  const localPatients = await Promise.all(
    facilities.map(async (f) => {
      const patient: Patient = { resourceType: 'Patient', identifier: [{ system: facilityPatientIdSystem(f.code), value: f.localId }], name, gender: 'female', birthDate: BIRTH_DATE };
      return `Patient/${(await expectStatus<Patient>(201, server, f.gateway, 'POST', '/fhir/Patient', patient)).id}`;
    })
  );

  const perDonor = RESOURCES_PER_PATIENT - 1;
  const donors = Math.floor(entries / perDonor);
  for (let k = 0; k < donors; k++) {
    const f = k % facilities.length;
    await transaction(server, facilities[f].gateway, donatedRecords(seed, k, localPatients[f]));
    log(`seed: ${((k + 1) * perDonor).toLocaleString('en-US')}/${entries.toLocaleString('en-US')} entries`);
  }
  const vitals = entries - donors * perDonor;
  for (let f = 0; f < facilities.length; f++) {
    const own = Array.from({ length: vitals }, (_, v) => v).filter((v) => v % facilities.length === f);
    if (own.length) await transaction(server, facilities[f].gateway, own.map((v) => ({ resource: vitalSign(localPatients[f], v), request: { method: 'POST' as const, url: 'Observation' } })));
  }

  const enrolled = await call<Patient>(server, server.token, 'POST', '/fhir/Patient/$enroll', {
    resourceType: 'Parameters',
    parameter: [{ name: 'patient', resource: { resourceType: 'Patient', name, gender: 'female', birthDate: BIRTH_DATE } }, { name: 'emergencyUse', valueBoolean: true }],
  });
  const cardNumber = enrolled.body.identifier?.find((i) => i.system === CARD_SYSTEM)?.value;
  const cardSecret = enrolled.body.extension?.find((e) => e.url === PRINTED_CARD_SECRET_EXTENSION)?.valueString;
  if (!enrolled.body.id || !cardNumber || !cardSecret) throw new Error(`$enroll: HTTP ${enrolled.status}, no printed card in ${JSON.stringify(enrolled.body).slice(0, 500)}`);
  for (const f of facilities) await linkCard(server, f.clinician, { cardNumber, cardSecret, birthDate: BIRTH_DATE }, f.localId);

  const viewer = facilities[VIEWER];
  const counted = await countTimeline(server, viewer.clinician, enrolled.body.id);
  if (counted.entries !== entries) throw new Error(`the viewer's timeline of Patient/${enrolled.body.id} holds ${counted.entries} entries, not the ${entries} seeded (${JSON.stringify(counted.byFacility)})`);
  log(`seed: Patient/${enrolled.body.id}, ${counted.entries.toLocaleString('en-US')} entries by kind ${JSON.stringify(counted.byKind)}, by facility ${JSON.stringify(counted.byFacility)}, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { regionalId: enrolled.body.id, viewerToken: viewer.clinician, viewerLocalId: viewer.localId, ...counted };
}

/** 体重 and 血圧 the facilities measured: the VITAL kind, which the donated records do not have. */
function vitalSign(subject: string, n: number): Observation {
  const weight = n % 2 === 0;
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: weight ? '29463-7' : '8480-6', display: weight ? '体重' : '収縮期血圧' }], text: weight ? '体重' : '収縮期血圧' },
    subject: { reference: subject },
    effectiveDateTime: new Date(Date.UTC(2025, 11, 1 + n, 0, 30)).toISOString(),
    valueQuantity: weight ? { value: 52 + (n % 5), unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } : { value: 118 + (n % 20), unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
  };
}

/** The whole timeline as the viewer sees it, paged to the end: how many entries, of which kinds and facilities. */
async function countTimeline(server: ServerProcess, token: string, patientId: string): Promise<Pick<SeededPatient, 'entries' | 'byKind' | 'byFacility'>> {
  const byKind: Record<string, number> = {};
  const byFacility: Record<string, number> = {};
  let count = 0;
  let after: string | undefined;
  for (let more = true; more; ) {
    type Page = { patientTimeline: { edges: { kind: string; sourceFacility?: string }[]; pageInfo: { endCursor?: string; hasNextPage: boolean } } };
    const { data } = await timedGraphql<Page>(server, token, COUNT_QUERY, { id: patientId, after });
    for (const edge of data.patientTimeline.edges) {
      byKind[edge.kind] = (byKind[edge.kind] ?? 0) + 1;
      const facility = edge.sourceFacility ?? '(none)';
      byFacility[facility] = (byFacility[facility] ?? 0) + 1;
    }
    count += data.patientTimeline.edges.length;
    after = data.patientTimeline.pageInfo.endCursor;
    more = data.patientTimeline.pageInfo.hasNextPage;
  }
  return { entries: count, byKind, byFacility };
}
