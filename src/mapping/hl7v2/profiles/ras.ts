/**
 * OMP-11 / OMP-12 (RAS^O17 prescription / injection administered) → MedicationAdministration per RXA
 * (JAMI ConceptMap segment-omp-12-rxa-to-medicationadministration). RXA-20 completion status gives the status.
 * An injection whose RXE-2 category is JHSI 0002 "06 予防接種" is a vaccination: JAMI (021_message_maps, OMP-12) says
 * its RXA SHOULD become an Immunization instead.
 */
import { codeableConcept, cweText, date, dateTime, facilityIdentifier, lookup, practitioner, quantity, text } from '../converters';
import type { Converter, MessageProfile, ResourceRule, Scope } from '../engine';
import { SYSTEM, UCUM_UNITS } from '../codesystems';
import { isCancelledOrder, jpProfile, PATIENT_EXPECTED } from './common';
import { ORDER_SEGMENTS } from './omp01';

/** RXA-12 (administered per time unit) as JAHIS writes it, number and unit run together: "102ml/hr". */
const rateText: Converter = (field) => {
  const match = /^([+-]?\d+(?:\.\d+)?)\s*(\S+)$/.exec(field.text());
  if (!match) {
    return field.text() ? { unit: field.text() } : undefined;
  }
  const ucum = UCUM_UNITS[match[2].toLowerCase()];
  return { value: Number(match[1]), unit: match[2], ...(ucum ? { system: SYSTEM.ucum, code: ucum } : {}) };
};

/** HL7 table 0322 → MedicationAdministration.status. */
const COMPLETION_STATUS: Record<string, string> = { CP: 'completed', PA: 'stopped', RE: 'not-done', NA: 'not-done' };

/** Only the JAHIS table is trusted: a facility's own 99-table may give 06 another meaning. */
const isVaccination = (scope: Scope) => scope.value('RXE-2') === '06' && scope.value('RXE-2.3') === 'JHSI0002';

/** HL7 table 0322 → Immunization.status, which knows no partial dose: PA was still given. */
const IMMUNIZATION_STATUS: Record<string, string> = { CP: 'completed', PA: 'completed', RE: 'not-done', NA: 'not-done' };

const immunization: ResourceRule = {
  id: 'immunization',
  resourceType: 'Immunization',
  profile: jpProfile('JP_Immunization'),
  anchor: 'RXA',
  when: isVaccination,
  key: { kind: 'immunization', from: [['ORC-2', 'ORC-4']], onDuplicate: 'number' },
  patient: 'patient',
  fixed: { status: 'completed' },
  deleteWhen: isCancelledOrder,
  fields: [
    { from: 'ORC-2', to: 'identifier[]', as: facilityIdentifier('order') },
    { from: 'RXA-20', to: 'status', as: lookup(IMMUNIZATION_STATUS) },
    { from: 'RXA-18', to: 'statusReason', as: codeableConcept },
    { from: 'RXA-5', to: 'vaccineCode', as: codeableConcept },
    { from: 'RXA-3', to: 'occurrenceDateTime', as: dateTime },
    { from: 'RXA-22', to: 'recorded', as: dateTime },
    { from: 'RXA-15', to: 'lotNumber', as: text },
    { from: 'RXA-16', to: 'expirationDate', as: date },
    { from: 'RXA-6', to: 'doseQuantity', as: quantity(7) },
    { from: 'RXA-9', to: 'note[0].text', as: cweText },
    { from: 'RXA-10', to: 'performer[0].actor', as: practitioner },
    { from: 'RXR-1', to: 'route', as: codeableConcept },
    { from: 'RXR-2', to: 'site', as: codeableConcept },
  ],
};

function administration(profile: string): ResourceRule {
  return {
    id: 'medicationAdministration',
    resourceType: 'MedicationAdministration',
    profile: jpProfile(profile),
    anchor: 'RXA',
    when: (scope) => !isVaccination(scope),
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
      { from: 'RXA-12', to: 'dosage.rateQuantity', as: rateText },
      { from: 'RXA-9', to: 'note[0].text', as: cweText },
      { from: 'RXA-10', to: 'performer[0].actor', as: practitioner },
      { from: 'RXR-1', to: 'dosage.route', as: codeableConcept },
      { from: 'RXR-2', to: 'dosage.site', as: codeableConcept },
      { from: 'RXR-4', to: 'dosage.method', as: codeableConcept },
    ],
  };
}

function rasProfile(dataType: string, profile: string, vaccinations: ResourceRule[] = []): MessageProfile {
  return {
    dataType,
    groupStarts: ['ORC'],
    segments: ORDER_SEGMENTS.concat('RXA'),
    required: ['PID-3', 'ORC-1', 'ORC-2', 'ORC-4', 'RXA-3', 'RXA-4', 'RXA-5', 'RXA-6'],
    expected: PATIENT_EXPECTED,
    numeric: ['MSH-13', 'RXA-6'],
    patient: 'stub',
    resources: [administration(profile), ...vaccinations],
  };
}

export const OMP_11 = rasProfile('OMP-11', 'JP_MedicationAdministration');
export const OMP_12 = rasProfile('OMP-12', 'JP_MedicationAdministration_Injection', [immunization]);
