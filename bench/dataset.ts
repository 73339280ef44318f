/**
 * The synthetic regional record: each patient brings exactly RESOURCES_PER_PATIENT resources (Patient,
 * Encounters, Conditions, MedicationRequests and the laboratory Observations that fill the rest), so two
 * patients fill one 250-entry transaction bundle and no reference ever crosses a bundle. The mix and every
 * value vary per patient, drawn from a per-patient seeded stream.
 *
 * The same patient is rendered in two reference styles: `urn` for transaction bundles (fullUrl urn:uuid:…,
 * the server assigns ids) and `id` for the raw table (the uuid is the id, references are Type/uuid).
 */
import type { Bundle, Condition, Encounter, MedicationRequest, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { FACILITY_CODES, FAMILY_NAMES, GIVEN_NAMES, HOT9, ICD10, JLAC10, LabTest, PREFECTURES, Reading, SYSTEMS } from './codes';
import { Prng } from './prng';

export const RESOURCES_PER_PATIENT = 125;
export const PATIENTS_PER_BUNDLE = 2;

/** Clinical dates fall in these years (inclusive), Japan Standard Time. */
export const FIRST_YEAR = 2019;
export const LAST_YEAR = 2025;
const JST_OFFSET_MS = 9 * 3600_000;

export type ReferenceStyle = 'urn' | 'id';

/** What the raw comparison table holds in columns besides the JSON (the values the benchmark searches on). */
export interface RawColumns {
  patient: string;
  codeSystem?: string;
  code?: string;
  /** ISO instant. */
  date?: string;
  value?: number;
  identifierSystem?: string;
  identifier?: string;
  /** Full name as written (kanji) and its katakana reading, family first without a space. */
  name?: string;
  kana?: string;
}

export interface GeneratedResource {
  uuid: string;
  resource: Resource;
  columns: RawColumns;
}

/** What the query generator needs to know about a patient without rebuilding all of its resources. */
export interface PatientFacts {
  index: number;
  uuid: string;
  identifierSystem: string;
  identifierValue: string;
  family: Reading;
  given: Reading;
  gender: 'male' | 'female';
  labPanel: LabTest[];
}

export interface GeneratedPatient {
  facts: PatientFacts;
  resources: GeneratedResource[];
}

export function generatePatient(seed: number, index: number, style: ReferenceStyle): GeneratedPatient {
  const rng = Prng.forItem(seed, index);
  const facts = patientFacts(rng, index);
  let ordinal = 0;
  const newUuid = () => rng.uuid(uniqueNumber(index, ++ordinal));
  const ref = (type: string, uuid: string) => (style === 'urn' ? `urn:uuid:${uuid}` : `${type}/${uuid}`);
  const withId = <T extends Resource>(uuid: string, resource: T): T => (style === 'id' ? { ...resource, id: uuid } : resource);
  const subject = { reference: ref('Patient', facts.uuid) };
  const resources: GeneratedResource[] = [];

  const prefecture = rng.pick(PREFECTURES);
  const patient: Patient = {
    resourceType: 'Patient',
    identifier: [{ system: facts.identifierSystem, value: facts.identifierValue }],
    name: [
      { use: 'official', text: `${facts.family.kanji} ${facts.given.kanji}`, family: facts.family.kanji, given: [facts.given.kanji] },
      { use: 'usual', text: `${facts.family.kana} ${facts.given.kana}`, family: facts.family.kana, given: [facts.given.kana] },
    ],
    gender: facts.gender,
    birthDate: `${rng.int(1930, 2015)}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`,
    telecom: [{ system: 'phone', value: `0${rng.int(3, 99)}-${rng.int(1000, 9999)}-${rng.int(1000, 9999)}`, use: 'home' }],
    address: [{ text: `${prefecture.state}${prefecture.city}${rng.int(1, 9)}-${rng.int(1, 30)}-${rng.int(1, 20)}`, state: prefecture.state, city: prefecture.city, postalCode: prefecture.postalCode, country: 'JP' }],
  };
  resources.push({
    uuid: facts.uuid,
    resource: withId(facts.uuid, patient),
    columns: {
      patient: facts.uuid,
      identifierSystem: facts.identifierSystem,
      identifier: facts.identifierValue,
      name: facts.family.kanji + facts.given.kanji,
      kana: facts.family.kana + facts.given.kana,
    },
  });

  const encounterCount = rng.int(3, 10);
  const conditionCount = rng.int(1, 6);
  const medicationCount = rng.int(4, 16);
  const observationCount = RESOURCES_PER_PATIENT - 1 - encounterCount - conditionCount - medicationCount;

  const encounterTimes = sortedTimes(rng, encounterCount);
  const encounters = encounterTimes.map((time) => ({ uuid: newUuid(), time }));
  for (const { uuid, time } of encounters) {
    const encounter: Encounter = {
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
      subject,
      period: { start: jst(time), end: jst(time + rng.int(10, 60) * 60_000) },
    };
    resources.push({ uuid, resource: withId(uuid, encounter), columns: { patient: facts.uuid, date: new Date(time).toISOString() } });
  }
  const encounterAt = (n: number) => ({ reference: ref('Encounter', encounters[Math.min(n, encounters.length - 1)].uuid) });

  for (const diagnosis of rng.sample(ICD10, conditionCount)) {
    const uuid = newUuid();
    const time = randomTime(rng);
    const condition: Condition = {
      resourceType: 'Condition',
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: rng.next() < 0.8 ? 'active' : 'resolved' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'encounter-diagnosis' }] }],
      code: { coding: [{ system: SYSTEMS.icd10, code: diagnosis.code, display: diagnosis.display }], text: diagnosis.display },
      subject,
      encounter: encounterAt(rng.int(0, encounterCount - 1)),
      onsetDateTime: jst(time - rng.int(0, 365) * 86_400_000),
      recordedDate: jst(time),
    };
    resources.push({ uuid, resource: withId(uuid, condition), columns: { patient: facts.uuid, codeSystem: SYSTEMS.icd10, code: diagnosis.code, date: new Date(time).toISOString() } });
  }

  for (let n = 0; n < medicationCount; n++) {
    const uuid = newUuid();
    const medicine = rng.pick(HOT9);
    const time = randomTime(rng);
    const medicationRequest: MedicationRequest = {
      resourceType: 'MedicationRequest',
      status: rng.next() < 0.3 ? 'active' : 'completed',
      intent: 'order',
      medicationCodeableConcept: { coding: [{ system: SYSTEMS.hot9, code: medicine.code, display: medicine.display }], text: medicine.display },
      subject,
      encounter: encounterAt(rng.int(0, encounterCount - 1)),
      authoredOn: jst(time),
      dosageInstruction: [{ text: rng.pick(['1日1回朝食後', '1日2回朝夕食後', '1日3回毎食後', '就寝前']), timing: { repeat: { frequency: rng.int(1, 3), period: 1, periodUnit: 'd' } } }],
      dispenseRequest: { expectedSupplyDuration: { value: rng.pick([14, 28, 56, 90]), unit: '日', system: SYSTEMS.ucum, code: 'd' } },
    };
    resources.push({ uuid, resource: withId(uuid, medicationRequest), columns: { patient: facts.uuid, codeSystem: SYSTEMS.hot9, code: medicine.code, date: new Date(time).toISOString() } });
  }

  // 検査日 laboratory days: each draws the patient's whole panel, so one code appears once per day.
  const panel = facts.labPanel;
  const labDays = sortedTimes(rng, Math.ceil(observationCount / panel.length));
  for (let n = 0; n < observationCount; n++) {
    const uuid = newUuid();
    const test = panel[n % panel.length];
    const day = Math.floor(n / panel.length);
    const time = labDays[day] + (n % panel.length) * 1000;
    const value = round(Math.max(0, rng.normal(test.mean, test.sd)), test.decimals);
    const observation: Observation = {
      resourceType: 'Observation',
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }] }],
      code: { coding: [{ system: SYSTEMS.jlac10, code: test.code, display: test.display }], text: test.display },
      subject,
      encounter: encounterAt(Math.floor((day * encounterCount) / labDays.length)),
      effectiveDateTime: jst(time),
      issued: new Date(time + 3600_000).toISOString(),
      valueQuantity: { value, unit: test.unit, system: SYSTEMS.ucum, code: test.unit },
      referenceRange: [{ low: { value: test.low, unit: test.unit, system: SYSTEMS.ucum, code: test.unit }, high: { value: test.high, unit: test.unit, system: SYSTEMS.ucum, code: test.unit } }],
      ...(value > test.high ? { interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }] } : {}),
    };
    resources.push({ uuid, resource: withId(uuid, observation), columns: { patient: facts.uuid, codeSystem: SYSTEMS.jlac10, code: test.code, date: new Date(time).toISOString(), value } });
  }
  return { facts, resources };
}

/**
 * A generated patient's clinical records (all but its Patient) as transaction entries whose subject is
 * `patientReference`: one patient given the record of another, to grow one timeline to any length.
 */
export function donatedRecords(seed: number, donorIndex: number, patientReference: string): NonNullable<Bundle['entry']> {
  const donor = generatePatient(seed, donorIndex, 'urn');
  const subject = `urn:uuid:${donor.facts.uuid}`;
  return donor.resources
    .filter(({ uuid }) => uuid !== donor.facts.uuid)
    .map(({ uuid, resource }) => ({
      fullUrl: `urn:uuid:${uuid}`,
      resource: JSON.parse(JSON.stringify(resource).replaceAll(`"${subject}"`, `"${patientReference}"`)) as Resource,
      request: { method: 'POST' as const, url: resource.resourceType },
    }));
}

/** The facts are drawn first from the patient's stream, so they can be had without building the rest. */
export function patientFacts(rng: Prng, index: number): PatientFacts {
  const uuid = rng.uuid(uniqueNumber(index, 0));
  const facility = FACILITY_CODES[index % FACILITY_CODES.length];
  const gender = rng.next() < 0.5 ? 'male' : 'female';
  return {
    index,
    uuid,
    identifierSystem: SYSTEMS.patientIdPrefix + facility,
    identifierValue: String(100000 + index).padStart(8, '0'),
    family: rng.pick(FAMILY_NAMES),
    given: rng.pick(GIVEN_NAMES[gender]),
    gender,
    labPanel: rng.sample(JLAC10, rng.int(8, 14)),
  };
}

/** Patient index and the resource's ordinal within the patient: unique across the whole data set. */
function uniqueNumber(index: number, ordinal: number): number {
  return index * 4096 + ordinal;
}

export function factsOf(seed: number, index: number): PatientFacts {
  return patientFacts(Prng.forItem(seed, index), index);
}

const RANGE_START = Date.UTC(FIRST_YEAR, 0, 1) - JST_OFFSET_MS;
const RANGE_END = Date.UTC(LAST_YEAR + 1, 0, 1) - JST_OFFSET_MS;

/** A time during clinic hours (08:00–18:00 JST) on some day in the range, on a 5-minute grid. */
function randomTime(rng: Prng): number {
  const days = Math.floor((RANGE_END - RANGE_START) / 86_400_000);
  return RANGE_START + rng.int(0, days - 1) * 86_400_000 + (8 * 60 + rng.int(0, 119) * 5) * 60_000;
}

function sortedTimes(rng: Prng, count: number): number[] {
  return Array.from({ length: count }, () => randomTime(rng)).sort((a, b) => a - b);
}

/** An instant written in Japan Standard Time, as Japanese systems send it. */
function jst(time: number): string {
  return new Date(time + JST_OFFSET_MS).toISOString().slice(0, 19) + '+09:00';
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
