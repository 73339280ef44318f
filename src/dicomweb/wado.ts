/**
 * WADO-RS retrieval: a study, a series or one instance, as the DICOM files or as their metadata (DICOM JSON),
 * and an instance's bulk data or its frames. The bytes are served only to a caller who may read the ImagingStudy that each
 * instance's own facility stored with it: the caller's read scope sits in the SQL that finds the bytes
 * (store/dicom-instances.ts), as on every other read path, so images follow the same consent as the record.
 * Anything the caller may not see is "not found" in the very words of a study that never existed, so existence
 * does not leak. Every retrieval, served or not, is audited like a FHIR read, naming the studies' patients.
 */
import type { ImagingStudy } from '@medplum/fhirtypes';
import { patientsOf } from '../core/compartments';
import type { AuditTrail } from '../audit/types';
import type { RequestContext } from '../core/context';
import type { AccessPolicy } from '../consent/access';
import { notFound } from '../core/errors';
import { dicomBulkData, dicomFrames, dicomJsonMetadata, type DicomJson } from '../mapping/dicom';
import type { DicomInstances, InstanceUids, StoredInstance, VisibleInstance } from '../store/dicom-instances';

export interface InstanceFile {
  instance: StoredInstance;
  bytes: Buffer;
}

export class WadoService {
  constructor(
    private readonly instances: DicomInstances,
    private readonly access: AccessPolicy,
    private readonly audit: AuditTrail,
    /** Public base of the DICOMweb routes (`<base>/dicomweb`); BulkDataURIs are built on it. */
    private readonly dicomwebBase: string
  ) {}

  /**
   * The instances of a study, of one of its series, or the one named (at least one, or 404), and their files
   * read one after another as they are sent on.
   */
  async retrieve(ctx: RequestContext, uids: InstanceUids): Promise<{ instances: StoredInstance[]; files: AsyncIterable<InstanceFile> }> {
    const found = await this.found(ctx, uids, '');
    return { instances: found.map((f) => f.instance), files: this.files(found) };
  }

  /** Each instance's data set as DICOM JSON, its bulk data named by URIs of `bulkData` below. */
  async metadata(ctx: RequestContext, uids: InstanceUids): Promise<DicomJson[]> {
    const metadata: DicomJson[] = [];
    for await (const { instance, bytes } of this.files(await this.found(ctx, uids, '/metadata'))) {
      const instanceUrl = `${this.dicomwebBase}/studies/${instance.studyInstanceUid}/series/${instance.seriesInstanceUid}/instances/${instance.sopInstanceUid}`;
      metadata.push(dicomJsonMetadata(bytes, (tag) => `${instanceUrl}/bulkdata/${tag}`));
    }
    return metadata;
  }

  /** The value of one top-level attribute of an instance (the pixel data, for the most part), as stored. */
  async bulkData(ctx: RequestContext, uids: Required<InstanceUids>, tag: string): Promise<{ instance: StoredInstance; value: Buffer }> {
    const [found] = await this.found(ctx, uids, `/bulkdata/${tag}`);
    const value = dicomBulkData(await this.instances.bytes(found.instance), tag);
    if (!value) throw notFound(`Instance ${uids.sopInstanceUid} holds no value of attribute ${tag}`);
    return { instance: found.instance, value };
  }

  /** Frames of one instance by their 1-based numbers, in the transfer syntax they are stored in. */
  async frames(ctx: RequestContext, uids: Required<InstanceUids>, numbers: number[]): Promise<{ transferSyntaxUid: string; frames: Buffer[] }> {
    const [found] = await this.found(ctx, uids, `/frames/${numbers.join(',')}`);
    const stored = dicomFrames(await this.instances.bytes(found.instance));
    const frames = numbers.map((number) => stored.frame(number));
    const missing = numbers.filter((_, index) => !frames[index]);
    if (missing.length) throw notFound(`Instance ${uids.sopInstanceUid} has ${stored.count} frame(s); it has no frame ${missing.join(', ')}`);
    return { transferSyntaxUid: stored.transferSyntaxUid, frames: frames as Buffer[] };
  }

  private async *files(found: VisibleInstance[]): AsyncGenerator<InstanceFile> {
    for (const { instance } of found) yield { instance, bytes: await this.instances.bytes(instance) };
  }

  private async found(ctx: RequestContext, uids: InstanceUids, suffix: string): Promise<VisibleInstance[]> {
    const found = await this.instances.visible(this.access.readScope(ctx), uids);
    const path = [`studies/${uids.studyInstanceUid}`, uids.seriesInstanceUid && `series/${uids.seriesInstanceUid}`, uids.sopInstanceUid && `instances/${uids.sopInstanceUid}`].filter(Boolean).join('/');
    const description = `WADO-RS GET ${path}${suffix}`;
    if (!found.length) {
      await this.audit.append({ ctx, action: 'read', patientIds: [], entities: [], outcome: '4', description: `${description} → 404`, remoteAddress: ctx.remoteAddress });
      throw notFound(notFoundText(uids));
    }
    const studies = [...new Map(found.map(({ study }) => JSON.parse(study) as ImagingStudy).map((study) => [study.id, study])).values()];
    await this.audit.append({
      ctx,
      action: 'read',
      patientIds: [...new Set(studies.flatMap((study) => patientsOf(study)))],
      entities: studies.map((study) => `ImagingStudy/${study.id}`),
      outcome: '0',
      description: `${description} → 200`,
      remoteAddress: ctx.remoteAddress,
    });
    return found;
  }
}

function notFoundText(uids: InstanceUids): string {
  if (uids.sopInstanceUid) return `Instance ${uids.sopInstanceUid} of series ${uids.seriesInstanceUid} in study ${uids.studyInstanceUid} not found`;
  if (uids.seriesInstanceUid) return `Series ${uids.seriesInstanceUid} in study ${uids.studyInstanceUid} not found`;
  return `Study ${uids.studyInstanceUid} not found`;
}
