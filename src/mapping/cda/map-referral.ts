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
  Encounter,
  Organization,
  Patient,
  Practitioner,
  Reference,
} from '@medplum/fhirtypes';
import type { MappingIssue, SendingFacility } from '../types';
import { createEntryCollector, identityKey, type EntryCollector } from './bundle-entries';
import { LOINC_OID } from './code-systems';
import { dateFromTS, dateTimeFromTS } from './datatypes';
import { documentReferenceFor, REFERRAL_LOINC, type OriginalDocument } from './document-reference';
import { headerNarrative, indexNarrative } from './narrative';
import { documentSections, mapDocumentSections, sectionCoding, type MappedSection } from './body-sections';
import { ECS_PROFILE } from './profiles';
import {
  institutionNumberOf,
  organizationFromElement,
  patientFromPatientRole,
  practitionerFromAssigned,
} from './participants';
import { RECIPIENT_SECTION, REMARKS_SECTION_RULE, SECTION_RULES, SENDER_SECTION, STRUCTURED_SECTION } from './sections';
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
const RESOURCE_INSTANCE_SYSTEM = 'http://jpfhir.jp/fhir/core/IdSystem/resourceInstance-identifier';
/** JP_Composition_eReferral fixes the title and the issue event's text. */
const TITLE = '診療情報提供書';
const ISSUE_EVENT_TEXT = '診療情報提供書発行';
const ACT_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const ENCOUNTER_CLASS: Readonly<Record<string, Coding>> = {
  AMB: { system: ACT_CODE_SYSTEM, code: 'AMB', display: '外来' },
  IMP: { system: ACT_CODE_SYSTEM, code: 'IMP', display: '入院' },
};
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
  const visit = visitOf(root, collector, patientReference);
  const narrative = indexNarrative(root);
  const structuredBody = descend(root, 'component', 'structuredBody');
  const body = structuredBody
    ? mapDocumentSections(structuredBody, { patient: patientReference, narrative, collector, institutionNumber: facility.code }, [...SECTION_RULES, REMARKS_SECTION_RULE])
    : { sections: [], issues: [] };
  issues.push(...body.issues);
  if (!structuredBody) {
    issues.push({
      severity: 'warning',
      code: '101',
      segment: `${root.path}/component/structuredBody`,
      message: `${root.path}/component has no structuredBody; the body is kept only in the DocumentReference`,
    });
  }

  const purpose = purposeEncounter(body.sections, collector, patientReference);
  const year = effectiveTime.slice(0, 4);
  // JP-CLINS document id: 医療機関コード^発行年^文書番号, as the bundle's.
  const documentNumber = `${facility.code}^${year}^${documentIdentifier?.value ?? documentUri}`;
  const composition = compositionFor(root, effectiveTime, documentNumber, patientReference, visit, participants, body.sections, purpose, header, facility, issues);
  collector.add(composition, 'composition');
  const bundle: Bundle = {
    resourceType: 'Bundle',
    meta: { profile: ['http://jpfhir.jp/fhir/clins/StructureDefinition/JP_Bundle_eReferral'] },
    identifier: { system: BUNDLE_IDENTIFIER_SYSTEM, value: documentNumber },
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

/** componentOf/encompassingEncounter: the visit the letter was written at (Composition.encounter). */
function visitOf(root: XmlElement, collector: EntryCollector, patient: Reference<Patient>): Reference<Encounter> | undefined {
  const encounter = descend(root, 'componentOf', 'encompassingEncounter');
  const encounterClass = ENCOUNTER_CLASS[attribute(child(encounter, 'code'), 'code') ?? ''];
  if (!encounterClass) return undefined;
  const time = child(encounter, 'effectiveTime');
  const start = dateTimeFromTS(attribute(child(time, 'low'), 'value') ?? attribute(time, 'value'));
  const end = dateTimeFromTS(attribute(child(time, 'high'), 'value'));
  const visit: Encounter = {
    resourceType: 'Encounter',
    meta: { profile: [ECS_PROFILE.Encounter] },
    // An outpatient visit is over once its letter is written; a stay without a discharge date is not.
    status: encounterClass.code === 'AMB' || end ? 'finished' : 'in-progress',
    class: encounterClass,
    subject: patient,
    ...(start || end ? { period: { ...(start ? { start } : {}), ...(end ? { end } : {}) } } : {}),
  };
  return collector.add(visit, 'encompassingEncounter');
}

/**
 * 紹介目的 (950): the IG references an Encounter for the visit asked of the receiving facility, its reason in
 * reasonCode.text. A CDA letter states the purpose in words only, so the text is the section's narrative; the visit
 * asked for is an outpatient one (a 紹介状 is presented at the receiving facility's outpatient desk).
 */
function purposeEncounter(sections: MappedSection[], collector: EntryCollector, patient: Reference<Patient>): Reference<Encounter> | undefined {
  const reason = sections.filter((mapped) => mapped.rule.clinsCode === '950' && mapped.plainText).map((mapped) => mapped.plainText).join(' ');
  if (!reason) return undefined;
  const requested: Encounter = {
    resourceType: 'Encounter',
    meta: { profile: [ECS_PROFILE.Encounter] },
    status: 'planned',
    class: ENCOUNTER_CLASS.AMB,
    subject: patient,
    reasonCode: [{ text: reason }],
  };
  return collector.add(requested, 'referralPurpose');
}

function compositionFor(
  root: XmlElement,
  effectiveTime: string,
  documentNumber: string,
  patient: Reference<Patient>,
  visit: Reference<Encounter> | undefined,
  participants: HeaderParticipants,
  bodySections: MappedSection[],
  purpose: Reference<Encounter> | undefined,
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
  const structured = documentSections(SECTION_RULES, bodySections, new Map(purpose ? [['950', [purpose]]] : []));
  const remarks = documentSections([REMARKS_SECTION_RULE], bodySections);
  const sections: CompositionSection[] = [
    headerSection(SENDER_SECTION, participants.senderLines, [participants.authorOrganization, participants.authorPractitioner]),
    ...(participants.recipientLines.length > 0
      ? [headerSection(RECIPIENT_SECTION, participants.recipientLines, [participants.recipientOrganization, participants.recipientPractitioner])]
      : []),
    { title: STRUCTURED_SECTION.title, code: { coding: [sectionCoding(STRUCTURED_SECTION)] }, section: structured },
    ...remarks,
  ];
  const issueDate = dateFromTS(attribute(child(root, 'effectiveTime'), 'value'));
  return {
    resourceType: 'Composition',
    meta: { profile: ['http://jpfhir.jp/fhir/eReferral/StructureDefinition/JP_Composition_eReferral'] },
    ...(versionNumber ? { extension: [{ url: VERSION_NUMBER_URL, valueString: versionNumber }] } : {}),
    ...(header.language ? { language: header.language } : {}),
    identifier: { system: RESOURCE_INSTANCE_SYSTEM, value: documentNumber },
    status: 'final',
    type: { coding: [DOC_TYPE_CODING] },
    ...(subtype ? { category: [{ coding: [subtype] }] } : {}),
    subject: patient,
    ...(visit ? { encounter: visit } : {}),
    date: effectiveTime,
    // Without a CDA author, the facility that sent the letter is the only author we know.
    author: authors.length > 0 ? authors : [{ reference: facility.organizationReference }],
    title: TITLE,
    ...(confidentiality ? { confidentiality: confidentiality as Composition['confidentiality'] } : {}),
    ...(participants.legalAuthenticator
      ? { attester: [{ mode: 'legal', party: participants.legalAuthenticator, ...(participants.legalAuthenticationTime ? { time: participants.legalAuthenticationTime } : {}) }] }
      : {}),
    ...(participants.custodian ? { custodian: participants.custodian } : {}),
    ...(issueDate ? { event: [{ code: [{ text: ISSUE_EVENT_TEXT }], period: { start: issueDate } }] } : {}),
    section: sections,
  };
}

function headerSection(
  section: { clinsCode: string; display: string; title: string },
  lines: string[],
  references: (Reference | undefined)[],
): CompositionSection {
  const entry = references.filter((reference): reference is Reference => !!reference);
  return {
    title: section.title,
    code: { coding: [sectionCoding(section)] },
    text: headerNarrative(lines.length > 0 ? lines : [section.title]),
    ...(entry.length > 0 ? { entry } : {}),
  };
}
