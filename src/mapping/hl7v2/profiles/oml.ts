/**
 * OML-01 (OML^O33 specimen lab order) → ServiceRequest per OBR, one child ServiceRequest per requested item (OBX),
 * Specimen per SPM. OML-11 (OUL^R22 lab result) → Specimen, ServiceRequest (ORC), DiagnosticReport (OBR) and
 * Observation per OBX with JLAC10 codes.
 */
import { codeableConcept } from '../converters';
import type { MessageProfile, ResourceRule } from '../engine';
import { FHIR_SYSTEM, fixedCoding, HEADER_SEGMENTS, isCancelledOrder, jpProfile, PATIENT_EXPECTED } from './common';
import { obrResultObservation } from './observation';
import { DIAGNOSTIC_REPORT_FIELDS, SERVICE_REQUEST_FIELDS, SPECIMEN_FIELDS, SPECIMEN_KEY } from './orders';

const LAB_SEGMENTS = [...HEADER_SEGMENTS, 'SPM', 'SAC', 'ORC', 'TQ1', 'TQ2', 'OBR', 'OBX', 'TCD', 'CTI', 'DG1', 'AL1', 'IN1', 'ZI1'];

/** Both OML^O33 groups of the NHO sample share ORC-2, so a lab order is its number plus its test battery (OBR-4). */
const labOrderKey = { kind: 'service-request', from: [['ORC-2', 'OBR-4'], ['OBR-2', 'OBR-4']], onDuplicate: 'merge' } as const;
const labCategory = { category: [fixedCoding(FHIR_SYSTEM.serviceRequestCategory, '108252007', 'Laboratory procedure')] };

const specimen: ResourceRule = {
  id: 'specimen',
  resourceType: 'Specimen',
  profile: jpProfile('JP_Specimen_Common'),
  anchor: 'SPM',
  key: SPECIMEN_KEY,
  patient: 'subject',
  deleteWhen: isCancelledOrder,
  fields: SPECIMEN_FIELDS,
};

/** The battery order: anchored at OBR in orders, at ORC in results (where ORC follows OBR). */
function labOrder(anchor: 'OBR' | 'ORC'): ResourceRule {
  return {
    id: 'serviceRequest',
    resourceType: 'ServiceRequest',
    profile: jpProfile('JP_ServiceRequest_Common'),
    anchor,
    key: labOrderKey,
    patient: 'subject',
    fixed: { status: 'active', intent: 'order', ...labCategory },
    deleteWhen: isCancelledOrder,
    fields: SERVICE_REQUEST_FIELDS,
    links: [{ to: 'specimen[]', rule: 'specimen' }],
  };
}

export const OML_01: MessageProfile = {
  dataType: 'OML-01',
  groupStarts: ['SPM'],
  segments: LAB_SEGMENTS,
  required: ['PID-3', 'ORC-1', 'ORC-2', 'OBR-4', 'SPM-4'],
  expected: PATIENT_EXPECTED,
  numeric: ['MSH-13'],
  patient: 'stub',
  resources: [
    specimen,
    labOrder('OBR'),
    {
      id: 'requestedItem',
      resourceType: 'ServiceRequest',
      profile: jpProfile('JP_ServiceRequest_Common'),
      anchor: 'OBX',
      key: { kind: 'service-request', from: [['ORC-2', 'OBR-4', 'OBX-3']], onDuplicate: 'merge' },
      patient: 'subject',
      fixed: { status: 'active', intent: 'order', ...labCategory },
      deleteWhen: isCancelledOrder,
      fields: [{ from: 'OBX-3', to: 'code', as: codeableConcept }],
      links: [
        { to: 'basedOn[]', rule: 'serviceRequest' },
        { to: 'specimen[]', rule: 'specimen' },
      ],
    },
  ],
};

export const OML_11: MessageProfile = {
  dataType: 'OML-11',
  groupStarts: ['SPM'],
  segments: LAB_SEGMENTS,
  required: ['PID-3', 'SPM-4', 'OBR-2', 'OBR-4', 'OBX-2', 'OBX-3', 'OBX-11'],
  expected: PATIENT_EXPECTED,
  numeric: ['MSH-13'],
  patient: 'stub',
  resources: [
    specimen,
    labOrder('ORC'),
    {
      id: 'diagnosticReport',
      resourceType: 'DiagnosticReport',
      profile: jpProfile('JP_DiagnosticReport_LabResult'),
      anchor: 'OBR',
      key: { kind: 'diagnostic-report', from: [['OBR-2', 'OBR-4']], onDuplicate: 'merge' },
      patient: 'subject',
      // JP_DiagnosticReport_LabResult fixes its category to LOINC LP29693-6 (Laboratory).
      fixed: { status: 'final', category: [fixedCoding(FHIR_SYSTEM.loinc, 'LP29693-6', 'Laboratory')] },
      deleteWhen: isCancelledOrder,
      fields: DIAGNOSTIC_REPORT_FIELDS,
      links: [
        { to: 'basedOn[]', rule: 'serviceRequest', from: [['OBR-2', 'OBR-4']] },
        { to: 'specimen[]', rule: 'specimen' },
        { to: 'result[]', rule: 'observation', children: true },
      ],
    },
    obrResultObservation('JP_Observation_LabResult', 'laboratory', [
      { to: 'basedOn[]', rule: 'serviceRequest', from: [['OBR-2', 'OBR-4']] },
      { to: 'specimen', rule: 'specimen' },
    ]),
  ],
};
