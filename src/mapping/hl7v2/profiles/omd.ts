/**
 * OMD (OMD^O03 diet order, 食事オーダ) → one NutritionOrder per ORC. JAMI has no ConceptMap for OMD; the lines follow
 * HL7 v2.5 §4.8 (ODS: ODS-1 type from table 0159, ODS-3 diet/supplement/preference codes, ODS-4 free-text instruction)
 * and reuse the ORC conventions of the other order tables. JP Core has no NutritionOrder profile, so none is claimed.
 */
import type { CodeableConcept } from '@medplum/fhirtypes';
import { codeableConcept, dateTime, facilityIdentifier, isEmpty, practitioner } from '../converters';
import type { Converter, FieldView, MessageProfile, Scope } from '../engine';
import { parseLocator, read } from '../parse';
import { HEADER_SEGMENTS, isCancelledOrder, PATIENT_EXPECTED } from './common';

/** HL7 table 0159 diet code specification type. */
type OdsType = 'D' | 'S' | 'P';

/** The ODS segments of this order with the given ODS-1 type. */
function odsOfType(field: FieldView, type: OdsType): FieldView[] {
  return field.scope
    .all('ODS')
    .filter((segment) => read(segment, 1) === type)
    .map((segment) => field.at(segment, parseLocator('ODS-3')));
}

function codesOf(code: FieldView): CodeableConcept[] {
  return code.repetitions().map((repetition) => codeableConcept(repetition) as CodeableConcept | undefined).filter((concept) => concept !== undefined);
}

/** ODS-4 repeats free text; FHIR has one instruction string per diet or supplement. */
function instructionOf(code: FieldView): string | undefined {
  const lines = code.at(code.segment, parseLocator('ODS-4')).repetitions().map((repetition) => repetition.text()).filter(Boolean);
  return lines.length ? lines.join('\n') : undefined;
}

/** Every D row's codes are one diet's types (常食, 塩分制限…); their instructions read together. */
const dietTypes: Converter = (field) => odsOfType(field, 'D').flatMap(codesOf);
const dietInstruction: Converter = (field) => {
  const lines = odsOfType(field, 'D').map(instructionOf).filter(Boolean);
  return lines.length ? lines.join('\n') : undefined;
};
/** Each S row is a supplement of its own (FHIR: one product per supplement). */
const supplements: Converter = (field) =>
  odsOfType(field, 'S').map((code) => {
    const [type] = codesOf(code);
    const instruction = instructionOf(code);
    return { ...(type ? { type } : {}), ...(instruction ? { instruction } : {}) };
  });
const preferences: Converter = (field) => odsOfType(field, 'P').flatMap(codesOf);

const hasDiet = (scope: Scope) => scope.all('ODS').some((segment) => read(segment, 1) === 'D');

export const OMD: MessageProfile = {
  dataType: 'OMD',
  groupStarts: ['ORC'],
  segments: [...HEADER_SEGMENTS, 'AL1', 'IN1', 'IN2', 'IN3', 'GT1', 'ORC', 'TQ1', 'TQ2', 'ODS', 'ODT', 'OBX', 'ZI1'],
  // HL7 v2.5 requires ODS-1 and ODS-3; without ORC-2 the order could not be updated or cancelled later.
  required: ['PID-3', 'ORC-1', 'ORC-2', 'ODS-1', 'ODS-3'],
  expected: PATIENT_EXPECTED,
  numeric: ['MSH-13'],
  patient: 'stub',
  resources: [
    {
      id: 'nutritionOrder',
      resourceType: 'NutritionOrder',
      anchor: 'ORC',
      key: { kind: 'nutrition-order', from: [['ORC-2']], onDuplicate: 'merge' },
      patient: 'patient',
      fixed: { status: 'active', intent: 'order' },
      deleteWhen: isCancelledOrder,
      fields: [
        { from: 'ORC-2', to: 'identifier[]', as: facilityIdentifier('order') },
        // NutritionOrder.dateTime is mandatory: the message time stands in when the HIS leaves ORC-9 empty.
        { from: 'ORC-9', to: 'dateTime', as: dateTime },
        { from: 'MSH-7', to: 'dateTime', as: dateTime, when: isEmpty('ORC-9') },
        { from: 'ORC-12', to: 'orderer', as: practitioner },
        { from: 'ODS-3', to: 'oralDiet.type[]', as: dietTypes },
        { from: 'ODS-3', to: 'oralDiet.instruction', as: dietInstruction },
        { from: 'TQ1-3.1', to: 'oralDiet.schedule[0].code', as: codeableConcept, when: hasDiet },
        { from: 'TQ1-7', to: 'oralDiet.schedule[0].repeat.boundsPeriod.start', as: dateTime, when: hasDiet },
        { from: 'TQ1-8', to: 'oralDiet.schedule[0].repeat.boundsPeriod.end', as: dateTime, when: hasDiet },
        { from: 'ODS-3', to: 'supplement[]', as: supplements },
        { from: 'ODS-3', to: 'foodPreferenceModifier[]', as: preferences },
      ],
    },
  ],
};
