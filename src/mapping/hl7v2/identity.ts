/**
 * Business identifiers and deterministic bundle ids. Every resource Tonet writes from HL7 v2 carries one key identifier
 * that is unique per sending facility, so a re-sent message updates instead of duplicating
 * (`PUT Type?identifier=system|value`), and its bundle fullUrl is a name-based UUID of that identifier.
 */
import type { Identifier } from '@medplum/fhirtypes';
import { facilityPatientIdSystem, uuidV5 } from '../common/ids';

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
  | 'immunization'
  | 'nutrition-order'
  | 'service-request'
  | 'specimen'
  | 'diagnostic-report'
  | 'procedure'
  | 'imaging-study';

/**
 * JP Core 1.2 identifier systems used beside the key identifiers (aliases-jpcore.fsh `//system値`). JP Core 1.1 wrote
 * the same ids under 電子処方箋 OIDs (urn:oid:1.2.392.100495.20.3.81/82/61); a resource mixing releases conforms to neither.
 */
export const JP_IDENTIFIER = {
  rpNumber: 'http://jpfhir.jp/fhir/core/mhlw/IdSystem/Medication-RPGroupNumber',
  orderInRp: 'http://jpfhir.jp/fhir/core/mhlw/IdSystem/MedicationAdministrationIndex',
  insurerNumber: 'http://jpfhir.jp/fhir/core/mhlw/IdSystem/InsurerNumber',
  /** The order (処方オーダ) an instance belongs to: JP_MedicationRequest's requestIdentifier slice, ORC-2. */
  resourceInstance: 'http://jpfhir.jp/fhir/core/IdSystem/resourceInstance-identifier',
  /** DICOM UIDs as identifiers: system urn:dicom:uid, value urn:oid:<uid> (FHIR ImagingStudy guidance). */
  dicomUid: 'urn:dicom:uid',
} as const;

export function keySystem(kind: KeyKind, facilityCode: string): string {
  if (kind === 'patient') {
    return facilityPatientIdSystem(facilityCode);
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

export function identifierQuery(identifier: Identifier): string {
  return `identifier=${encodeURIComponent(identifier.system ?? '')}|${encodeURIComponent(identifier.value ?? '')}`;
}

export function conditionalUrl(resourceType: string, identifier: Identifier): string {
  return `${resourceType}?${identifierQuery(identifier)}`;
}

/** Fixed namespace for Tonet's name-based UUIDs (a random v4 chosen once; changing it changes every fullUrl). */
const TONET_NAMESPACE = '8f0c5f7e-2b1d-4a63-9d0e-6c3b1f4a7e21';

export function fullUrlFor(resourceType: string, identifier: Identifier): string {
  return `urn:uuid:${uuidV5(`${resourceType}|${identifier.system}|${identifier.value}`, TONET_NAMESPACE)}`;
}
