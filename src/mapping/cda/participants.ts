/**
 * CDA header participants → Patient, Practitioner and Organization: recordTarget/patientRole,
 * author/assignedAuthor, custodian, informationRecipient/intendedRecipient, legalAuthenticator/assignedEntity.
 */
import type { Extension, Identifier, Organization, Patient, Practitioner } from '@medplum/fhirtypes';
import { facilityPatientIdSystem } from '../common/ids';
import type { MappingIssue, SendingFacility } from '../types';
import {
  addressesFromADs,
  contactPointsFromTELs,
  dateFromTS,
  humanNamesFromPNs,
  identifiersFromIIs,
} from './datatypes';
import { ECS_PROFILE, INSTITUTION_NUMBER_SYSTEM } from './profiles';
import { attribute, children, child, textContent, type XmlElement } from './xml';

const GENDER: Readonly<Record<string, Patient['gender']>> = { M: 'male', F: 'female', UN: 'unknown' };

export function patientFromPatientRole(
  patientRole: XmlElement,
  facility: SendingFacility,
): { patient: Patient; facilityPatientId?: Identifier; issues: MappingIssue[] } {
  const issues: MappingIssue[] = [];
  const identifiers = identifiersFromIIs(children(patientRole, 'id'));
  const facilitySystem = facilityPatientIdSystem(facility.code);
  const facilityPatientId = identifiers.find((identifier) => identifier.system === facilitySystem);
  if (!facilityPatientId) {
    issues.push({
      severity: 'warning',
      code: '101',
      segment: `${patientRole.path}/id`,
      message: `no patient id with root ${facilitySystem.slice('urn:oid:'.length)} (the sending facility's patient ids) in ${patientRole.path}/id`,
    });
  }
  const person = child(patientRole, 'patient');
  const genderCode = attribute(child(person, 'administrativeGenderCode'), 'code');
  const gender = genderCode ? GENDER[genderCode] : undefined;
  if (genderCode && !gender) {
    issues.push({
      severity: 'warning',
      code: '103',
      segment: `${patientRole.path}/patient/administrativeGenderCode`,
      message: `administrativeGenderCode "${genderCode}" is not M, F or UN`,
    });
  }
  const birthDate = dateFromTS(attribute(child(person, 'birthTime'), 'value'));
  const names = humanNamesFromPNs(children(person, 'name'));
  const addresses = addressesFromADs(children(patientRole, 'addr'));
  const telecoms = contactPointsFromTELs(children(patientRole, 'telecom'));
  // JP_Patient_eCS holds one patient number, the issuing facility's (beside the insured-person id the CDA header
  // does not carry); the numbers other facilities gave the patient stay in the original document.
  const otherIds = facilityPatientId ? identifiers.filter((id) => id !== facilityPatientId) : [];
  if (otherIds.length > 0) {
    issues.push({
      severity: 'warning',
      code: '103',
      segment: `${patientRole.path}/id`,
      message: `patient ids of other facilities (${otherIds.map((id) => id.system).join(', ')}) kept only in the original document: JP_Patient_eCS holds the sending facility's`,
    });
  }
  const patient: Patient = {
    resourceType: 'Patient',
    meta: { profile: [ECS_PROFILE.Patient] },
    identifier: facilityPatientId ? [facilityPatientId] : identifiers,
    ...(names.length > 0 ? { name: names } : {}),
    ...(telecoms.length > 0 ? { telecom: telecoms } : {}),
    ...(gender ? { gender } : {}),
    ...(birthDate ? { birthDate } : {}),
    ...(addresses.length > 0 ? { address: addresses } : {}),
  };
  return { patient, facilityPatientId, issues };
}

/**
 * A person acting for an organization (assignedAuthor, assignedEntity, intendedRecipient).
 * `personElement` is where the name lives: assignedPerson, or informationRecipient for recipients.
 */
export function practitionerFromAssigned(assigned: XmlElement | undefined, personElement: string): Practitioner | undefined {
  if (!assigned) return undefined;
  const identifiers = identifiersFromIIs(children(assigned, 'id'));
  const names = humanNamesFromPNs(children(child(assigned, personElement), 'name'));
  if (identifiers.length === 0 && names.length === 0) return undefined;
  const telecoms = contactPointsFromTELs(children(assigned, 'telecom'));
  return {
    resourceType: 'Practitioner',
    meta: { profile: [ECS_PROFILE.Practitioner] },
    ...(identifiers.length > 0 ? { identifier: identifiers } : {}),
    ...(names.length > 0 ? { name: names } : {}),
    ...(telecoms.length > 0 ? { telecom: telecoms } : {}),
  };
}

/** The three parts of the 10-digit 医療機関コード as the JAHIS / ePrescription documents send them. */
const PREFECTURE_OID = 'urn:oid:1.2.392.100495.20.3.21';
const FEE_SCORE_TYPE_OID = 'urn:oid:1.2.392.100495.20.3.22';
const INSTITUTION_OID = 'urn:oid:1.2.392.100495.20.3.23';
const JP_CORE_EXTENSION = 'http://jpfhir.jp/fhir/core/Extension/StructureDefinition';

/** Each part → the JP Core Organization extension that carries it (as the CLINS example organizations do). */
const INSTITUTION_PART_EXTENSIONS: readonly { oid: string; extension: (value: string) => Extension }[] = [
  {
    oid: PREFECTURE_OID,
    extension: (code) => ({ url: `${JP_CORE_EXTENSION}/JP_Organization_PrefectureNo`, valueCoding: { system: 'http://jpfhir.jp/fhir/core/mhlw/CodeSystem/PrefectureNo-2digits', code } }),
  },
  {
    oid: FEE_SCORE_TYPE_OID,
    extension: (code) => ({ url: `${JP_CORE_EXTENSION}/JP_Organization_InsuranceOrganizationCategory`, valueCoding: { system: 'http://jpfhir.jp/fhir/core/mhlw/CodeSystem/MedicationFeeScoreType', code } }),
  },
  {
    oid: INSTITUTION_OID,
    extension: (value) => ({ url: `${JP_CORE_EXTENSION}/JP_Organization_InsuranceOrganizationNo`, valueIdentifier: { system: 'http://jpfhir.jp/fhir/core/mhlw/IdSystem/MedicalOrganizationID', value } }),
  },
];

/** representedOrganization, representedCustodianOrganization, receivedOrganization. */
export function organizationFromElement(organization: XmlElement | undefined): Organization | undefined {
  if (!organization) return undefined;
  const identifiers = identifiersFromIIs(children(organization, 'id'));
  const name = textContent(child(organization, 'name'));
  if (identifiers.length === 0 && !name) return undefined;
  const institutionNumber = composeInstitutionNumber(identifiers);
  const telecoms = contactPointsFromTELs(children(organization, 'telecom'));
  const addresses = addressesFromADs(children(organization, 'addr'));
  const partExtensions = INSTITUTION_PART_EXTENSIONS.flatMap(({ oid, extension }) => {
    const value = identifiers.find((identifier) => identifier.system === oid)?.value;
    return value ? [extension(value)] : [];
  });
  const partOids = new Set(INSTITUTION_PART_EXTENSIONS.map(({ oid }) => oid));
  const otherIdentifiers = identifiers.filter((identifier) => !partOids.has(identifier.system ?? ''));
  return {
    resourceType: 'Organization',
    meta: { profile: [ECS_PROFILE.Organization] },
    ...(partExtensions.length > 0 ? { extension: partExtensions } : {}),
    identifier: institutionNumber ? [{ system: INSTITUTION_NUMBER_SYSTEM, value: institutionNumber }, ...otherIdentifiers] : otherIdentifiers,
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'prov' }] }],
    ...(name ? { name } : {}),
    ...(telecoms.length > 0 ? { telecom: telecoms } : {}),
    ...(addresses.length > 0 ? { address: addresses } : {}),
  };
}

/** 都道府県番号 (2) + 点数表番号 (1) + 医療機関コード (7) = the 10-digit number JP Core identifies facilities by. */
function composeInstitutionNumber(identifiers: Identifier[]): string | undefined {
  const valueOf = (system: string): string | undefined => identifiers.find((identifier) => identifier.system === system)?.value;
  const parts = [valueOf(PREFECTURE_OID), valueOf(FEE_SCORE_TYPE_OID), valueOf(INSTITUTION_OID)];
  const composed = parts.every((part) => part !== undefined) ? parts.join('') : undefined;
  return composed && /^\d{10}$/.test(composed) ? composed : undefined;
}

export function institutionNumberOf(organization: Organization): string | undefined {
  return organization.identifier?.find((identifier) => identifier.system === INSTITUTION_NUMBER_SYSTEM)?.value;
}

