/**
 * PPR-01 (PPR^ZD1 病名) → Condition (JAMI ConceptMap segment-ppr-01-prb-to-condition; JP_Condition_Diagnosis slices
 * code.coding into MEDIS 病名管理番号, 病名交換用コード and ICD-10). PRB-1 DE marks the diagnosis entered-in-error,
 * PRB-13 (確認状態) tells a suspected diagnosis (疑い) from a confirmed one, and the MEDIS modifiers of ZPR (左, 急性…)
 * become JP Core's prefix/postfix modifier extensions on Condition.code.
 */
import type { CodeableConcept, Extension } from '@medplum/fhirtypes';
import type { Converter, MessageProfile } from '../engine';
import { codeableConcept, codeableConceptIn, codings, concept, dateTime, lookup, practitioner, primaryCodings, text, valueIn } from '../converters';
import { SYSTEM } from '../codesystems';
import { parseLocator } from '../parse';
import { FHIR_SYSTEM, fixedCoding, HEADER_SEGMENTS, jpProfile, PATIENT_EXPECTED } from './common';

/** HL7 table 0241 (転帰) → clinical status. */
const OUTCOME_STATUS: Record<string, string> = { F: 'resolved', R: 'active', N: 'active', W: 'active', S: 'inactive', D: 'inactive', U: 'active' };

/**
 * FHIR forbids an active Condition with an abatement date (con-4). JAHIS sends 転帰日 PRB-9 together with outcomes
 * such as N 回復せず (the diagnosis was closed without recovery), so an abated "active" outcome becomes inactive.
 */
const clinicalStatus: Converter = (field) => {
  const status = lookup(OUTCOME_STATUS)(field) as string | undefined;
  const abated = field.at(field.segment, parseLocator('PRB-9')).text() !== '';
  const effective = abated && (status === 'active' || status === undefined) ? 'inactive' : (status ?? 'active');
  return { coding: [{ system: FHIR_SYSTEM.conditionClinical, code: effective }] };
};

const isEnteredInError = valueIn('PRB-1', ['DE']);

/** PRB-15 (転帰日, the outcome's date) is the abatement when the outcome ends the diagnosis and PRB-9 is not sent (JAMI). */
const ENDING_OUTCOMES = ['F', 'S', 'D'];
const statusDateAsAbatement: Converter = (field) => {
  const resolvedAt = field.at(field.segment, parseLocator('PRB-9')).text();
  const outcome = field.at(field.segment, parseLocator('PRB-14')).text();
  const date = dateTime(field);
  return resolvedAt === '' && ENDING_OUTCOMES.includes(outcome) ? date : undefined;
};

/**
 * PRB-13 problem confirmation status → verificationStatus. JAHIS sends 疑い (suspected) here; a suspected diagnosis is
 * provisional, never confirmed. A code not in the table is reported and, if its text says 疑い, still read as suspected.
 */
const CONFIRMATION_STATUS: Record<string, string> = { C: 'confirmed', S: 'provisional', P: 'provisional', D: 'differential', R: 'refuted', U: 'unconfirmed' };

const confirmation: Converter = (field) => {
  const code = field.text();
  const label = field.part(2);
  const status = CONFIRMATION_STATUS[code] ?? (label.includes('疑') ? 'provisional' : undefined);
  if (code !== '' && !(code in CONFIRMATION_STATUS)) {
    field.report('103', `PRB-13 value "${code}" is not in the confirmation-status table${status ? '; read as suspected from its text' : ''}`);
  }
  return status ? { coding: [{ system: FHIR_SYSTEM.conditionVerification, code: status }] } : undefined;
};

const PREFIX_MODIFIER_URL = 'http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Condition_DiseasePrefixModifier';
const POSTFIX_MODIFIER_URL = 'http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Condition_DiseasePostfixModifier';

/** In ZPR the MDCDX2 name covers the modifier tables: 修飾語管理番号 (ZPR-1/3) and 修飾語交換用コード (ZPR-4/6). */
const modifierKey = codeableConceptIn({ MDCDX2: SYSTEM.modifierKeyNumber });
const modifierExchange = codeableConceptIn({ MDCDX2: SYSTEM.modifierExchangeCode });

/**
 * ZPR-1 (prefix) with ZPR-4, or ZPR-3 (postfix) with ZPR-6: the n-th repetition of each names the same modifier,
 * so they become one CodeableConcept with both codings, one extension per modifier.
 */
function modifiers(url: string, exchangeField: number): Converter {
  return (field) => {
    const exchange = field.at(field.segment, parseLocator(`ZPR-${exchangeField}`)).repetitions();
    const keys = field.repetitions();
    return Array.from({ length: Math.max(keys.length, exchange.length) }, (_unused, index): Extension | undefined => {
      const parts = [keys[index] && modifierKey(keys[index]), exchange[index] && modifierExchange(exchange[index])].filter(Boolean) as CodeableConcept[];
      if (parts.length === 0) {
        return undefined;
      }
      const coding = parts.flatMap((part) => part.coding ?? []);
      const label = parts.find((part) => part.text)?.text;
      return { url, valueCodeableConcept: { ...(coding.length ? { coding } : {}), ...(label ? { text: label } : {}) } };
    }).filter((extension) => extension !== undefined);
  };
}

export const PPR_01: MessageProfile = {
  dataType: 'PPR-01',
  groupStarts: ['PRB'],
  segments: [...HEADER_SEGMENTS, 'PRB', 'ZPR', 'ZI1', 'ORC', 'OBX', 'VAR', 'ROL'],
  required: ['PID-3', 'PRB-1', 'PRB-2', 'PRB-3', 'PRB-4', 'ZPR-2'],
  expected: PATIENT_EXPECTED,
  patient: 'stub',
  resources: [
    {
      id: 'condition',
      resourceType: 'Condition',
      profile: jpProfile('JP_Condition_Diagnosis'),
      anchor: 'PRB',
      key: { kind: 'condition', from: [['PRB-4']], onDuplicate: 'merge' },
      patient: 'subject',
      fixed: { category: [fixedCoding(FHIR_SYSTEM.conditionCategory, 'encounter-diagnosis')] },
      fields: [
        { from: 'PRB-3', to: 'code.coding[]', as: codings },
        // Read even when ZPR-1/3 are empty: a modifier may come with its exchange code (ZPR-4/6) alone.
        { from: 'ZPR-1', to: 'code.extension[]', as: modifiers(PREFIX_MODIFIER_URL, 4) },
        { from: 'ZPR-3', to: 'code.extension[]', as: modifiers(POSTFIX_MODIFIER_URL, 6) },
        { from: 'ZPR-5', to: 'code.coding[]', as: codings },
        { from: 'PRB-10', to: 'code.coding[]', as: primaryCodings },
        { from: 'PRB-3.2', to: 'code.text', as: text },
        // PRB-17 is the diagnosis as the doctor wrote it, modifiers included (JAMI: Condition.text), so it names the code.
        { from: 'PRB-17', to: 'code.text', as: text },
        { from: 'PRB-13', to: 'verificationStatus', as: confirmation },
        { from: 'PRB-1', to: 'verificationStatus', as: concept(FHIR_SYSTEM.conditionVerification, { DE: 'entered-in-error' }, { silent: true }) },
        { from: 'PRB-14', to: 'clinicalStatus', as: clinicalStatus, when: (scope) => !isEnteredInError(scope) },
        // 主診断 (main diagnosis) flag, JAHIS table JHSD0007, kept as an extra category.
        { from: 'PRB-18', to: 'category[]', as: codeableConcept },
        { from: 'PRB-7', to: 'recordedDate', as: dateTime },
        { from: 'PRB-16', to: 'onsetDateTime', as: dateTime },
        { from: 'PRB-9', to: 'abatementDateTime', as: dateTime },
        { from: 'PRB-15', to: 'abatementDateTime', as: statusDateAsAbatement },
        { from: 'ORC-12', to: 'recorder', as: practitioner },
        { from: 'ZPR-7', to: 'note[0].text', as: text },
      ],
    },
  ],
};
