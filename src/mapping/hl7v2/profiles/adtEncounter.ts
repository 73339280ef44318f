/**
 * ADT-01 (A54 attending-doctor change, A55 its cancel) and ADT-12/21/22/31/32/41/42/51/52 and their cancels →
 * Encounter. The event (MSH-9.2) decides status and location status, per JAMI's ConceptMaps
 * table-v2-0003-to-encounterstatus / -encounterlocationstatus; a cancel reverts the status rather than deleting,
 * because the visit itself still happened (or is still planned).
 */
import type { Coding } from '@medplum/fhirtypes';
import { codeableConcept, dateTime, location, lookup, practitioner } from '../converters';
import type { Converter, FieldRule, FieldView, KeyRule, MessageProfile, ResourceRule, Scope } from '../engine';
import { parseLocator } from '../parse';
import { SYSTEM } from '../codesystems';
import { FHIR_SYSTEM, HEADER_SEGMENTS, jpProfile, PATIENT_EXPECTED } from './common';

interface EncounterEvent {
  dataType: string;
  status: string;
  locationStatus: string;
}

/** Event → SS-MIX2 data type and FHIR statuses. Adding an event is one line here. */
export const ENCOUNTER_EVENTS: Record<string, EncounterEvent> = {
  // 担当医の変更 attending-doctor change: PV1-7 names the new doctor; in A55 (担当医の取消) the doctor before the
  // change (HL7 v2.5 §3.3.55), so the cancel writes that doctor back.
  A54: { dataType: 'ADT-01', status: 'in-progress', locationStatus: 'active' },
  A55: { dataType: 'ADT-01', status: 'in-progress', locationStatus: 'active' },
  A04: { dataType: 'ADT-12', status: 'arrived', locationStatus: 'active' },
  A14: { dataType: 'ADT-21', status: 'planned', locationStatus: 'planned' },
  A27: { dataType: 'ADT-21', status: 'cancelled', locationStatus: 'planned' },
  A01: { dataType: 'ADT-22', status: 'arrived', locationStatus: 'active' },
  A11: { dataType: 'ADT-22', status: 'cancelled', locationStatus: 'active' },
  A21: { dataType: 'ADT-31', status: 'onleave', locationStatus: 'active' },
  A52: { dataType: 'ADT-31', status: 'in-progress', locationStatus: 'active' },
  A22: { dataType: 'ADT-32', status: 'in-progress', locationStatus: 'active' },
  A53: { dataType: 'ADT-32', status: 'onleave', locationStatus: 'active' },
  A15: { dataType: 'ADT-41', status: 'in-progress', locationStatus: 'planned' },
  A26: { dataType: 'ADT-41', status: 'in-progress', locationStatus: 'planned' },
  A02: { dataType: 'ADT-42', status: 'in-progress', locationStatus: 'active' },
  A12: { dataType: 'ADT-42', status: 'in-progress', locationStatus: 'active' },
  A16: { dataType: 'ADT-51', status: 'in-progress', locationStatus: 'planned' },
  A25: { dataType: 'ADT-51', status: 'in-progress', locationStatus: 'planned' },
  A03: { dataType: 'ADT-52', status: 'finished', locationStatus: 'completed' },
  A13: { dataType: 'ADT-52', status: 'in-progress', locationStatus: 'active' },
};

const eventField = (name: 'status' | 'locationStatus') =>
  lookup(Object.fromEntries(Object.entries(ENCOUNTER_EVENTS).map(([event, row]) => [event, row[name]])));

/** HL7 table 0004 → v3 ActCode (JAMI ConceptMap table-v2-0004; E emergency added). */
export const ENCOUNTER_CLASS: Record<string, Coding> = {
  I: { system: FHIR_SYSTEM.actCode, code: 'IMP', display: 'inpatient encounter' },
  O: { system: FHIR_SYSTEM.actCode, code: 'AMB', display: 'ambulatory' },
  E: { system: FHIR_SYSTEM.actCode, code: 'EMER', display: 'emergency' },
};

/** The attending doctor of an A54 is so from the change (EVN-6 event occurred, else EVN-2 recorded). */
function attendingSince(field: FieldView): string | undefined {
  const evn = field.scope.segment('EVN');
  if (field.scope.value('MSH-9.2') !== 'A54' || !evn) {
    return undefined;
  }
  const at = (locator: string) => dateTime(field.at(evn, parseLocator(locator))) as string | undefined;
  return at('EVN-6') ?? at('EVN-2');
}

export function participant(code: string): Converter {
  return (field) => {
    const individual = practitioner(field);
    const start = code === 'ATND' ? attendingSince(field) : undefined;
    return individual ? { type: [{ coding: [{ system: FHIR_SYSTEM.participationType, code }] }], ...(start ? { period: { start } } : {}), individual } : undefined;
  };
}

const hasLocation = (scope: Scope) => scope.value('PV1-3') !== '';
const eventIn = (...events: string[]) => (scope: Scope) => hasLocation(scope) && events.includes(scope.value('MSH-9.2'));

const isInpatient = (scope: Scope) => scope.value('PV1-2') === 'I';
const withoutVisitNumber = (scope: Scope) => scope.value('PV1-19') === '';
const isDischarge = (scope: Scope) => scope.value('MSH-9.2') === 'A03';
/** A13 names the discharge it cancels by its time (PV1-45); without it the stay it reopens cannot be told. */
const reopensStay = (scope: Scope) => isInpatient(scope) && withoutVisitNumber(scope) && scope.value('MSH-9.2') === 'A13' && scope.value('PV1-45') !== '';
const OPEN_STAY: KeyRule['from'] = [['PID-3', '=stay', '=open']];
/** The key every message names an inpatient stay by: its visit number, else the patient's open stay. */
export const INPATIENT_STAY_KEY: KeyRule['from'] = [['PID-3', '=visit', 'PV1-19'], ...OPEN_STAY];

const ENCOUNTER_FIELDS: FieldRule[] = [
  { from: 'MSH-9.2', to: 'status', as: eventField('status') },
  { from: 'PV1-2', to: 'class', as: lookup(ENCOUNTER_CLASS) },
  { from: 'PV1-10', to: 'serviceType', as: (field) => (field.text() ? { coding: [{ system: SYSTEM.department, code: field.text() }] } : undefined) },
  { from: 'PV1-3', to: 'location[0].location', as: location },
  { from: 'MSH-9.2', to: 'location[0].status', as: eventField('locationStatus'), when: hasLocation },
  { from: 'PV1-44', to: 'location[0].period.start', as: dateTime, when: eventIn('A01') },
  { from: 'EVN-6', to: 'location[0].period.start', as: dateTime, when: eventIn('A21', 'A22', 'A02') },
  // The discharge's EVN-6 (event occurred, JAMI: location period) stands in for PV1-45, which wins when sent.
  { from: 'EVN-6', to: 'location[0].period.end', as: dateTime, when: eventIn('A03') },
  { from: 'EVN-6', to: 'period.end', as: dateTime, when: (scope) => scope.value('MSH-9.2') === 'A03' },
  { from: 'PV1-45', to: 'location[0].period.end', as: dateTime, when: eventIn('A03') },
  { from: 'PV1-7', to: 'participant[]', as: participant('ATND') },
  { from: 'PV1-17', to: 'participant[]', as: participant('ADM') },
  { from: 'PV1-44', to: 'period.start', as: dateTime },
  { from: 'PV1-45', to: 'period.end', as: dateTime },
  { from: 'PV2-8', to: 'period.start', as: dateTime, when: (scope) => scope.value('MSH-9.2') === 'A14' },
  { from: 'PV1-36', to: 'hospitalization.dischargeDisposition', as: (field) => (field.text() ? { coding: [{ system: FHIR_SYSTEM.dischargeDisposition, code: field.text() }] } : undefined) },
  { from: 'PV2-3', to: 'reasonCode[]', as: codeableConcept },
      ];

function encounterRule(id: string, when: (scope: Scope) => boolean, key: KeyRule, rename?: ResourceRule['rename']): ResourceRule {
  return { id, resourceType: 'Encounter', profile: jpProfile('JP_Encounter'), anchor: 'PV1', when, key, patient: 'subject', fields: ENCOUNTER_FIELDS, ...(rename ? { rename } : {}) };
}

export const ADT_ENCOUNTER: MessageProfile = {
  dataType: 'ADT-2x',
  groupStarts: [],
  segments: [...HEADER_SEGMENTS, 'NK1', 'DB1', 'OBX', 'AL1', 'DG1', 'ROL', 'IN1', 'IN2', 'IN3'],
  required: ['PID-3', 'PV1-2'],
  expected: PATIENT_EXPECTED,
  patient: 'stub',
  resources: [
    // An inpatient stay is one Encounter from admission through transfers to discharge. With a visit number (PV1-19)
    // that names it; JAHIS often leaves PV1-19 empty and sends the admission time (PV1-44) in A01 only, so without one
    // every message of the stay names "the patient's open stay", and the discharge files it under its discharge time
    // (PV1-45, else the event time) so that the next admission opens a new Encounter; A13 reopens it.
    encounterRule(
      'inpatientEncounter',
      (scope) => isInpatient(scope) && !reopensStay(scope),
      { kind: 'encounter', from: INPATIENT_STAY_KEY, onDuplicate: 'merge' },
      { when: (scope) => isDischarge(scope) && withoutVisitNumber(scope), from: [['PID-3', '=stay', 'PV1-45'], ['PID-3', '=stay', 'EVN-2'], ['PID-3', '=stay', 'MSH-7']] }
    ),
    encounterRule('reopenedStay', reopensStay, { kind: 'encounter', from: [['PID-3', '=stay', 'PV1-45']], onDuplicate: 'merge' }, { when: () => true, from: OPEN_STAY }),
    // Outpatient and emergency visits: the visit number, else the visit's start, else the event time.
    encounterRule('encounter', (scope) => !isInpatient(scope), {
      kind: 'encounter',
      from: [
        ['PID-3', '=visit', 'PV1-19'],
        ['PID-3', '=admit', 'PV1-44'],
        ['PID-3', '=event', 'EVN-2'],
      ],
      onDuplicate: 'merge',
    }),
  ],
};
