/**
 * PPR-01 (PPR^ZD1 病名) → Condition (JAMI ConceptMap segment-ppr-01-prb-to-condition; JP_Condition_Diagnosis slices
 * code.coding into MEDIS 病名管理番号, 病名交換用コード and ICD-10). PRB-1 DE marks the diagnosis entered-in-error.
 */
import type { Converter, MessageProfile } from '../engine';
import { codeableConcept, codings, concept, dateTime, isEmpty, lookup, practitioner, primaryCodings, text, valueIn } from '../converters';
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
        { from: 'ZPR-5', to: 'code.coding[]', as: codings },
        { from: 'PRB-10', to: 'code.coding[]', as: primaryCodings },
        { from: 'PRB-3.2', to: 'code.text', as: text },
        { from: 'PRB-1', to: 'verificationStatus', as: concept(FHIR_SYSTEM.conditionVerification, { DE: 'entered-in-error' }, { silent: true }) },
        { from: 'PRB-14', to: 'clinicalStatus', as: clinicalStatus, when: (scope) => !isEnteredInError(scope) },
        // 主診断 (main diagnosis) flag, JAHIS table JHSD0007, kept as an extra category.
        { from: 'PRB-18', to: 'category[]', as: codeableConcept },
        { from: 'PRB-7', to: 'recordedDate', as: dateTime },
        { from: 'PRB-16', to: 'onsetDateTime', as: dateTime },
        { from: 'PRB-17', to: 'onsetString', as: text, when: isEmpty('PRB-16') },
        { from: 'PRB-9', to: 'abatementDateTime', as: dateTime },
        { from: 'ORC-12', to: 'recorder', as: practitioner },
        { from: 'ZPR-7', to: 'note[0].text', as: text },
      ],
    },
  ],
};
