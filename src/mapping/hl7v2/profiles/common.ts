/**
 * Pieces shared by several message tables: the patient, JP Core profile URLs, order-control codes and the
 * FHIR code systems that v2 tables are translated into.
 */
import type { Coding } from '@medplum/fhirtypes';
import { addresses, codeableConcept, date, eachSegment, firstAddress, firstName, lookup, names, telecoms, text, valueIn } from '../converters';
import type { Converter, FieldRule, ResourceRule } from '../engine';
import { parseLocator } from '../parse';

export function jpProfile(name: string): string {
  return `http://jpfhir.jp/fhir/core/StructureDefinition/${name}`;
}

export const FHIR_SYSTEM = {
  allergyClinical: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  conditionVerification: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
  conditionCategory: 'http://terminology.hl7.org/CodeSystem/condition-category',
  /** JP Core 1.2: every Observation profile's first category slice (laboratory, body-measurement, procedure, imaging…). */
  observationCategory: 'http://jpfhir.jp/fhir/core/CodeSystem/JP_SimpleObservationCategory_CS',
  /** JP_Observation_BodyMeasurement's second category slice (height, weight…). */
  bodyMeasurementCategory: 'http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationBodyMeasurementCategory_CS',
  interpretation: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  participationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  loinc: 'http://loinc.org',
  dischargeDisposition: 'http://terminology.hl7.org/CodeSystem/v2-0112',
  serviceRequestCategory: 'http://snomed.info/sct',
} as const;

/** Every table lists these: they may precede the body of any SS-MIX2 message. */
export const HEADER_SEGMENTS = ['MSH', 'SFT', 'EVN', 'PID', 'PD1', 'PV1', 'PV2', 'NTE'];

/** NHO requires PID-5/7/8 everywhere; outside ADT-00 a gap there must not lose the clinical data, so it is a warning. */
export const PATIENT_EXPECTED = ['PID-5', 'PID-7', 'PID-8'];

/** ORC-1 order-control codes that withdraw an order: its resources are deleted. */
const CANCEL_ORDER_CONTROLS = ['CA', 'DC', 'OC', 'CR', 'DR', 'OD'];
export const isCancelledOrder = valueIn('ORC-1', CANCEL_ORDER_CONTROLS);

/** HL7 table 0001 → administrative-gender (JAMI ConceptMap table-v2-0001). */
const GENDER: Record<string, string> = { M: 'male', F: 'female', O: 'other', U: 'unknown', A: 'other', N: 'unknown' };

const PATIENT_BASICS: FieldRule[] = [
  { from: 'PID-5', to: 'name[]', as: names },
  { from: 'PID-7', to: 'birthDate', as: date },
  { from: 'PID-8', to: 'gender', as: lookup(GENDER) },
];

/** NK1 → Patient.contact, one contact per NK1 (JAMI ConceptMap segment-pid-to-patient). */
const NEXT_OF_KIN: FieldRule[] = [
  { from: 'NK1-2', to: 'name', as: firstName },
  { from: 'NK1-3', to: 'relationship[]', as: (field) => [codeableConcept(field)] },
  { from: 'NK1-4', to: 'address', as: firstAddress },
  { from: 'NK1-5', to: 'telecom[]', as: telecoms },
  { from: 'NK1-6', to: 'telecom[]', as: telecoms },
  { from: 'NK1-13', to: 'organization.display', as: text },
];

/** PID lines JAMI maps in every message (segment-pid-to-patient); the stub sends them too, for a patient not yet known. */
const PATIENT_CONTACT: FieldRule[] = [
  { from: 'PID-11', to: 'address[]', as: addresses },
  { from: 'PID-13', to: 'telecom[]', as: telecoms },
  { from: 'PID-14', to: 'telecom[]', as: telecoms },
  { from: 'PID-29', to: 'deceasedDateTime', as: date },
];

const DISABILITY_URL = 'http://hl7.org/fhir/StructureDefinition/patient-disability';

/** DB1-4 Y (身体障害あり) with DB1-2 (HL7 table 0334, who is disabled) → the patient-disability extension (JAMI). */
const disability: Converter = (field) => {
  if (field.at(field.segment, parseLocator('DB1-4')).text() !== 'Y') {
    return undefined;
  }
  const who = field.text();
  return { url: DISABILITY_URL, valueCodeableConcept: who ? { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0334', code: who }] } : { text: '身体障害あり' } };
};

const patientKey = { kind: 'patient', from: [['PID-3']], onDuplicate: 'merge' } as const;

/** ADT-00 writes the whole patient (A23 deletes it). */
export const PATIENT: ResourceRule = {
  id: 'patient',
  resourceType: 'Patient',
  profile: jpProfile('JP_Patient'),
  anchor: 'PID',
  key: patientKey,
  deleteWhen: valueIn('MSH-9.2', ['A23']),
  fields: [
    ...PATIENT_BASICS,
    ...PATIENT_CONTACT,
    { from: 'NK1-1', to: 'contact[]', as: eachSegment('NK1', NEXT_OF_KIN) },
    { from: 'DB1-2', to: 'extension[]', as: disability },
  ],
};

/** Other messages only make sure the patient exists (conditional create), so their resources can reference it. */
export const PATIENT_STUB: ResourceRule = {
  id: 'patient',
  resourceType: 'Patient',
  profile: jpProfile('JP_Patient'),
  anchor: 'PID',
  key: patientKey,
  fields: [...PATIENT_BASICS, ...PATIENT_CONTACT],
};

export function fixedCoding(system: string, code: string, display?: string): { coding: Coding[] } {
  return { coding: [{ system, code, ...(display ? { display } : {}) }] };
}
