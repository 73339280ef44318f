/**
 * HL7 CDA R2 退院時サマリー (discharge summary, LOINC 18842-5) → FHIR document Bundle in the JP-CLINS
 * eDischargeSummary shape (JP_Bundle_eDischargeSummary, JP_Composition_eDischargeSummary), plus a DocumentReference
 * holding the original XML. Built as the referral letter is (map-referral.ts): the same header checks, patient,
 * author, custodian and entries; what differs is the IG's: a fixed title and category (DISCHARGE), the stay as
 * `event.period` and as the bundle's Encounter, and its own sub-sections of 構造情報 (300), the required ones always
 * present (with an empty reason where the summary has none).
 * Pure: the same XML and facility always give the same output.
 */
import type { Bundle, Coding, Composition, CompositionSection, Encounter, Organization, Patient, Practitioner, Reference } from '@medplum/fhirtypes';
import type { MappingIssue, SendingFacility } from '../types';
import { documentSections, mapDocumentSections, sectionCoding } from './body-sections';
import { createEntryCollector, type EntryCollector } from './bundle-entries';
import { LOINC_OID } from './code-systems';
import { dateFromTS } from './datatypes';
import { documentReferenceFor } from './document-reference';
import { headerParticipants } from './map-referral';
import { indexNarrative } from './narrative';
import { openClinicalDocument, type CdaDocumentResult, type DocumentKind } from './open-document';
import { patientFromPatientRole } from './participants';
import { DISCHARGE_SECTION_RULES, STRUCTURED_SECTION } from './sections';
import { attribute, child, descend, type XmlElement } from './xml';

const DISCHARGE_LOINC: Coding = { system: 'http://loinc.org', code: '18842-5', display: 'Discharge summary' };
const DISCHARGE: DocumentKind = { name: '退院時サマリー', codes: new Set([`${LOINC_OID}|18842-5`]), codesText: 'LOINC 18842-5', loinc: DISCHARGE_LOINC };

const TITLE = '退院時サマリー';
const DOC_TYPE_CODING: Coding = { system: 'http://jpfhir.jp/fhir/Common/CodeSystem/doc-typecodes', code: '18842-5', display: TITLE };
const DISCHARGE_CATEGORY: Coding = { system: 'http://jpfhir.jp/fhir/Common/CodeSystem/doc-subtypecodes', code: 'DISCHARGE', display: '退院時文書' };
const BUNDLE_IDENTIFIER_SYSTEM = 'http://jpfhir.jp/fhir/clins/bundle-identifier';
const RESOURCE_INSTANCE_SYSTEM = 'http://jpfhir.jp/fhir/core/IdSystem/resourceInstance-identifier';
const VERSION_NUMBER_URL = 'http://hl7.org/fhir/StructureDefinition/composition-clinicaldocument-versionNumber';
/** The sections the IG has reference the stay's Encounter (入院時詳細, 入院理由, 退院時詳細). */
const STAY_SECTIONS = new Set(['322', '312', '324']);

export const PROFILE = {
  bundle: 'http://jpfhir.jp/fhir/clins/StructureDefinition/JP_Bundle_eDischargeSummary',
  composition: 'http://jpfhir.jp/fhir/eDischargeSummary/StructureDefinition/JP_Composition_eDischargeSummary',
} as const;

export function mapCdaDischargeSummary(xml: string, facility: SendingFacility): CdaDocumentResult {
  const opened = openClinicalDocument(xml, facility, DISCHARGE);
  if ('rejected' in opened) return opened.rejected;
  const { root, patientRole, effectiveTime, header, documentUri } = opened;
  const issues: MappingIssue[] = [...opened.issues];
  const collector = createEntryCollector(documentUri);

  const mappedPatient = patientFromPatientRole(patientRole, facility);
  issues.push(...mappedPatient.issues);
  const patient = collector.add(mappedPatient.patient, 'recordTarget');
  // A discharge summary is addressed to no one in particular.
  const participants = headerParticipants(root, collector, facility, issues, false);
  const stay = stayOf(root, collector, patient, issues);

  const structuredBody = descend(root, 'component', 'structuredBody');
  const body = structuredBody
    ? mapDocumentSections(structuredBody, { patient, narrative: indexNarrative(root), collector, institutionNumber: facility.code }, DISCHARGE_SECTION_RULES)
    : { sections: [], issues: [] };
  issues.push(...body.issues);
  if (!structuredBody) {
    issues.push({ severity: 'warning', code: '101', segment: `${root.path}/component/structuredBody`, message: `${root.path}/component has no structuredBody; the body is kept only in the DocumentReference` });
  }

  const year = effectiveTime.slice(0, 4);
  const documentNumber = header.masterIdentifier?.value ?? documentUri;
  const versionNumber = attribute(child(root, 'versionNumber'), 'value');
  if (!versionNumber) {
    issues.push({ severity: 'warning', code: '101', segment: `${root.path}/versionNumber`, message: `${root.path}/versionNumber is missing; the summary is taken as version 1` });
  }
  const authors: Reference<Practitioner | Organization>[] = [];
  if (participants.authorPractitioner) authors.push(participants.authorPractitioner);
  if (participants.authorOrganization) authors.push(participants.authorOrganization);
  const custodian = participants.custodian ?? participants.authorOrganization;
  const composition: Composition = {
    resourceType: 'Composition',
    meta: { profile: [PROFILE.composition] },
    extension: [{ url: VERSION_NUMBER_URL, valueString: versionNumber ?? '1' }],
    ...(header.language ? { language: header.language } : {}),
    // JP-CLINS document id: 医療機関コード^発行年^文書番号.
    identifier: { system: RESOURCE_INSTANCE_SYSTEM, value: `${facility.code}^${year}^${documentNumber}` },
    status: 'final',
    type: { coding: [DOC_TYPE_CODING] },
    category: [{ coding: [DISCHARGE_CATEGORY] }],
    subject: patient,
    ...(stay ? { encounter: stay.reference } : {}),
    date: effectiveTime,
    // Without a CDA author, the facility that sent the summary is the only author we know.
    author: authors.length > 0 ? authors : [{ reference: facility.organizationReference }],
    title: TITLE,
    ...(participants.legalAuthenticator
      ? { attester: [{ mode: 'legal', party: participants.legalAuthenticator, ...(participants.legalAuthenticationTime ? { time: participants.legalAuthenticationTime } : {}) }] }
      : {}),
    custodian: custodian ?? { reference: facility.organizationReference },
    ...(stay ? { event: [{ period: stay.period }] } : {}),
    section: [
      {
        title: STRUCTURED_SECTION.title,
        code: { coding: [sectionCoding(STRUCTURED_SECTION)] },
        section: documentSections(DISCHARGE_SECTION_RULES, body.sections, new Map(stay ? [...STAY_SECTIONS].map((code) => [code, [stay.reference]]) : [])),
      },
    ],
  };
  collector.add(composition, 'composition');

  const bundle: Bundle = {
    resourceType: 'Bundle',
    meta: { profile: [PROFILE.bundle] },
    identifier: { system: BUNDLE_IDENTIFIER_SYSTEM, value: `${facility.code}^${year}^${documentNumber}` },
    type: 'document',
    timestamp: header.date ?? effectiveTime,
    entry: collector.entries(),
  };
  const documentReference = documentReferenceFor(
    { xml, ...header, ...(mappedPatient.facilityPatientId ? { subject: { identifier: mappedPatient.facilityPatientId, type: 'Patient' } } : {}) },
    facility,
  );
  return { bundle, documentReference, issues };
}

/** componentOf/encompassingEncounter: the stay the summary is about (入院日, 退院日), the bundle's one Encounter. */
function stayOf(root: XmlElement, collector: EntryCollector, patient: Reference<Patient>, issues: MappingIssue[]): { reference: Reference<Encounter>; period: { start?: string; end?: string } } | undefined {
  const encounter = descend(root, 'componentOf', 'encompassingEncounter');
  const time = child(encounter, 'effectiveTime');
  const start = dateFromTS(attribute(child(time, 'low'), 'value') ?? attribute(time, 'value'));
  const end = dateFromTS(attribute(child(time, 'high'), 'value'));
  if (!start || !end) {
    issues.push({
      severity: 'warning',
      code: '101',
      segment: `${root.path}/componentOf/encompassingEncounter/effectiveTime`,
      message: `the stay's ${start ? '' : 'admission (low) '}${!start && !end ? 'and ' : ''}${end ? '' : 'discharge (high) '}date is missing: JP_Composition_eDischargeSummary requires event.period start and end`,
    });
  }
  if (!encounter || (!start && !end)) {
    return undefined;
  }
  const period = { ...(start ? { start } : {}), ...(end ? { end } : {}) };
  const stay: Encounter = {
    resourceType: 'Encounter',
    meta: { profile: ['http://jpfhir.jp/fhir/core/StructureDefinition/JP_Encounter'] },
    status: end ? 'finished' : 'in-progress',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' },
    subject: patient,
    period,
  };
  return { reference: collector.add(stay, 'encompassingEncounter'), period };
}
