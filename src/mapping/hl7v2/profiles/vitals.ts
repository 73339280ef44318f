/**
 * Vital signs and body measurements: ADT-00's height and weight OBX, and SS-MIX2 extended storage's vital-sign
 * results (ORU^R01, or ORU^R30 from a bedside device; 拡張ストレージ バイタル). Each item is one Observation under the
 * JP Core 1.2 profile its kind calls for: JP_Observation_VitalSigns (category vital-signs, then its
 * JP_ObservationVitalSignsCategory_CS slice) or JP_Observation_BodyMeasurement (body-measurement, then
 * JP_ObservationBodyMeasurementCategory_CS), with the LOINC code FHIR's vital-signs readers look for beside the
 * code the message sent.
 */
import type { Coding } from '@medplum/fhirtypes';
import { dateTime, isEmpty } from '../converters';
import type { Converter, FieldRule, MessageProfile, ResourceRule, Scope } from '../engine';
import type { ParsedMessage } from '../parse';
import { read } from '../parse';
import { SYSTEM } from '../codesystems';
import { FHIR_SYSTEM, fixedCoding, HEADER_SEGMENTS, isCancelledOrder, jpProfile, PATIENT_EXPECTED } from './common';
import { OBSERVATION_RESULT_FIELDS } from './observation';

type Kind = 'vital-signs' | 'body-measurement';

interface Measurement {
  kind: Kind;
  /** The profile's second category slice (JP_ObservationVitalSignsCategory_CS / JP_ObservationBodyMeasurementCategory_CS). */
  category: string;
  loinc: Coding;
}

const loinc = (code: string, display: string): Coding => ({ system: SYSTEM.loinc, code, display });
const HEIGHT: Measurement = { kind: 'body-measurement', category: 'height', loinc: loinc('8302-2', 'Body height') };
const WEIGHT: Measurement = { kind: 'body-measurement', category: 'weight', loinc: loinc('29463-7', 'Body weight') };

/**
 * OBX-3 (coding system ^ code) → the measurement it is. JLAC10 height and weight as ADT-00 sends them (JAMI
 * ConceptMap segment-adt-00-obx); the vital signs by LOINC, as FHIR's vital-signs profile names them.
 */
const MEASUREMENTS: Record<string, Measurement> = {
  'JC10|9N001000000000001': HEIGHT,
  'JC10|9N006000000000001': WEIGHT,
  'LN|8302-2': HEIGHT,
  'LN|29463-7': WEIGHT,
  'LN|8480-6': { kind: 'vital-signs', category: 'blood-pressure', loinc: loinc('8480-6', 'Systolic blood pressure') },
  'LN|8462-4': { kind: 'vital-signs', category: 'blood-pressure', loinc: loinc('8462-4', 'Diastolic blood pressure') },
  'LN|8867-4': { kind: 'vital-signs', category: 'pulse-rate', loinc: loinc('8867-4', 'Heart rate') },
  'LN|8310-5': { kind: 'vital-signs', category: 'temperature', loinc: loinc('8310-5', 'Body temperature') },
  'LN|9279-1': { kind: 'vital-signs', category: 'respiratory-function', loinc: loinc('9279-1', 'Respiratory rate') },
  'LN|59408-5': { kind: 'vital-signs', category: 'respiratory-function', loinc: loinc('59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry') },
};

const measurementOf = (scope: Pick<Scope, 'value'>): Measurement | undefined => MEASUREMENTS[`${scope.value('OBX-3.3')}|${scope.value('OBX-3')}`];
/** Whether this OBX is a measurement of that kind. */
export const measures = (kind: Kind) => (scope: Scope) => measurementOf(scope)?.kind === kind;

const SECOND_CATEGORY: Record<Kind, string> = {
  'vital-signs': 'http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationVitalSignsCategory_CS',
  'body-measurement': FHIR_SYSTEM.bodyMeasurementCategory,
};
const PROFILE: Record<Kind, string> = { 'vital-signs': 'JP_Observation_VitalSigns', 'body-measurement': 'JP_Observation_BodyMeasurement' };

/** The LOINC coding beside the code sent, unless the code sent is that LOINC code. */
const loincBeside: Converter = (field) => {
  const measurement = measurementOf(field.scope);
  return measurement && field.scope.value('OBX-3.3') !== 'LN' ? measurement.loinc : undefined;
};
const secondCategory: Converter = (field) => {
  const measurement = measurementOf(field.scope);
  return measurement ? fixedCoding(SECOND_CATEGORY[measurement.kind], measurement.category) : undefined;
};

/** The lines every measurement Observation has beyond the result lines: LOINC beside the code, the second category. */
export const MEASUREMENT_FIELDS: FieldRule[] = [
  { from: 'OBX-3', to: 'code.coding[]', as: loincBeside },
  { from: 'OBX-3', to: 'category[1]', as: secondCategory },
];

/** One measurement rule per kind, as each kind claims its own profile and first category. */
export function measurementRule(kind: Kind, base: Omit<ResourceRule, 'id' | 'resourceType' | 'profile' | 'anchor' | 'when' | 'fixed'>): ResourceRule {
  return {
    ...base,
    id: kind === 'vital-signs' ? 'vitalSign' : 'bodyMeasurement',
    resourceType: 'Observation',
    profile: jpProfile(PROFILE[kind]),
    anchor: 'OBX',
    when: measures(kind),
    fixed: { category: [fixedCoding(FHIR_SYSTEM.observationCategory, kind)] },
  };
}

/** A result message is vital signs when every OBX it holds is a measurement of the table above. */
export function isVitalSigns(message: ParsedMessage): boolean {
  const results = message.segments.filter((segment) => segment.name === 'OBX');
  return results.length > 0 && results.every((obx) => `${read(obx, 3, 3)}|${read(obx, 3, 1)}` in MEASUREMENTS);
}

/** A measurement is the patient's item at its time (OBX-14, else the request's OBR-7): re-sent, it is the same. */
const measuredKey = { kind: 'observation', from: [['PID-3', '=vital', 'OBX-3', 'OBX-14'], ['PID-3', '=vital', 'OBX-3', 'OBR-7']], onDuplicate: 'merge' } as const;

const measuredFields: FieldRule[] = [...OBSERVATION_RESULT_FIELDS, { from: 'OBR-7', to: 'effectiveDateTime', as: dateTime, when: isEmpty('OBX-14') }, ...MEASUREMENT_FIELDS];

export const VITAL_SIGNS: MessageProfile = {
  dataType: 'VITAL-SIGNS',
  groupStarts: ['OBR'],
  segments: [...HEADER_SEGMENTS, 'ORC', 'TQ1', 'OBR', 'OBX', 'NTE', 'PRT'],
  required: ['PID-3', 'OBX-2', 'OBX-3', 'OBX-5', 'OBX-11'],
  expected: PATIENT_EXPECTED,
  numeric: ['MSH-13'],
  patient: 'stub',
  resources: (['vital-signs', 'body-measurement'] as const).map((kind) => measurementRule(kind, { key: measuredKey, patient: 'subject', deleteWhen: isCancelledOrder, fields: measuredFields })),
};
