/** Lines shared by prescription and injection orders (RDE^O11, OMP-01/02) and their administrations (RAS^O17). */
import type { Converter, FieldRule, KeyRule } from '../engine';
import { codeableConcept, codeableConceptIn, codeableConceptsIn, dateTime, facilityIdentifier, identifierIn, practitioner, dailyTotal, quantity, cweText, duration } from '../converters';
import { SYSTEM } from '../codesystems';
import { JP_IDENTIFIER } from '../identity';
import { parseLocator } from '../parse';

/** JP Core 1.2 JP_MedicationDosage: 投与開始日 (TQ1-7) and end (TQ1-8) as the periodOfUse extension on the dosage. */
const PERIOD_OF_USE_URL = 'http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_MedicationDosage_PeriodOfUse';

/** MR9P in RXE-21 is MERIT-9 処方オーダ表7, in RXE-6 its dosage-form table (units are handled by `quantity`). */
const MERIT9_CATEGORY = { MR9P: SYSTEM.merit9Category };
const MERIT9_FORM = { MR9P: SYSTEM.merit9Form };

const periodOfUse: Converter = (field) => {
  const start = dateTime(field) as string | undefined;
  const end = dateTime(field.at(field.segment, parseLocator('TQ1-8'))) as string | undefined;
  if (!start && !end) {
    return undefined;
  }
  return { url: PERIOD_OF_USE_URL, valuePeriod: { ...(start ? { start } : {}), ...(end ? { end } : {}) } };
};

/**
 * One MedicationRequest per RXE. ORC-2 (order number) + ORC-4 (Rp number) + position within the Rp identifies a drug;
 * the position is also written as JP Core's orderInRp identifier.
 */
export const MEDICATION_REQUEST_KEY: KeyRule = { kind: 'medication-request', from: [['ORC-2', 'ORC-4']], onDuplicate: 'number', numberAs: JP_IDENTIFIER.orderInRp };

/** ORC and TQ1/RXR lines that prescriptions and injections share (JAMI ConceptMap segment-omp-01-rxe). */
export const ORDER_FIELDS: FieldRule[] = [
  { from: 'ORC-4', to: 'identifier[]', as: identifierIn(JP_IDENTIFIER.rpNumber) },
  { from: 'ORC-2', to: 'identifier[]', as: identifierIn(JP_IDENTIFIER.resourceInstance) },
  { from: 'ORC-2', to: 'groupIdentifier', as: facilityIdentifier('order') },
  { from: 'RXE-15', to: 'identifier[]', as: facilityIdentifier('prescription-number') },
  { from: 'ORC-9', to: 'authoredOn', as: dateTime },
  { from: 'ORC-10', to: 'recorder', as: practitioner },
  { from: 'ORC-12', to: 'requester', as: practitioner },
  { from: 'ORC-29', to: 'category[]', as: codeableConcept },
  { from: 'RXE-21', to: 'category[]', as: codeableConceptsIn(MERIT9_CATEGORY) },
  { from: 'RXE-3', to: 'dosageInstruction[0].doseAndRate[0].doseQuantity', as: quantity(5) },
  { from: 'RXE-7', to: 'dosageInstruction[0].additionalInstruction[]', as: codeableConcept },
  { from: 'TQ1-3.1', to: 'dosageInstruction[0].timing.code', as: codeableConcept },
  { from: 'TQ1-3.1', to: 'dosageInstruction[0].text', as: cweText },
  { from: 'TQ1-6', to: 'dosageInstruction[0].timing.repeat.boundsDuration', as: duration },
  { from: 'TQ1-7', to: 'dosageInstruction[0].extension[]', as: periodOfUse },
  { from: 'RXR-1', to: 'dosageInstruction[0].route', as: codeableConcept },
  { from: 'RXR-2', to: 'dosageInstruction[0].site', as: codeableConcept },
  { from: 'RXR-4', to: 'dosageInstruction[0].method', as: codeableConcept },
];

/** Lines only oral/external prescriptions have: the drug in RXE-2, daily total, dispensed amount and days. */
export const PRESCRIPTION_FIELDS: FieldRule[] = [
  { from: 'RXE-2', to: 'medicationCodeableConcept', as: codeableConcept },
  { from: 'RXE-31', to: 'medicationCodeableConcept.coding[]', as: (field) => (codeableConcept(field) as { coding?: unknown[] } | undefined)?.coding },
  { from: 'RXE-19', to: 'dosageInstruction[0].doseAndRate[0].rateRatio', as: dailyTotal },
  { from: 'RXE-10', to: 'dispenseRequest.quantity', as: quantity(11) },
  { from: 'TQ1-6', to: 'dispenseRequest.expectedSupplyDuration', as: duration },
];
