/**
 * ADT-00 (ADT^A08 patient update, ADT^A23 patient delete) → Patient, body-measurement and other OBX → Observation,
 * AL1 → AllergyIntolerance, IN1 → Coverage. Source: JAMI ConceptMaps message-adt-00 and segment-adt-00-*.
 */
import { codeableConcept, date, lookup, text, valueIn } from '../converters';
import type { MessageProfile } from '../engine';
import { JP_IDENTIFIER } from '../identity';
import { ALLERGY_CATEGORY, allergyKey, reaction } from './allergy';
import { FHIR_SYSTEM, fixedCoding, HEADER_SEGMENTS, jpProfile, PATIENT } from './common';
import { OBSERVATION_RESULT_FIELDS } from './observation';
import { MEASUREMENT_FIELDS, measurementRule, measures } from './vitals';

/** Patient-level OBX (height, weight, blood type) have no time: one current value per patient and item. */
const patientObservationKey = { kind: 'observation', from: [['PID-3', '=adt', 'OBX-3']], onDuplicate: 'merge' } as const;

export const ADT_00: MessageProfile = {
  dataType: 'ADT-00',
  groupStarts: [],
  segments: [...HEADER_SEGMENTS, 'NK1', 'DB1', 'OBX', 'AL1', 'IN1', 'IN2', 'IN3'],
  required: ['PID-3', 'PID-5', 'PID-7', 'PID-8'],
  expected: ['PV1-2'],
  numeric: ['MSH-13'],
  patient: 'write',
  resources: [
    PATIENT,
    // Height and weight (JAMI ConceptMap segment-adt-00-obx: OBX-3 decides the category).
    measurementRule('body-measurement', { key: patientObservationKey, patient: 'subject', fields: [...OBSERVATION_RESULT_FIELDS, ...MEASUREMENT_FIELDS] }),
    {
      id: 'patientObservation',
      resourceType: 'Observation',
      profile: jpProfile('JP_Observation_Common'),
      anchor: 'OBX',
      when: (scope) => !measures('body-measurement')(scope),
      key: patientObservationKey,
      patient: 'subject',
      fixed: { category: [fixedCoding(FHIR_SYSTEM.observationCategory, 'laboratory')] },
      fields: OBSERVATION_RESULT_FIELDS,
    },
    {
      id: 'allergy',
      resourceType: 'AllergyIntolerance',
      profile: jpProfile('JP_AllergyIntolerance'),
      anchor: 'AL1',
      key: allergyKey('AL1'),
      patient: 'patient',
      fixed: { clinicalStatus: fixedCoding(FHIR_SYSTEM.allergyClinical, 'active') },
      deleteWhen: valueIn('MSH-9.2', ['A23']),
      fields: [
        { from: 'AL1-2', to: 'category[]', as: lookup(ALLERGY_CATEGORY) },
        { from: 'AL1-3', to: 'code', as: codeableConcept },
        { from: 'AL1-5', to: 'reaction', as: reaction },
        { from: 'AL1-6', to: 'onsetDateTime', as: date },
      ],
    },
    {
      id: 'coverage',
      resourceType: 'Coverage',
      profile: jpProfile('JP_Coverage'),
      anchor: 'IN1',
      key: { kind: 'coverage', from: [['PID-3', 'IN1-3', 'IN1-2']], onDuplicate: 'merge' },
      patient: 'beneficiary',
      fixed: { status: 'active' },
      deleteWhen: valueIn('MSH-9.2', ['A23']),
      fields: [
        { from: 'IN1-2', to: 'type', as: codeableConcept },
        { from: 'IN1-3', to: 'payor[0].identifier', as: (field) => (field.text() ? { system: JP_IDENTIFIER.insurerNumber, value: field.text() } : undefined) },
        { from: 'IN1-3', to: 'payor[0].type', as: () => 'Organization' },
        { from: 'IN1-4', to: 'payor[0].display', as: text },
        { from: 'IN1-12', to: 'period.start', as: date },
        { from: 'IN1-13', to: 'period.end', as: date },
        { from: 'IN1-17', to: 'relationship', as: codeableConcept },
      ],
    },
  ],
};
