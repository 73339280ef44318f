/**
 * The DocumentReference that keeps the original CDA document byte for byte (as UTF-8), so the structured
 * bundle can always be checked against, or re-derived from, what the sender signed off.
 */
import { createHash } from 'node:crypto';
import type { Coding, DocumentReference, Identifier, Patient, Reference } from '@medplum/fhirtypes';
import type { SendingFacility } from '../types';

export const REFERRAL_LOINC: Coding = { system: 'http://loinc.org', code: '57133-1', display: 'Referral note' };

export interface OriginalDocument {
  xml: string;
  /** The document's LOINC type (the referral's 57133-1 unless said). */
  type?: Coding;
  /** ClinicalDocument/id. */
  masterIdentifier?: Identifier;
  /** ClinicalDocument/code as sent, when it is not LOINC 57133-1 itself (e.g. JMIX MD0020730). */
  originalType?: Coding;
  /** The patient by the facility's patient id: this resource is stored on its own, outside the document bundle. */
  subject?: Reference<Patient>;
  /** ClinicalDocument/effectiveTime as an instant. */
  date?: string;
  title?: string;
  language?: string;
}

export function documentReferenceFor(document: OriginalDocument, facility: SendingFacility): DocumentReference {
  const bytes = Buffer.from(document.xml, 'utf8');
  return {
    resourceType: 'DocumentReference',
    meta: { profile: ['http://jpfhir.jp/fhir/core/StructureDefinition/JP_DocumentReference'] },
    ...(document.masterIdentifier ? { masterIdentifier: document.masterIdentifier } : {}),
    status: 'current',
    docStatus: 'final',
    type: { coding: [document.type ?? REFERRAL_LOINC, ...(document.originalType ? [document.originalType] : [])] },
    ...(document.subject ? { subject: document.subject } : {}),
    ...(document.date ? { date: document.date } : {}),
    custodian: { reference: facility.organizationReference },
    content: [
      {
        attachment: {
          contentType: 'application/cda+xml',
          ...(document.language ? { language: document.language } : {}),
          data: bytes.toString('base64'),
          size: bytes.length,
          // FHIR R4 Attachment.hash: the base64 of the SHA-1 digest of the data.
          hash: createHash('sha1').update(bytes).digest('base64'),
          ...(document.title ? { title: document.title } : {}),
        },
      },
    ],
  };
}
