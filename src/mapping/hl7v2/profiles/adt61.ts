/** ADT-61 (ADT^A60 allergy register/update) → AllergyIntolerance (JAMI ConceptMap segment-adt-61-iam). */
import { codeableConcept, date, dateTime, isEmpty, lookup, text, valueIn } from '../converters';
import type { MessageProfile } from '../engine';
import { ALLERGY_ACTIVE, ALLERGY_CATEGORY, allergyKey, reaction } from './allergy';
import { HEADER_SEGMENTS, jpProfile, PATIENT_EXPECTED } from './common';

export const ADT_61: MessageProfile = {
  dataType: 'ADT-61',
  groupStarts: [],
  segments: [...HEADER_SEGMENTS, 'IAM'],
  required: ['PID-3', 'IAM-1', 'IAM-3', 'IAM-6'],
  expected: PATIENT_EXPECTED,
  patient: 'stub',
  resources: [
    {
      id: 'allergy',
      resourceType: 'AllergyIntolerance',
      profile: jpProfile('JP_AllergyIntolerance'),
      anchor: 'IAM',
      key: allergyKey('IAM'),
      patient: 'patient',
      deleteWhen: valueIn('IAM-6', ['D']),
      fields: [
        { from: 'IAM-2', to: 'category[]', as: lookup(ALLERGY_CATEGORY) },
        { from: 'IAM-3', to: 'code', as: codeableConcept },
        { from: 'IAM-5', to: 'reaction', as: reaction },
        { from: 'IAM-6', to: 'clinicalStatus', as: ALLERGY_ACTIVE },
        { from: 'IAM-11', to: 'onsetDateTime', as: date },
        { from: 'IAM-12', to: 'onsetString', as: text, when: isEmpty('IAM-11') },
        { from: 'IAM-13', to: 'recordedDate', as: dateTime },
      ],
    },
  ],
};
