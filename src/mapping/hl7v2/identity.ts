/**
 * Business identifiers and deterministic bundle ids. Every resource Tonet writes from HL7 v2 carries one key identifier
 * that is unique per sending facility, so a re-sent message updates instead of duplicating
 * (`PUT Type?identifier=system|value`), and its bundle fullUrl is a name-based UUID of that identifier.
 */
import { createHash } from 'node:crypto';
import type { Identifier } from '@medplum/fhirtypes';

/** The kinds of key identifier; each is one system per facility, `urn:tonet:<kind>:<facilityCode>`. */
export type KeyKind =
  | 'patient'
  | 'encounter'
  | 'observation'
  | 'allergy'
  | 'coverage'
  | 'condition'
  | 'medication-request'
  | 'medication-administration'
  | 'nutrition-order'
  | 'service-request'
  | 'specimen'
  | 'diagnostic-report'
  | 'procedure'
  | 'imaging-study';

/** JP Core: 医療機関の患者ID = urn:oid:1.2.392.100495.20.3.51. + "1" + 10-digit 医療機関コード. */
export function patientIdentifierSystem(facilityCode: string): string {
  return `urn:oid:1.2.392.100495.20.3.51.1${facilityCode}`;
}

/** JP Core identifier systems used beside the key identifiers (電子処方箋 OID list). */
export const JP_IDENTIFIER = {
  rpNumber: 'urn:oid:1.2.392.100495.20.3.81',
  orderInRp: 'urn:oid:1.2.392.100495.20.3.82',
  insurerNumber: 'urn:oid:1.2.392.100495.20.3.61',
  /** DICOM UIDs as identifiers: system urn:dicom:uid, value urn:oid:<uid> (FHIR ImagingStudy guidance). */
  dicomUid: 'urn:dicom:uid',
} as const;

export function keySystem(kind: KeyKind, facilityCode: string): string {
  if (kind === 'patient') {
    return patientIdentifierSystem(facilityCode);
  }
  if (kind === 'imaging-study') {
    return JP_IDENTIFIER.dicomUid;
  }
  return `urn:tonet:${kind}:${facilityCode}`;
}

/** Practitioners and locations are referenced by identifier only; their systems are per facility too. */
export function practitionerSystem(facilityCode: string): string {
  return `urn:tonet:practitioner:${facilityCode}`;
}

export function locationSystem(facilityCode: string): string {
  return `urn:tonet:location:${facilityCode}`;
}

export function conditionalUrl(resourceType: string, identifier: Identifier): string {
  return `${resourceType}?identifier=${encodeURIComponent(identifier.system ?? '')}|${encodeURIComponent(identifier.value ?? '')}`;
}

export function identifierQuery(identifier: Identifier): string {
  return `identifier=${encodeURIComponent(identifier.system ?? '')}|${encodeURIComponent(identifier.value ?? '')}`;
}

/** Fixed namespace for Tonet's name-based UUIDs (a random v4 chosen once; changing it changes every fullUrl). */
const TONET_NAMESPACE = '8f0c5f7e-2b1d-4a63-9d0e-6c3b1f4a7e21';

/** RFC 9562 UUID version 5 of `name` in Tonet's namespace. */
export function uuidV5(name: string): string {
  const namespace = Buffer.from(TONET_NAMESPACE.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function fullUrlFor(resourceType: string, identifier: Identifier): string {
  return `urn:uuid:${uuidV5(`${resourceType}|${identifier.system}|${identifier.value}`)}`;
}
