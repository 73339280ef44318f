/**
 * CDA header participants → Patient, Practitioner and Organization: recordTarget/patientRole,
 * author/assignedAuthor, custodian, informationRecipient/intendedRecipient, legalAuthenticator/assignedEntity.
 */
import type { Identifier, Organization, Patient, Practitioner } from '@medplum/fhirtypes';
import { facilityPatientIdSystem } from '../common/ids';
import type { MappingIssue, SendingFacility } from '../types';
import {
  addressesFromADs,
  contactPointsFromTELs,
  dateFromTS,
  humanNamesFromPNs,
  identifiersFromIIs,
} from './datatypes';
import { attribute, children, child, textContent, type XmlElement } from './xml';

const JP_CORE = 'http://jpfhir.jp/fhir/core/StructureDefinition';

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
  const patient: Patient = {
    resourceType: 'Patient',
    meta: { profile: [`${JP_CORE}/JP_Patient`] },
    // The facility's own id first: it is the one the rest of Tonet looks patients up by.
    identifier: facilityPatientId ? [facilityPatientId, ...identifiers.filter((id) => id !== facilityPatientId)] : identifiers,
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
    meta: { profile: [`${JP_CORE}/JP_Practitioner`] },
    ...(identifiers.length > 0 ? { identifier: identifiers } : {}),
    ...(names.length > 0 ? { name: names } : {}),
    ...(telecoms.length > 0 ? { telecom: telecoms } : {}),
  };
}

const INSTITUTION_NUMBER_SYSTEM = 'http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no';
/** The three parts of the 10-digit 医療機関コード as the JAHIS / ePrescription documents send them. */
const PREFECTURE_OID = 'urn:oid:1.2.392.100495.20.3.21';
const FEE_SCORE_TYPE_OID = 'urn:oid:1.2.392.100495.20.3.22';
const INSTITUTION_OID = 'urn:oid:1.2.392.100495.20.3.23';

/** representedOrganization, representedCustodianOrganization, receivedOrganization. */
export function organizationFromElement(organization: XmlElement | undefined): Organization | undefined {
  if (!organization) return undefined;
  const identifiers = identifiersFromIIs(children(organization, 'id'));
  const name = textContent(child(organization, 'name'));
  if (identifiers.length === 0 && !name) return undefined;
  const institutionNumber = composeInstitutionNumber(identifiers);
  const telecoms = contactPointsFromTELs(children(organization, 'telecom'));
  const addresses = addressesFromADs(children(organization, 'addr'));
  return {
    resourceType: 'Organization',
    meta: { profile: [`${JP_CORE}/JP_Organization`] },
    identifier: institutionNumber ? [{ system: INSTITUTION_NUMBER_SYSTEM, value: institutionNumber }, ...identifiers] : identifiers,
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

