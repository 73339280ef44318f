/**
 * Lines shared by lab, radiology, endoscopy and physiology orders and results: ORC/OBR → ServiceRequest,
 * SPM → Specimen, OBR → DiagnosticReport (JAMI ConceptMaps segment-oml-11-orc/-obr/-spm).
 */
import type { ServiceRequest } from '@medplum/fhirtypes';
import { codeableConcept, dateTime, facilityIdentifier, instant, lookup, practitioner } from '../converters';
import type { FieldRule, KeyRule } from '../engine';

/** ORC-1 order control → ServiceRequest.status (cancels never get here: they delete). */
const ORDER_CONTROL_STATUS: Record<string, ServiceRequest['status']> = { NW: 'active', PA: 'active', CH: 'active', XO: 'active', SC: 'active', SN: 'active', OK: 'active', HD: 'on-hold', RL: 'active' };
/** ORC-5 order status (HL7 table 0038), when sent, is more precise than ORC-1. */
const ORDER_STATUS: Record<string, ServiceRequest['status']> = { CM: 'completed', IP: 'active', SC: 'active', HD: 'on-hold', CA: 'revoked', DC: 'revoked', A: 'active' };
/** OBR-25 / ORC-5 result status → DiagnosticReport.status. */
const REPORT_STATUS: Record<string, string> = { F: 'final', C: 'corrected', P: 'preliminary', R: 'preliminary', I: 'registered', O: 'registered', S: 'partial', X: 'cancelled', A: 'partial', CM: 'final', IP: 'partial' };

export const SERVICE_REQUEST_FIELDS: FieldRule[] = [
  { from: 'ORC-1', to: 'status', as: lookup(ORDER_CONTROL_STATUS) },
  { from: 'ORC-5', to: 'status', as: lookup(ORDER_STATUS, { silent: true }) },
  { from: 'ORC-2', to: 'identifier[]', as: facilityIdentifier('order') },
  { from: 'ORC-3', to: 'identifier[]', as: facilityIdentifier('filler-order') },
  { from: 'OBR-4', to: 'code', as: codeableConcept },
  { from: 'ORC-9', to: 'authoredOn', as: dateTime },
  // OBR-16 (ordering provider) repeats ORC-12 in JAHIS; ORC-12 wins when both are sent.
  { from: 'OBR-16', to: 'requester', as: practitioner },
  { from: 'ORC-12', to: 'requester', as: practitioner },
  { from: 'OBR-7', to: 'occurrencePeriod.start', as: dateTime },
  { from: 'OBR-8', to: 'occurrencePeriod.end', as: dateTime },
  { from: 'ORC-15', to: 'reasonCode[]', as: codeableConcept },
  { from: 'TQ1-9', to: 'priority', as: lookup({ R: 'routine', S: 'stat', A: 'asap', P: 'routine', T: 'urgent' }) },
];

export const SPECIMEN_KEY: KeyRule = {
  kind: 'specimen',
  // SPM-2 is the specimen number when the lab sends one; orders (OML-01) leave it empty and number specimens by SPM-1.
  // Labs often send one number for every tube of an order (whole blood 019, plasma 022, serum 023), so the JLAC10
  // material (SPM-4) is part of the key: each SPM group is its own Specimen.
  from: [['SPM-2', 'SPM-4'], ['SPM-2'], ['ORC-2', '=spm', 'SPM-1'], ['OBR-2', '=spm', 'SPM-1']],
  onDuplicate: 'merge',
};

export const SPECIMEN_FIELDS: FieldRule[] = [
  { from: 'SPM-4', to: 'type', as: codeableConcept },
  { from: 'SPM-8', to: 'collection.bodySite', as: codeableConcept },
  { from: 'SPM-17', to: 'collection.collectedDateTime', as: dateTime },
];

export const DIAGNOSTIC_REPORT_FIELDS: FieldRule[] = [
  { from: 'OBR-2', to: 'identifier[]', as: facilityIdentifier('order') },
  { from: 'OBR-3', to: 'identifier[]', as: facilityIdentifier('filler-order') },
  { from: 'OBR-4', to: 'code', as: codeableConcept },
  { from: 'OBR-7', to: 'effectiveDateTime', as: dateTime },
  { from: 'OBR-22', to: 'issued', as: instant },
  { from: 'ORC-5', to: 'status', as: lookup(REPORT_STATUS, { silent: true }) },
  { from: 'OBR-25', to: 'status', as: lookup(REPORT_STATUS) },
];
