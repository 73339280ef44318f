/**
 * How DICOM data finds its FHIR resources. The identifier forms are the ones HL7 v2 mapping writes, so an
 * ImagingStudy created from an OMI^Z23 order and a patient created from ADT are the ones images join.
 */
import type { Identifier } from '@medplum/fhirtypes';
import { facilityPatientIdSystem } from '../mapping/common/ids';
import { identifierQuery, JP_IDENTIFIER } from '../mapping/hl7v2/identity';
import type { SendingFacility } from '../mapping/types';

export { identifierQuery };

/** An ImagingStudy carries its Study Instance UID as `urn:dicom:uid` | `urn:oid:<uid>`. */
export function studyIdentifierQuery(studyInstanceUid: string): string {
  return identifierQuery({ system: JP_IDENTIFIER.dicomUid, value: `urn:oid:${studyInstanceUid}` });
}

/** Patient ID (0010,0020) is the sending facility's patient number (患者番号), the one its HIS sends in PID-3. */
export function facilityPatientIdentifier(facility: SendingFacility, facilityPatientId: string): Identifier {
  return { system: facilityPatientIdSystem(facility.code), value: facilityPatientId };
}
