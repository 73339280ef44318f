/**
 * What every CDA document Tonet maps checks first, whichever document it is (診療情報提供書, 退院時サマリー): the XML
 * parses, the root is an HL7 v3 ClinicalDocument of the expected type, it names its patient and its time. A document
 * that fails is refused with the reason and still kept, as sent, in its DocumentReference.
 */
import { createHash } from 'node:crypto';
import type { Bundle, Coding, DocumentReference } from '@medplum/fhirtypes';
import type { MappingIssue, SendingFacility } from '../types';
import { codingFromCD, dateTimeFromTS, identifierFromII, instantFromTS } from './datatypes';
import { documentReferenceFor, type OriginalDocument } from './document-reference';
import { attribute, child, descend, HL7_V3_NAMESPACE, parseXml, textContent, type XmlElement } from './xml';

export interface CdaDocumentResult {
  /** type `document`; no entries when issues hold an error. */
  bundle: Bundle;
  documentReference: DocumentReference;
  issues: MappingIssue[];
}

export interface DocumentKind {
  /** The document's name in the refusal ("診療情報提供書"). */
  name: string;
  /** ClinicalDocument/code values (codeSystem|code) that mean this document, and how the refusal lists them. */
  codes: ReadonlySet<string>;
  codesText: string;
  /** Its LOINC type, which the DocumentReference carries. */
  loinc: Coding;
}

export interface OpenedDocument {
  root: XmlElement;
  patientRole: XmlElement;
  effectiveTime: string;
  header: Partial<OriginalDocument>;
  /** ClinicalDocument/id, else the document's SHA-1: the name its resources' ids derive from. */
  documentUri: string;
  issues: MappingIssue[];
}

const CDA_TYPE_ID_ROOT = '2.16.840.1.113883.1.3';

export function openClinicalDocument(xml: string, facility: SendingFacility, kind: DocumentKind): OpenedDocument | { rejected: CdaDocumentResult } {
  const rejected = (issue: Omit<MappingIssue, 'severity'>, document: Partial<OriginalDocument> = {}) => ({
    rejected: {
      bundle: { resourceType: 'Bundle', type: 'document' },
      documentReference: documentReferenceFor({ xml, type: kind.loinc, ...document }, facility),
      issues: [{ severity: 'error', ...issue }],
    } satisfies CdaDocumentResult,
  });

  const parsed = parseXml(xml);
  if ('error' in parsed) return rejected({ code: '102', segment: '/', message: `CDA document is unparseable: ${parsed.error}` });
  const root = parsed.root;
  if (root.name !== 'ClinicalDocument' || root.namespace !== HL7_V3_NAMESPACE) {
    return rejected({
      code: '200',
      segment: root.path,
      message: `root element is <${root.name}> in namespace ${root.namespace ?? '(none)'}, not <ClinicalDocument> in ${HL7_V3_NAMESPACE}`,
    });
  }

  const documentCode = child(root, 'code');
  const originalType = codingFromCD(documentCode);
  const header: Partial<OriginalDocument> = {
    masterIdentifier: identifierFromII(child(root, 'id')),
    originalType: originalType?.system === kind.loinc.system && originalType?.code === kind.loinc.code ? undefined : originalType,
    date: instantFromTS(attribute(child(root, 'effectiveTime'), 'value')),
    title: textContent(child(root, 'title')),
    language: attribute(child(root, 'languageCode'), 'code'),
  };
  const codeKey = `${attribute(documentCode, 'codeSystem')}|${attribute(documentCode, 'code')}`;
  if (!kind.codes.has(codeKey)) {
    return rejected(
      {
        code: '200',
        segment: `${root.path}/code`,
        message: documentCode
          ? `${root.path}/code ${attribute(documentCode, 'code')} (${attribute(documentCode, 'codeSystem')}) is not a ${kind.name} code (${kind.codesText})`
          : `${root.path}/code is missing`,
      },
      header,
    );
  }
  const patientRole = descend(root, 'recordTarget', 'patientRole');
  if (!patientRole) {
    return rejected({ code: '101', segment: `${root.path}/recordTarget`, message: `${root.path}/recordTarget/patientRole is missing` }, header);
  }
  const effectiveTime = dateTimeFromTS(attribute(child(root, 'effectiveTime'), 'value'));
  if (!effectiveTime) {
    return rejected({ code: '101', segment: `${root.path}/effectiveTime`, message: `${root.path}/effectiveTime is missing or not a TS value` }, header);
  }

  const issues: MappingIssue[] = [];
  const typeIdRoot = attribute(child(root, 'typeId'), 'root');
  if (typeIdRoot !== CDA_TYPE_ID_ROOT || !attribute(child(root, 'typeId'), 'extension')?.toUpperCase().startsWith('POCD_HD000040')) {
    issues.push({ severity: 'warning', code: '102', segment: `${root.path}/typeId`, message: `${root.path}/typeId is not ${CDA_TYPE_ID_ROOT} POCD_HD000040` });
  }
  const documentIdentifier = header.masterIdentifier;
  if (!documentIdentifier) {
    issues.push({ severity: 'warning', code: '101', segment: `${root.path}/id`, message: `${root.path}/id is missing; resource ids are derived from the document's SHA-1 instead` });
  }
  const documentUri = documentIdentifier
    ? `${documentIdentifier.system}|${documentIdentifier.value}`
    : `urn:sha1:${createHash('sha1').update(xml, 'utf8').digest('hex')}`;
  return { root, patientRole, effectiveTime, header: { ...header, type: kind.loinc }, documentUri, issues };
}
