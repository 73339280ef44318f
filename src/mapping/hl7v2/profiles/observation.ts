/**
 * OBX → Observation lines shared by every table that carries results (ADT-00 body measurements, OML-11 lab results,
 * OMG-13 physiology, order-time OBX in OMG/OMI). OBX-2 decides value[x], as in JAMI's ConceptMap segment-oml-11-obx.
 */
import type { Observation, ObservationReferenceRange, Quantity } from '@medplum/fhirtypes';
import { codeableConcept, concept, dateTime, isEmpty, lookup, practitioner, quantity, quantityIn } from '../converters';
import type { Converter, FieldRule, FieldView, LinkRule, ResourceRule } from '../engine';
import { parseLocator } from '../parse';
import { FHIR_SYSTEM, fixedCoding, isCancelledOrder, jpProfile } from './common';

/** HL7 table 0085 → Observation.status. */
const RESULT_STATUS: Record<string, Observation['status']> = {
  F: 'final',
  C: 'corrected',
  P: 'preliminary',
  R: 'preliminary',
  S: 'preliminary',
  A: 'amended',
  I: 'registered',
  O: 'registered',
  X: 'cancelled',
  D: 'entered-in-error',
  W: 'entered-in-error',
};

/** HL7 table 0078 abnormal flags → v3 ObservationInterpretation (same codes). */
const INTERPRETATION: Record<string, string> = { H: 'H', L: 'L', HH: 'HH', LL: 'LL', A: 'A', AA: 'AA', N: 'N', '<': '<', '>': '>', U: 'U', D: 'D', B: 'B', W: 'W', S: 'S', R: 'R', I: 'I' };

const sibling = (field: FieldView, fieldNumber: number): FieldView => field.at(field.segment, parseLocator(`${field.segment.name}-${fieldNumber}`));

/**
 * Which value[x] a profile allows. JP_Observation_LabResult allows only Quantity, CodeableConcept and string, so
 * ranges, ratios, times and dates become text there (never lost); other profiles take FHIR's structured types.
 */
type ValueTypes = 'lab' | 'any';

/** OBX-5 read by the data type named in OBX-2; every value type JAHIS lists maps to some value[x]. */
function observationValue(allowed: ValueTypes): Converter {
  return (field) => {
    const valueType = sibling(field, 2).text();
    const repetitions = field.repetitions();
    if (repetitions.length === 0) {
      return undefined;
    }
    const asText = () => ({ valueString: repetitions.map((repetition) => repetition.text()).join('\n') });
    switch (valueType) {
      case 'NM':
        return { valueQuantity: quantity(6)(field) };
      case 'SN':
        return structuredNumeric(field, allowed);
      case 'ST':
      case 'TX':
      case 'FT':
        return asText();
      case 'CWE':
      case 'CE':
      case 'CNE':
      // JAHIS ZRD (drug used in an endoscopy) starts with the drug's CWE.
      case 'ZRD':
        return { valueCodeableConcept: codeableConcept(field) };
      case 'TS':
      case 'DT':
      case 'DTM': {
        const value = dateTime(field) as string | undefined;
        return allowed === 'lab' ? { valueString: value } : { valueDateTime: value };
      }
      case 'TM':
        return allowed === 'lab' ? asText() : { valueTime: hl7Time(field) };
      case 'XCN':
        return { valueString: (practitioner(field) as { display?: string } | undefined)?.display ?? field.text() };
      default:
        field.report('102', `OBX-2 value type "${valueType}" is not supported; OBX-5 kept as text`);
        return asText();
    }
  };
}

/** TM "HHMM[SS]" → FHIR time "hh:mm:ss"; anything else is a data type error. */
function hl7Time(field: FieldView): string | undefined {
  const match = /^(\d{2})(\d{2})(\d{2})?/.exec(field.text());
  if (!match) {
    field.report('102', `OBX-5 is not a TM time: "${field.text()}"`, 'error');
    return undefined;
  }
  return `${match[1]}:${match[2]}:${match[3] ?? '00'}`;
}

const SN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const COMPARATORS: Record<string, Quantity['comparator'] | ''> = { '': '', '=': '', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

/**
 * SN = comparator^num1^separator/suffix^num2 (HL7 v2.5 §2.A.74): "<^5" (under 5), "^^+" and "^2^+" (qualitative
 * +, 2+), "^1^:^4" (titre 1:4), "^10^-^20" (range). A plain or compared number is a Quantity; the other shapes are
 * Range/Ratio where the profile allows them and otherwise their usual written form ("2+", "1:4") as a string.
 */
function structuredNumeric(field: FieldView, allowed: ValueTypes): Partial<Observation> | undefined {
  const [comparator, first, separator, second] = [1, 2, 3, 4].map((n) => field.part(n));
  const numbersOk = (first === '' || SN_NUMBER.test(first)) && (second === '' || SN_NUMBER.test(second));
  if (!numbersOk || (first === '' && separator === '') || !(comparator in COMPARATORS || comparator === '<>')) {
    field.report('102', `OBX-5 is not a structured numeric value: "${field.text()}"`, 'error');
    return undefined;
  }
  const written = `${comparator}${first}${separator}${second}`;
  if (separator === '' && comparator !== '<>') {
    const fhirComparator = COMPARATORS[comparator];
    return { valueQuantity: { ...quantityIn(field, Number(first), 6), ...(fhirComparator ? { comparator: fhirComparator } : {}) } };
  }
  const bothNumbers = first !== '' && second !== '' && comparator === '';
  if (allowed === 'any' && bothNumbers && separator === '-') {
    return { valueRange: { low: quantityIn(field, Number(first), 6), high: quantityIn(field, Number(second), 6) } };
  }
  if (allowed === 'any' && bothNumbers && (separator === ':' || separator === '/')) {
    return { valueRatio: { numerator: { value: Number(first) }, denominator: { value: Number(second) } } };
  }
  return { valueString: written };
}

/** OBX-7 "1.2-2.0", "<5", ">=10" → low/high in OBX-6's unit; the original text is always kept. */
const referenceRange: Converter = (field): ObservationReferenceRange[] | undefined => {
  const range = field.text();
  if (!range) {
    return undefined;
  }
  const unit = (value: string) => quantityIn(field, Number(value), 6);
  const between = /^([+-]?\d+(?:\.\d+)?)\s*[-~～]\s*([+-]?\d+(?:\.\d+)?)$/.exec(range);
  if (between) {
    return [{ low: unit(between[1]), high: unit(between[2]), text: range }];
  }
  const bound = /^(<=?|>=?)\s*([+-]?\d+(?:\.\d+)?)$/.exec(range);
  if (bound) {
    return [{ ...(bound[1].startsWith('<') ? { high: unit(bound[2]) } : { low: unit(bound[2]) }), text: range }];
  }
  return [{ text: range }];
};

function resultFields(allowed: ValueTypes): FieldRule[] {
  return [
    { from: 'OBX-3', to: 'code', as: codeableConcept },
    { from: 'OBX-5', to: '', as: observationValue(allowed) },
    { from: 'OBX-7', to: 'referenceRange', as: referenceRange },
    { from: 'OBX-8', to: 'interpretation[]', as: (field) => field.repetitions().map(concept(FHIR_SYSTEM.interpretation, INTERPRETATION)).filter(Boolean) },
    { from: 'OBX-11', to: 'status', as: lookup(RESULT_STATUS) },
    { from: 'OBX-14', to: 'effectiveDateTime', as: dateTime },
    { from: 'OBX-16', to: 'performer[]', as: practitioner },
  ];
}

/** OBX lines common to every result Observation; tables add code, category, keys and links. */
export const OBSERVATION_RESULT_FIELDS = resultFields('any');
const LAB_RESULT_FIELDS = resultFields('lab');

/** When OBX-14 is empty the result time is the order's (OBR-7) time, as JAHIS lab messages send it. */
const EFFECTIVE_FROM_OBR: FieldRule = { from: 'OBR-7', to: 'effectiveDateTime', as: dateTime, when: isEmpty('OBX-14') };

/**
 * One Observation per OBX result under an OBR (lab results, physiology results): keyed by the order, its battery and
 * the item, numbered when an item repeats; the tables differ only in profile, category and links.
 */
export function obrResultObservation(profile: string, category: string, links?: LinkRule[]): ResourceRule {
  return {
    id: 'observation',
    resourceType: 'Observation',
    profile: jpProfile(profile),
    anchor: 'OBX',
    key: { kind: 'observation', from: [['OBR-2', 'OBR-4', 'OBX-3', 'OBX-4?']], onDuplicate: 'number' },
    patient: 'subject',
    fixed: { category: [fixedCoding(FHIR_SYSTEM.observationCategory, category)] },
    deleteWhen: isCancelledOrder,
    fields: [...(profile === 'JP_Observation_LabResult' ? LAB_RESULT_FIELDS : OBSERVATION_RESULT_FIELDS), EFFECTIVE_FROM_OBR],
    ...(links ? { links } : {}),
  };
}
