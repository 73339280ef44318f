/**
 * STOW-RS semantics, independent of HTTP: DICOM files in, stored instances and ImagingStudies out.
 *   read each file → group by study → per study, ONE database transaction: the bytes, a stub Patient when the
 *   facility's Patient ID is new (conditional create), and the ImagingStudy merged with what is stored
 *   (conditional update by its DICOM UID identifier) through the FHIR transaction processor, so meta.source,
 *   history and search indexes are written as for any other FHIR write.
 * A file that cannot be stored fails alone, with a reason; the others are stored. Each study's write is audited
 * once it is committed and before the answer, naming the patient, as a FHIR write is.
 */
import type { Bundle, BundleEntry, ImagingStudy } from '@medplum/fhirtypes';
import { patientsOf } from '../core/compartments';
import type { AuditEntry, AuditTrail } from '../audit/types';
import type { RequestContext } from '../core/context';
import { inTransaction, lockUntilCommit } from '../store/connection';
import { processBundle } from '../fhir/bundle';
import { badRequest, FhirError } from '../core/errors';
import type { FhirRouter } from '../fhir/router';
import type { FacilityDirectory } from '../ingest/facility';
import type { Logger } from '../core/logger';
import { DicomError, mapImagingStudy, readDicomInstance, type DicomInstance } from '../mapping/dicom';
import type { SendingFacility } from '../mapping/types';
import { facilityPatientIdentifier, identifierQuery, studyIdentifierQuery } from './identifiers';
import { putInstance } from '../store/dicom-instances';
import { stubPatient } from './patient';
import { facilityStarting } from '../consent/interactions';

/** PS3.4 C-STORE failure statuses, which STOW-RS reports as Failure Reason (0008,1197). */
export const FAILURE = {
  /** 0x0110: stored nothing because of a problem on our side or in the FHIR write. */
  processingFailure: 0x0110,
  /** 0xA900: a DICOM file, but not one this study or patient can take (missing attributes, other study). */
  dataSetMismatch: 0xa900,
  /** 0xC000: not a DICOM Part 10 file, or not readable as one. */
  cannotUnderstand: 0xc000,
} as const;

export interface StoredSop {
  part: number;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
}

export interface FailedSop {
  part: number;
  sopInstanceUid?: string;
  sopClassUid?: string;
  reason: number;
  /** What went wrong, in words an operator can act on. */
  comment: string;
}

export interface StowResult {
  stored: StoredSop[];
  failed: FailedSop[];
}


interface ReadPart {
  part: number;
  bytes: Buffer;
  instance: DicomInstance;
}

export class StowService {
  constructor(
    private readonly router: FhirRouter,
    private readonly facilities: FacilityDirectory,
    private readonly audit: AuditTrail,
    private readonly logger: Logger
  ) {}

  /** `files` in request order; `targetStudy` when the request was POSTed to /studies/{study}. */
  async store(ctx: RequestContext, files: Buffer[], targetStudy?: string): Promise<StowResult> {
    const facility = await this.facilities.resolve(facilityStarting(ctx, 'store-images'));
    if (!facility) throw badRequest(`${ctx.organization} has no 10-digit medical institution code identifier`);

    const result: StowResult = { stored: [], failed: [] };
    const byStudy = new Map<string, ReadPart[]>();
    files.forEach((bytes, part) => {
      const read = readPart(bytes, part, targetStudy);
      if ('reason' in read) result.failed.push(read);
      else byStudy.set(read.instance.studyInstanceUid, [...(byStudy.get(read.instance.studyInstanceUid) ?? []), read]);
    });

    for (const [studyUid, parts] of byStudy) {
      const { accepted, refused } = samePatient(parts);
      result.failed.push(...refused);
      let entry: AuditEntry;
      try {
        entry = await this.storeStudy(ctx, facility, studyUid, accepted);
      } catch (err) {
        const known = err instanceof FhirError || err instanceof DicomError;
        if (!known) this.logger.error({ err, studyUid }, 'storing a DICOM study failed');
        const reason = err instanceof DicomError ? FAILURE.dataSetMismatch : FAILURE.processingFailure;
        const comment = known ? (err as Error).message : 'Internal error while storing the study';
        result.failed.push(...accepted.map(({ part, instance }) => ({ part, sopInstanceUid: instance.sopInstanceUid, sopClassUid: instance.sopClassUid, reason, comment })));
        continue;
      }
      // Stored is stored: an audit trail that cannot be appended to fails the request, not the study.
      await this.audit.append(entry);
      result.stored.push(...accepted.map(({ part, instance }) => ({ part, ...pickUids(instance) })));
    }
    result.stored.sort((a, b) => a.part - b.part);
    result.failed.sort((a, b) => a.part - b.part);
    return result;
  }

  /** Stores one study's instances in one transaction; the entry that records it is appended after the commit. */
  private async storeStudy(ctx: RequestContext, facility: SendingFacility, studyUid: string, parts: ReadPart[]): Promise<AuditEntry> {
    return inTransaction(this.router.repo.connection, async (tx) => {
      // Two requests for one study would each merge into the study they read and the later would drop the
      // other's instances; the lock makes the second read what the first wrote.
      await lockUntilCommit(tx, `dicom-study:${studyUid}`);
      const router = this.router.withRepository(this.router.repo.withConnection(tx));
      const studyQuery = studyIdentifierQuery(studyUid);
      const [existingRow] = await router.repo.conditionalMatches(ctx, 'ImagingStudy', studyQuery);
      const existing = existingRow ? withoutId(JSON.parse(existingRow.content) as ImagingStudy) : undefined;

      const patientIdentifier = facilityPatientIdentifier(facility, parts[0].instance.patientId as string);
      const patientQuery = identifierQuery(patientIdentifier);
      // Two studies of a new patient arriving together must not create two stub Patients.
      await lockUntilCommit(tx, `dicom-patient:${patientQuery}`);
      const [patientRow] = await router.repo.conditionalMatches(ctx, 'Patient', patientQuery);
      const patientReference = patientRow ? `Patient/${patientRow.id}` : `urn:tonet:dicom:patient`;
      const subject = existing?.subject?.reference;
      if (subject && subject !== patientReference) {
        throw new DicomError('study-mismatch', `Study ${studyUid} belongs to ${subject}, but Patient ID "${patientIdentifier.value}" of this facility names ${patientRow ? `Patient/${patientRow.id}` : 'no known patient'}`);
      }

      for (const { bytes, instance } of parts) {
        await putInstance(tx, { ...pickUids(instance), transferSyntaxUid: instance.transferSyntaxUid, bytes, facility: facility.organizationReference, clientId: ctx.clientId });
      }
      const study = mapImagingStudy(parts.map((p) => p.instance), facility, patientReference, existing);
      const entries: BundleEntry[] = [];
      if (!patientRow) {
        const patient = stubPatient(patientIdentifier, parts.find((p) => p.instance.patientName)?.instance.patientName);
        entries.push({ fullUrl: patientReference, resource: patient, request: { method: 'POST', url: 'Patient', ifNoneExist: patientQuery } });
      }
      entries.push({ resource: study, request: { method: 'PUT', url: `ImagingStudy?${studyQuery}` } });
      const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: entries };
      const response = await processBundle(router, ctx, bundle);
      const stored = response.entry?.[response.entry.length - 1]?.resource as ImagingStudy | undefined;
      return {
        ctx,
        action: 'create',
        patientIds: stored ? patientsOf(stored) : [],
        entities: stored?.id ? [`ImagingStudy/${stored.id}`] : [],
        outcome: '0',
        description: `STOW-RS study ${studyUid}: ${parts.length} instance(s)`,
        remoteAddress: ctx.remoteAddress,
      };
    });
  }
}

/** One multipart part → a readable instance of the target study, or why not. */
function readPart(bytes: Buffer, part: number, targetStudy: string | undefined): ReadPart | FailedSop {
  let instance: DicomInstance;
  try {
    instance = readDicomInstance(bytes);
  } catch (err) {
    if (!(err instanceof DicomError)) throw err;
    const reason = err.reason === 'missing-attribute' ? FAILURE.dataSetMismatch : FAILURE.cannotUnderstand;
    return { part, reason, comment: `Part ${part + 1}: ${err.message}` };
  }
  const uids = { sopInstanceUid: instance.sopInstanceUid, sopClassUid: instance.sopClassUid };
  if (targetStudy && instance.studyInstanceUid !== targetStudy) {
    return { part, ...uids, reason: FAILURE.dataSetMismatch, comment: `Study Instance UID ${instance.studyInstanceUid} is not the study ${targetStudy} of the request URL` };
  }
  if (!instance.patientId) {
    return { part, ...uids, reason: FAILURE.dataSetMismatch, comment: 'No Patient ID (0010,0020): the images cannot be linked to a patient of the sending facility' };
  }
  return { part, bytes, instance };
}

/** A study has one patient: instances whose Patient ID differs from the study's first one are refused. */
function samePatient(parts: ReadPart[]): { accepted: ReadPart[]; refused: FailedSop[] } {
  const patientId = parts[0].instance.patientId;
  const accepted = parts.filter((p) => p.instance.patientId === patientId);
  const refused = parts
    .filter((p) => p.instance.patientId !== patientId)
    .map(({ part, instance }) => ({
      part,
      sopInstanceUid: instance.sopInstanceUid,
      sopClassUid: instance.sopClassUid,
      reason: FAILURE.dataSetMismatch,
      comment: `Patient ID "${instance.patientId}" differs from "${patientId}" of other instances of study ${instance.studyInstanceUid}`,
    }));
  return { accepted, refused };
}

/**
 * The transaction puts the id last, as it does on create, and the repository tells "unchanged" by comparing
 * JSON text; a re-sent study must therefore come out key for key as it was stored, id included.
 */
function withoutId(study: ImagingStudy): ImagingStudy {
  const { id: _id, ...rest } = study;
  return rest;
}

function pickUids(instance: DicomInstance): Omit<StoredSop, 'part'> {
  return {
    studyInstanceUid: instance.studyInstanceUid,
    seriesInstanceUid: instance.seriesInstanceUid,
    sopInstanceUid: instance.sopInstanceUid,
    sopClassUid: instance.sopClassUid,
  };
}
