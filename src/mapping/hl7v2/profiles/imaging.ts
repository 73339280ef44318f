/**
 * Radiology (JJ1017), endoscopy (LENDO) and physiology (JLAC10 9Axxx) orders and results.
 * OMG-01/02/03 (OMG^O19) → ServiceRequest per ORC/OBR (the NW and PA segments repeat one order and merge; CH children
 *   are based on their parent, ORC-8) and OBX → Observation as supporting information;
 * OMG-11/12 (OMI^Z23) → the same ServiceRequests, ImagingStudy per Study Instance UID (IPC-3) and Procedure per ZE1;
 * OMG-13 (ORU^R01 physiology result) → DiagnosticReport per OBR and Observation per OBX.
 */
import { codeableConcept, dateTime, facilityIdentifier, practitioner, text } from '../converters';
import type { MessageProfile, ResourceRule, Scope } from '../engine';
import { SYSTEM } from '../codesystems';
import { FHIR_SYSTEM, fixedCoding, HEADER_SEGMENTS, isCancelledOrder, jpProfile, PATIENT_EXPECTED } from './common';
import { obrResultObservation, OBSERVATION_RESULT_FIELDS } from './observation';
import { DIAGNOSTIC_REPORT_FIELDS, SERVICE_REQUEST_FIELDS } from './orders';

const IMAGING_SEGMENTS = [...HEADER_SEGMENTS, 'AL1', 'ORC', 'TQ1', 'TQ2', 'OBR', 'OBX', 'IPC', 'ZE1', 'ZE2', 'CTI', 'NTE', 'DG1', 'IN1'];

/** Radiology and endoscopy orders carry their own number in ORC-2; the parent order's number is in ORC-8. */
const orderKey = { kind: 'service-request', from: [['ORC-2'], ['OBR-2']], onDuplicate: 'merge' } as const;

const serviceRequest: ResourceRule = {
  id: 'serviceRequest',
  resourceType: 'ServiceRequest',
  profile: jpProfile('JP_ServiceRequest_Common'),
  anchor: 'OBR',
  key: orderKey,
  patient: 'subject',
  fixed: { status: 'active', intent: 'order' },
  deleteWhen: isCancelledOrder,
  fields: SERVICE_REQUEST_FIELDS,
  links: [{ to: 'basedOn[]', rule: 'serviceRequest', from: [['ORC-8'], ['OBR-29']] }],
};

/**
 * Order-time OBX (weight for contrast media, clinical question) and performed-time OBX (staff, drugs, times), with
 * JP Core's first category slice: imaging for radiology, procedure for endoscopy and physiology.
 */
function supportingObservation(category: 'imaging' | 'procedure'): ResourceRule {
  return {
    id: 'observation',
    resourceType: 'Observation',
    profile: jpProfile('JP_Observation_Common'),
    anchor: 'OBX',
    key: { kind: 'observation', from: [['ORC-2', 'OBX-3']], onDuplicate: 'number' },
    patient: 'subject',
    fixed: { status: 'final', category: [fixedCoding(FHIR_SYSTEM.observationCategory, category)] },
    deleteWhen: isCancelledOrder,
    fields: OBSERVATION_RESULT_FIELDS,
    links: [{ to: 'basedOn[]', rule: 'serviceRequest' }],
  };
}

const ORDER_REQUIRED = ['PID-3', 'ORC-1', 'ORC-2', 'OBR-4'];

function orderProfile(dataType: string, category: 'imaging' | 'procedure'): MessageProfile {
  return {
    dataType,
    groupStarts: ['ORC'],
    segments: IMAGING_SEGMENTS,
    required: ORDER_REQUIRED,
    expected: PATIENT_EXPECTED,
    numeric: ['MSH-13'],
    patient: 'stub',
    resources: [serviceRequest, supportingObservation(category)],
  };
}

export const OMG_01 = orderProfile('OMG-01', 'imaging');
export const OMG_02 = orderProfile('OMG-02', 'procedure');
export const OMG_03 = orderProfile('OMG-03', 'procedure');

const isEndoscopy = (scope: Scope) => scope.value('IPC-5') === 'ES';

function imagingStudy(profile: string, when: (scope: Scope) => boolean): ResourceRule {
  return {
    id: `imagingStudy${profile}`,
    resourceType: 'ImagingStudy',
    profile: jpProfile(profile),
    anchor: 'IPC',
    when,
    key: { kind: 'imaging-study', from: [['IPC-3']], onDuplicate: 'merge', prefix: 'urn:oid:' },
    patient: 'subject',
    fixed: { status: 'available' },
    deleteWhen: isCancelledOrder,
    fields: [
      { from: 'IPC-1', to: 'identifier[]', as: (field) => (field.text() ? { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] }, system: `urn:tonet:accession:${field.scope.facility.code}`, value: field.text() } : undefined) },
      // IPC-5 repeats when a study holds several modalities (CT~SR); each is a DICOM modality code whatever CWE.3 says.
      { from: 'IPC-5', to: 'modality', as: (field) => field.repetitions().filter((repetition) => repetition.text()).map((repetition) => ({ system: SYSTEM.dicom, code: repetition.text() })) },
      { from: 'OBR-7', to: 'started', as: dateTime },
      { from: 'OBR-4', to: 'procedureCode[]', as: codeableConcept },
      { from: 'OBR-32', to: 'interpreter[]', as: practitioner },
    ],
    links: [{ to: 'basedOn[]', rule: 'serviceRequest' }],
  };
}

function performedProfile(dataType: string, category: 'imaging' | 'procedure'): MessageProfile {
  return {
    dataType,
    groupStarts: ['ORC'],
    segments: IMAGING_SEGMENTS,
    required: [...ORDER_REQUIRED, 'IPC-1', 'IPC-3', 'IPC-5'],
    expected: PATIENT_EXPECTED,
    numeric: ['MSH-13'],
    patient: 'stub',
    resources: [
      serviceRequest,
      imagingStudy('JP_ImagingStudy_Radiology', (scope) => !isEndoscopy(scope)),
      imagingStudy('JP_ImagingStudy_Endoscopy', isEndoscopy),
      {
        id: 'procedure',
        resourceType: 'Procedure',
        profile: jpProfile('JP_Procedure'),
        anchor: 'ZE1',
        // ZE1 (JAHIS 実施情報) is one performed item under an order: order number + ZE1-1 set ID.
        key: { kind: 'procedure', from: [['ORC-2', 'ZE1-1']], onDuplicate: 'merge' },
        patient: 'subject',
        fixed: { status: 'completed' },
        deleteWhen: isCancelledOrder,
        fields: [
          { from: 'ZE1-3', to: 'code', as: codeableConcept },
          { from: 'OBR-7', to: 'performedDateTime', as: dateTime },
          { from: 'ZE1-7', to: 'performer[0].actor', as: practitioner },
          { from: 'ORC-2', to: 'identifier[]', as: facilityIdentifier('order') },
        ],
        links: [{ to: 'basedOn[]', rule: 'serviceRequest' }],
      },
      supportingObservation(category),
    ],
  };
}

export const OMG_11 = performedProfile('OMG-11', 'imaging');
export const OMG_12 = performedProfile('OMG-12', 'procedure');

export const OMG_13: MessageProfile = {
  dataType: 'OMG-13',
  groupStarts: ['OBR'],
  segments: [...IMAGING_SEGMENTS, 'SPM'],
  required: ['PID-3', 'OBR-2', 'OBR-4', 'OBX-2', 'OBX-3', 'OBX-11'],
  expected: PATIENT_EXPECTED,
  numeric: ['MSH-13'],
  patient: 'stub',
  resources: [
    {
      id: 'diagnosticReport',
      resourceType: 'DiagnosticReport',
      profile: jpProfile('JP_DiagnosticReport_Common'),
      anchor: 'OBR',
      key: { kind: 'diagnostic-report', from: [['OBR-2', 'OBR-4']], onDuplicate: 'merge' },
      patient: 'subject',
      fixed: { status: 'final' },
      deleteWhen: isCancelledOrder,
      fields: [...DIAGNOSTIC_REPORT_FIELDS, { from: 'OBR-32', to: 'resultsInterpreter[]', as: practitioner }, { from: 'OBR-13', to: 'conclusion', as: text }],
      links: [{ to: 'result[]', rule: 'observation', children: true }],
    },
    obrResultObservation('JP_Observation_Common', 'procedure'),
  ],
};
