/**
 * POST /fhir/$import-cda: a facility's HL7 CDA R2 診療情報提供書 (referral letter) or 退院時サマリー (discharge
 * summary) becomes a FHIR document Bundle in the JP-CLINS eReferral or eDischargeSummary shape, stored with a
 * DocumentReference that keeps the original XML.
 * The patient is matched (or created) by the facility's patient number; re-sending the same document
 * replaces it instead of adding a second copy.
 */
import type { Bundle, BundleEntry, DocumentReference, Patient } from '@medplum/fhirtypes';
import { COMPARTMENT_EXTENSION } from '../consent/model';
import { processBundle } from '../fhir/bundle';
import { badRequest, FhirError } from '../core/errors';
import type { OperationHandler } from '../fhir/router';
import { mapCdaDocument } from '../mapping/cda';
import type { FacilityDirectory } from './facility';
import { facilityStarting } from '../consent/interactions';


export function importCdaOperation(facilities: FacilityDirectory): OperationHandler {
  return {
    name: 'import-cda',
    levels: ['system'],
    methods: ['POST'],
    async handle({ ctx, router, request }) {
      const facility = await facilities.resolve(facilityStarting(ctx, 'import-cda'));
      if (!facility) throw badRequest(`${ctx.organization} has no 10-digit medical institution code identifier`);
      const xml = decodeXml(request.body);
      const result = mapCdaDocument(xml, facility);
      const errors = result.issues.filter((i) => i.severity === 'error');
      if (errors.length) {
        throw new FhirError(422, {
          resourceType: 'OperationOutcome',
          issue: errors.map((e) => ({ severity: 'error', code: 'invalid', diagnostics: e.message, expression: e.segment ? [e.segment] : undefined })),
        });
      }
      const response = await processBundle(router, ctx, storageTransaction(result.bundle, result.documentReference));
      const stored = (response.entry ?? []).map((e) => e.resource).filter((r) => r?.resourceType === 'Bundle' || r?.resourceType === 'DocumentReference');
      return {
        status: 201,
        resource: { resourceType: 'Bundle', type: 'collection', entry: stored.map((resource) => ({ fullUrl: `${router.baseUrl}/${resource?.resourceType}/${resource?.id}`, resource })) },
      };
    },
  };
}

/** CDA arrives as bytes; honour the XML declaration's encoding (Shift_JIS and ISO-2022-JP exist in the wild). */
function decodeXml(body: unknown): string {
  if (typeof body === 'string') return body;
  if (!Buffer.isBuffer(body) || body.length === 0) throw badRequest('Send the CDA document as the body (application/xml or application/cda+xml)');
  const declared = /^<\?xml[^>]*encoding=["']([A-Za-z0-9_-]+)["']/.exec(body.subarray(0, 200).toString('latin1'))?.[1]?.toLowerCase();
  const encoding = declared && ['shift_jis', 'iso-2022-jp', 'euc-jp', 'utf-8'].includes(declared) ? declared : 'utf-8';
  return new TextDecoder(encoding).decode(body);
}

/**
 * The document is stored as it is, so the transaction must not rewrite the references inside it: the
 * patient and the document get fullUrls of their own here, distinct from the document's internal ones.
 */
function storageTransaction(document: Bundle, documentReference: DocumentReference): Bundle {
  const patient = document.entry?.find((e) => e.resource?.resourceType === 'Patient')?.resource as Patient | undefined;
  const patientId = patient?.identifier?.find((i) => i.system?.startsWith('urn:oid:1.2.392.100495.20.3.51.'));
  const entries: BundleEntry[] = [];
  let subject: string | undefined;
  if (patient && patientId?.system && patientId.value) {
    subject = 'urn:tonet:cda:patient';
    entries.push({ fullUrl: subject, resource: patient, request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${patientId.system}|${patientId.value}` } });
  }
  const documentUrl = 'urn:tonet:cda:document';
  const identifier = document.identifier;
  // The document Bundle has no patient compartment of its own; name its patient so consent applies to it.
  const placed: Bundle = subject ? { ...document, meta: { ...document.meta, extension: [{ url: COMPARTMENT_EXTENSION, valueReference: { reference: subject } }] } } : document;
  entries.push({
    fullUrl: documentUrl,
    resource: placed,
    request: identifier?.system && identifier.value ? { method: 'PUT', url: `Bundle?identifier=${identifier.system}|${identifier.value}` } : { method: 'POST', url: 'Bundle' },
  });
  const reference: DocumentReference = {
    ...documentReference,
    ...(subject ? { subject: { reference: subject } } : {}),
    context: { ...documentReference.context, related: [{ reference: documentUrl }] },
  };
  const master = reference.masterIdentifier;
  entries.push({
    resource: reference,
    request: master?.system && master.value ? { method: 'PUT', url: `DocumentReference?identifier=${master.system}|${master.value}` } : { method: 'POST', url: 'DocumentReference' },
  });
  return { resourceType: 'Bundle', type: 'transaction', entry: entries };
}
