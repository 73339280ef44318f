/** OMP-01 (RDE^O11 prescription order) → one MedicationRequest per RXE; ORC-1 CA/DC deletes them. */
import type { MessageProfile } from '../engine';
import { HEADER_SEGMENTS, isCancelledOrder, jpProfile, PATIENT_EXPECTED } from './common';
import { MEDICATION_REQUEST_KEY, ORDER_FIELDS, PRESCRIPTION_FIELDS } from './medication';

export const ORDER_SEGMENTS = [...HEADER_SEGMENTS, 'AL1', 'IN1', 'ORC', 'TQ1', 'TQ2', 'RXO', 'RXE', 'RXR', 'RXC', 'OBX', 'CTI', 'ZI1'];

export const OMP_01: MessageProfile = {
  dataType: 'OMP-01',
  groupStarts: ['ORC'],
  segments: ORDER_SEGMENTS,
  required: ['PID-3', 'ORC-1', 'ORC-2', 'ORC-4', 'RXE-2', 'RXE-3', 'RXE-5', 'RXE-10', 'RXE-11', 'RXR-1'],
  expected: PATIENT_EXPECTED,
  numeric: ['MSH-13', 'RXE-3', 'RXE-10'],
  patient: 'stub',
  resources: [
    {
      id: 'medicationRequest',
      resourceType: 'MedicationRequest',
      profile: jpProfile('JP_MedicationRequest'),
      anchor: 'RXE',
      key: MEDICATION_REQUEST_KEY,
      patient: 'subject',
      fixed: { status: 'active', intent: 'order' },
      deleteWhen: isCancelledOrder,
      fields: [...ORDER_FIELDS, ...PRESCRIPTION_FIELDS],
    },
  ],
};
