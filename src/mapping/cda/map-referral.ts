/**
 * HL7 CDA R2 診療情報提供書 (referral letter; HL7 Japan HL7J-CDA-001, JAHIS header) → FHIR document Bundle
 * in the JP-CLINS eReferral shape, plus a DocumentReference holding the original XML.
 * Pure: the same XML and facility always give the same output (ids are name-based UUIDs, no clock is read).
 */
import type {
  Bundle,
  Coding,
  Composition,
  CompositionSection,
  Identifier,
  Organization,
  Patient,
  Practitioner,
  Reference,
} from '@medplum/fhirtypes';
import type { MappingIssue, SendingFacility } from '../types';
import { createEntryCollector, identityKey, type EntryCollector } from './bundle-entries';
import { LOINC_OID } from './code-systems';
import { dateTimeFromTS } from './datatypes';
import { documentReferenceFor, REFERRAL_LOINC, type OriginalDocument } from './document-reference';
import { generatedNarrative, indexNarrative } from './narrative';
import { mapBodySections } from './body-sections';
import {
  institutionNumberOf,
  organizationFromElement,
  patientFromPatientRole,
  practitionerFromAssigned,
} from './participants';
import { CLINS_SECTION_SYSTEM, RECIPIENT_SECTION, SENDER_SECTION, STRUCTURED_SECTION } from './sections';
import { openClinicalDocument, type CdaDocumentResult, type DocumentKind } from './open-document';
import { attribute, child, descend, type XmlElement } from './xml';

export type CdaReferralResult = CdaDocumentResult;

const JMIX_OID = '1.2.392.200119.5.3.1';
/** ClinicalDocument/code values that mean 診療情報提供書: JMIX MD0020730 (NHO extended storage) or LOINC 57133-1. */
const REFERRAL_DOCUMENT_CODES: ReadonlySet<string> = new Set([`${JMIX_OID}|MD0020730`, `${LOINC_OID}|57133-1`]);

const DOC_TYPE_CODING: Coding = { system: 'http://jpfhir.jp/fhir/Common/CodeSystem/doc-typecodes', code: '57133-1', display: '診療情報提供書' };
const DOC_SUBTYPE_SYSTEM = 'http://jpfhir.jp/fhir/Common/CodeSystem/doc-subtypecodes';
/** encompassingEncounter class (HL7 v3 ActCode) → JP-CLINS document sub-type. */
const DOC_SUBTYPE_BY_ENCOUNTER: Readonly<Record<string, Coding>> = {
  AMB: { system: DOC_SUBTYPE_SYSTEM, code: 'OUTPATIENT', display: '外来文書' },
  IMP: { system: DOC_SUBTYPE_SYSTEM, code: 'INPATIENT', display: '入院中文書' },
};

const BUNDLE_IDENTIFIER_SYSTEM = 'http://jpfhir.jp/fhir/clins/bundle-identifier';
const VERSION_NUMBER_URL = 'http://hl7.org/fhir/StructureDefinition/composition-clinicaldocument-versionNumber';

const REFERRAL: DocumentKind = { name: '診療情報提供書', codes: REFERRAL_DOCUMENT_CODES, codesText: 'JMIX MD0020730 or LOINC 57133-1', loinc: REFERRAL_LOINC };

export function mapCdaReferral(xml: string, facility: SendingFacility): CdaReferralResult {
  const opened = openClinicalDocument(xml, facility, REFERRAL);
  if ('rejected' in opened) return opened.rejected;
  const { root, patientRole, effectiveTime, header, documentUri } = opened;
  const issues: MappingIssue[] = [...opened.issues];
  const documentIdentifier = header.masterIdentifier;
  const collector = createEntryCollector(documentUri);

  const mappedPatient = patientFromPatientRole(patientRole, facility);
  issues.push(...mappedPatient.issues);
  const patientReference = collector.add(mappedPatient.patient, 'recordTarget');

  const participants = headerParticipants(root, collector, facility, issues);
  const narrative = indexNarrative(root);
  const structuredBody = descend(root, 'component', 'structuredBody');
  const body = structuredBody ? mapBodySections(structuredBody, { patient: patientReference, narrative, collector }) : { sections: [], issues: [] };
  issues.push(...body.issues);
  if (!structuredBody) {
    issues.push({
      severity: 'warning',
      code: '101',
      segment: `${root.path}/component/structuredBody`,
      message: `${root.path}/component has no structuredBody; the body is kept only in the DocumentReference`,
    });
  }

  const composition = compositionFor(root, effectiveTime, patientReference, participants, body.sections, header, facility, issues);
  collector.add(composition, 'composition');
  const year = effectiveTime.slice(0, 4);
  const bundle: Bundle = {
    resourceType: 'Bundle',
    meta: { profile: ['http://jpfhir.jp/fhir/clins/StructureDefinition/JP_Bundle_eReferral'] },
    // JP-CLINS bundle identifier: 医療機関コード^年^文書ID.
    identifier: { system: BUNDLE_IDENTIFIER_SYSTEM, value: `${facility.code}^${year}^${documentIdentifier?.value ?? documentUri}` },
    type: 'document',
    timestamp: header.date ?? effectiveTime,
    entry: collector.entries(),
  };
  const documentReference = documentReferenceFor(
    {
      xml,
      ...header,
      ...(mappedPatient.facilityPatientId ? { subject: { identifier: mappedPatient.facilityPatientId, type: 'Patient' } } : {}),
    },
    facility,
  );
  return { bundle, documentReference, issues };
}

export interface HeaderParticipants {
  authorPractitioner?: Reference<Practitioner>;
  authorOrganization?: Reference<Organization>;
  custodian?: Reference<Organization>;
  recipientPractitioner?: Reference<Practitioner>;
  recipientOrganization?: Reference<Organization>;
  legalAuthenticator?: Reference<Practitioner>;
  legalAuthenticationTime?: string;
  senderLines: string[];
  recipientLines: string[];
}

/** `namesRecipient`: the document is addressed to someone (a referral letter's 紹介先), whose absence is reported. */
export function headerParticipants(root: XmlElement, collector: EntryCollector, facility: SendingFacility, issues: MappingIssue[], namesRecipient = true): HeaderParticipants {
  const addPractitioner = (practitioner: Practitioner | undefined): Reference<Practitioner> | undefined =>
    practitioner && collector.add(practitioner, identityKey(practitioner.identifier, practitioner.name?.[0]?.text ?? ''));
  const addOrganization = (organization: Organization | undefined): Reference<Organization> | undefined =>
    organization && collector.add(organization, identityKey(organization.identifier, organization.name ?? ''));

  const assignedAuthor = descend(root, 'author', 'assignedAuthor');
  if (!assignedAuthor) {
    issues.push({ severity: 'warning', code: '101', segment: `${root.path}/author`, message: `${root.path}/author/assignedAuthor is missing` });
  }
  const authorPractitioner = practitionerFromAssigned(assignedAuthor, 'assignedPerson');
  const authorOrganization = organizationFromElement(descend(assignedAuthor, 'representedOrganization'));
  const authorInstitution = authorOrganization && institutionNumberOf(authorOrganization);
  if (authorInstitution && authorInstitution !== facility.code) {
    issues.push({
      severity: 'warning',
      code: '103',
      segment: `${root.path}/author/assignedAuthor/representedOrganization/id`,
      message: `the author's institution ${authorInstitution} is not the sending facility ${facility.code}`,
    });
  }
  const custodianOrganization = organizationFromElement(
    descend(root, 'custodian', 'assignedCustodian', 'representedCustodianOrganization'),
  );
  const intendedRecipient = descend(root, 'informationRecipient', 'intendedRecipient');
  if (!intendedRecipient && namesRecipient) {
    issues.push({
      severity: 'warning',
      code: '101',
      segment: `${root.path}/informationRecipient`,
      message: `${root.path}/informationRecipient/intendedRecipient is missing: the letter names no receiving facility (紹介先)`,
    });
  }
  const recipientPractitioner = practitionerFromAssigned(intendedRecipient, 'informationRecipient');
  const recipientOrganization = organizationFromElement(descend(intendedRecipient, 'receivedOrganization'));
  const legalAuthenticator = descend(root, 'legalAuthenticator');
  const legalPractitioner = practitionerFromAssigned(child(legalAuthenticator, 'assignedEntity'), 'assignedPerson');
  const legalAuthenticationTime = dateTimeFromTS(attribute(child(legalAuthenticator, 'time'), 'value'));

  return {
    authorPractitioner: addPractitioner(authorPractitioner),
    authorOrganization: addOrganization(authorOrganization),
    custodian: addOrganization(custodianOrganization),
    recipientPractitioner: addPractitioner(recipientPractitioner),
    recipientOrganization: addOrganization(recipientOrganization),
    legalAuthenticator: addPractitioner(legalPractitioner),
    ...(legalAuthenticationTime ? { legalAuthenticationTime } : {}),
    senderLines: [authorOrganization?.name, authorPractitioner?.name?.[0]?.text].filter((line): line is string => !!line),
    recipientLines: [recipientOrganization?.name, recipientPractitioner?.name?.[0]?.text].filter((line): line is string => !!line),
  };
}

function compositionFor(
  root: XmlElement,
  effectiveTime: string,
  patient: Reference<Patient>,
  participants: HeaderParticipants,
  bodySections: CompositionSection[],
  header: Partial<OriginalDocument>,
  facility: SendingFacility,
  issues: MappingIssue[],
): Composition {
  const encounterClass = attribute(descend(root, 'componentOf', 'encompassingEncounter', 'code'), 'code');
  const subtype = encounterClass ? DOC_SUBTYPE_BY_ENCOUNTER[encounterClass] : undefined;
  if (!subtype) {
    issues.push({
      severity: 'warning',
      code: encounterClass ? '103' : '101',
      segment: `${root.path}/componentOf/encompassingEncounter/code`,
      message: `no document sub-type (外来/入院): encompassingEncounter code is ${encounterClass ?? 'missing'}, expected AMB or IMP`,
    });
  }
  const versionNumber = attribute(child(root, 'versionNumber'), 'value');
  const confidentiality = attribute(child(root, 'confidentialityCode'), 'code');
  const authors: Reference<Practitioner | Organization>[] = [];
  if (participants.authorPractitioner) authors.push(participants.authorPractitioner);
  if (participants.authorOrganization) authors.push(participants.authorOrganization);
  const sections: CompositionSection[] = [
    headerSection(SENDER_SECTION, participants.senderLines, [participants.authorOrganization, participants.authorPractitioner]),
    ...(participants.recipientLines.length > 0
      ? [headerSection(RECIPIENT_SECTION, participants.recipientLines, [participants.recipientOrganization, participants.recipientPractitioner])]
      : []),
    ...(bodySections.length > 0 ? [{ ...clinsSection(STRUCTURED_SECTION), section: bodySections }] : []),
  ];
  const identifier: Identifier | undefined = header.masterIdentifier;
  return {
    resourceType: 'Composition',
    meta: { profile: ['http://jpfhir.jp/fhir/eReferral/StructureDefinition/JP_Composition_eReferral'] },
    ...(versionNumber ? { extension: [{ url: VERSION_NUMBER_URL, valueString: versionNumber }] } : {}),
    ...(header.language ? { language: header.language } : {}),
    ...(identifier ? { identifier } : {}),
    status: 'final',
    type: { coding: [DOC_TYPE_CODING] },
    ...(subtype ? { category: [{ coding: [subtype] }] } : {}),
    subject: patient,
    date: effectiveTime,
    // Without a CDA author, the facility that sent the letter is the only author we know.
    author: authors.length > 0 ? authors : [{ reference: facility.organizationReference }],
    title: header.title ?? '診療情報提供書',
    ...(confidentiality ? { confidentiality: confidentiality as Composition['confidentiality'] } : {}),
    ...(participants.legalAuthenticator
      ? { attester: [{ mode: 'legal', party: participants.legalAuthenticator, ...(participants.legalAuthenticationTime ? { time: participants.legalAuthenticationTime } : {}) }] }
      : {}),
    ...(participants.custodian ? { custodian: participants.custodian } : {}),
    section: sections,
  };
}

function clinsSection(section: { clinsCode: string; display: string; title: string }): CompositionSection {
  return { title: section.title, code: { coding: [{ system: CLINS_SECTION_SYSTEM, code: section.clinsCode, display: section.display }] } };
}

function headerSection(
  section: { clinsCode: string; display: string; title: string },
  lines: string[],
  references: (Reference | undefined)[],
): CompositionSection {
  const entry = references.filter((reference): reference is Reference => !!reference);
  return {
    ...clinsSection(section),
    text: generatedNarrative(lines.length > 0 ? lines : [section.title]),
    ...(entry.length > 0 ? { entry } : {}),
  };
}
