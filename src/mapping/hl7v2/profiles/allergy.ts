/** AL1 (ADT-00) and IAM (ADT-61) → AllergyIntolerance; both key an allergy by patient + allergen so they converge. */
import type { AllergyIntoleranceReaction } from '@medplum/fhirtypes';
import { concept, lookup } from '../converters';
import type { Converter, KeyRule } from '../engine';
import { parseLocator } from '../parse';
import { FHIR_SYSTEM } from './common';

/** HL7 table 0127 → AllergyIntolerance.category (JAMI ConceptMap table-v2-0127; MA/MC have no category). */
export const ALLERGY_CATEGORY: Record<string, string> = { DA: 'medication', FA: 'food', EA: 'environment', AA: 'biologic', PA: 'environment', LA: 'environment' };

/** HL7 table 0128 → reaction severity (JAMI ConceptMap table-v2-0128). */
const SEVERITY: Record<string, string> = { MI: 'mild', MO: 'moderate', SV: 'severe' };

/** IAM-6 action code (HL7 0323): A add, U update, X no change keep the allergy active; D deletes it. */
export const ALLERGY_ACTIVE = concept(FHIR_SYSTEM.allergyClinical, { A: 'active', U: 'active', X: 'active' });

export function allergyKey(segment: 'AL1' | 'IAM'): KeyRule {
  return { kind: 'allergy', from: [['PID-3', `${segment}-3.3?`, `${segment}-3`]], onDuplicate: 'merge' };
}

/** Field 4 severity and field 5 reaction text (same positions in AL1 and IAM); FHIR requires a manifestation. */
export const reaction: Converter = (field): AllergyIntoleranceReaction[] | undefined => {
  const description = field.text();
  const severityField = field.at(field.segment, parseLocator(`${field.segment.name}-4`));
  const severity = lookup(SEVERITY)(severityField) as AllergyIntoleranceReaction['severity'];
  if (!description && !severity) {
    return undefined;
  }
  return [
    {
      ...(description ? { description } : {}),
      manifestation: [{ text: description || severityField.part(2) || 'アレルギー反応' }],
      ...(severity ? { severity } : {}),
    },
  ];
};
