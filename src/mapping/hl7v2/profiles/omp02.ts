/**
 * OMP-02 (RDE^O11 injection order) → MedicationRequest per RXE. In injections RXE-2 is the injection category (JHSI 0002)
 * and the drugs are RXC segments (B base / A additive), held in a contained Medication with one ingredient each.
 */
import type { Medication } from '@medplum/fhirtypes';
import { codeableConcept, eachSegment, quantity } from '../converters';
import type { Converter, FieldRule, MessageProfile } from '../engine';
import { isCancelledOrder, jpProfile, PATIENT_EXPECTED } from './common';
import { MEDICATION_REQUEST_KEY, ORDER_FIELDS } from './medication';
import { ORDER_SEGMENTS } from './omp01';

/** RXC-1 component type (HL7 table 0166: B base, A additive); FHIR R4 Medication.ingredient has no element for it. */
const COMPONENT_TYPE_URL = 'urn:tonet:extension:hl7v2-rxc-component-type';

const RXC_INGREDIENT: FieldRule[] = [
  { from: 'RXC-1', to: 'extension[]', as: (field) => (field.text() ? { url: COMPONENT_TYPE_URL, valueCoding: { system: 'http://terminology.hl7.org/CodeSystem/v2-0166', code: field.text() } } : undefined) },
  { from: 'RXC-2', to: 'itemCodeableConcept', as: codeableConcept },
  { from: 'RXC-3', to: 'strength.numerator', as: quantity(4) },
  { from: 'RXC-3', to: 'strength.denominator', as: (field) => (field.text() ? { value: 1 } : undefined) },
];

const INJECTION_MEDICATION_ID = 'injection';

/** The RXC drugs as one contained Medication (JP_MedicationRequest_Injection references its mixture this way). */
const injectionMedication: Converter = (field) => {
  const ingredient = eachSegment('RXC', RXC_INGREDIENT)(field) as Medication['ingredient'];
  return ingredient && ingredient.length ? [{ resourceType: 'Medication', id: INJECTION_MEDICATION_ID, ingredient }] : undefined;
};

export const OMP_02: MessageProfile = {
  dataType: 'OMP-02',
  groupStarts: ['ORC'],
  segments: ORDER_SEGMENTS,
  required: ['PID-3', 'ORC-1', 'ORC-2', 'ORC-4', 'ORC-17', 'ORC-29', 'RXE-2', 'RXC-1', 'RXC-2', 'RXC-3', 'RXC-4'],
  expected: PATIENT_EXPECTED,
  numeric: ['MSH-13', 'RXE-3', 'RXC-3'],
  patient: 'stub',
  resources: [
    {
      id: 'medicationRequest',
      resourceType: 'MedicationRequest',
      profile: jpProfile('JP_MedicationRequest_Injection'),
      anchor: 'RXE',
      key: MEDICATION_REQUEST_KEY,
      patient: 'subject',
      fixed: { status: 'active', intent: 'order', medicationReference: { reference: `#${INJECTION_MEDICATION_ID}` } },
      deleteWhen: isCancelledOrder,
      fields: [
        ...ORDER_FIELDS,
        { from: 'RXC-2', to: 'contained', as: injectionMedication },
        { from: 'RXE-2', to: 'category[]', as: codeableConcept },
        { from: 'RXE-23', to: 'dosageInstruction[0].doseAndRate[0].rateQuantity', as: quantity(24) },
      ],
    },
  ],
};
