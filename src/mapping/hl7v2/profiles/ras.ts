/**
 * OMP-11 / OMP-12 (RAS^O17 prescription / injection administered) → MedicationAdministration per RXA
 * (JAMI ConceptMap segment-omp-12-rxa-to-medicationadministration). RXA-20 completion status gives the status.
 */
import { codeableConcept, cweText, dateTime, lookup, practitioner, quantity } from '../converters';
import type { MessageProfile, ResourceRule } from '../engine';
import { isCancelledOrder, jpProfile, PATIENT_EXPECTED } from './common';
import { ORDER_SEGMENTS } from './omp01';

/** HL7 table 0322 → MedicationAdministration.status. */
const COMPLETION_STATUS: Record<string, string> = { CP: 'completed', PA: 'stopped', RE: 'not-done', NA: 'not-done' };

function administration(profile: string): ResourceRule {
  return {
    id: 'medicationAdministration',
    resourceType: 'MedicationAdministration',
    profile: jpProfile(profile),
    anchor: 'RXA',
    // ORC-2 + ORC-4 + position: RXA-1/RXA-2 are 0/1 in every JAHIS sample and do not tell drugs apart.
    key: { kind: 'medication-administration', from: [['ORC-2', 'ORC-4']], onDuplicate: 'number' },
    patient: 'subject',
    fixed: { status: 'completed' },
    deleteWhen: isCancelledOrder,
    fields: [
      { from: 'RXA-20', to: 'status', as: lookup(COMPLETION_STATUS) },
      { from: 'RXA-3', to: 'effectivePeriod.start', as: dateTime },
      { from: 'RXA-4', to: 'effectivePeriod.end', as: dateTime },
      { from: 'RXA-5', to: 'medicationCodeableConcept', as: codeableConcept },
      { from: 'RXA-6', to: 'dosage.dose', as: quantity(7) },
      { from: 'RXA-9', to: 'note[0].text', as: cweText },
      { from: 'RXA-10', to: 'performer[0].actor', as: practitioner },
      { from: 'RXR-1', to: 'dosage.route', as: codeableConcept },
      { from: 'RXR-2', to: 'dosage.site', as: codeableConcept },
      { from: 'RXR-4', to: 'dosage.method', as: codeableConcept },
    ],
  };
}

function rasProfile(dataType: string, profile: string): MessageProfile {
  return {
    dataType,
    groupStarts: ['ORC'],
    segments: ORDER_SEGMENTS.concat('RXA'),
    required: ['PID-3', 'ORC-1', 'ORC-2', 'ORC-4', 'RXA-3', 'RXA-4', 'RXA-5', 'RXA-6'],
    expected: PATIENT_EXPECTED,
    numeric: ['MSH-13', 'RXA-6'],
    patient: 'stub',
    resources: [administration(profile)],
  };
}

export const OMP_11 = rasProfile('OMP-11', 'JP_MedicationAdministration');
export const OMP_12 = rasProfile('OMP-12', 'JP_MedicationAdministration_Injection');
