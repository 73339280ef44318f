/**
 * WADO-RS instance retrieval. The bytes are served only to a caller who may read the ImagingStudy that the
 * instance's own facility stored with it: the access policy's predicate sits in the SQL that finds the bytes,
 * as on every other read path, so images follow the same consent as the record. Anything the caller may not
 * see is "not found" in the very words of an instance that never existed, so existence does not leak. Every
 * retrieval, served or not, is audited like a FHIR read, naming the study's patient.
 */
import type { ImagingStudy } from '@medplum/fhirtypes';
import { patientIdsOf } from '../audit/rest';
import type { AuditSink } from '../audit/types';
import type { RequestContext } from '../core/context';
import type { AccessPolicy } from '../consent/access';
import type { Db } from '../store/db/database';
import { notFound } from '../core/errors';
import { visibleInstance, type StoredInstance } from './instance-store';
import { readScopeSql } from '../store/read-scope';

export class WadoService {
  constructor(
    private readonly db: Db,
    private readonly access: AccessPolicy,
    private readonly audit: AuditSink
  ) {}

  async retrieveInstance(ctx: RequestContext, studyUid: string, seriesUid: string, sopUid: string): Promise<{ instance: StoredInstance; bytes: Buffer }> {
    const uids = { studyInstanceUid: studyUid, seriesInstanceUid: seriesUid, sopInstanceUid: sopUid };
    const found = await visibleInstance(this.db, uids, (alias) => readScopeSql(this.access.readScope(ctx), alias));
    const description = `WADO-RS GET studies/${studyUid}/series/${seriesUid}/instances/${sopUid}`;
    if (!found) {
      await this.audit.record(this.db, { ctx, action: 'read', patientIds: [], entities: [], outcome: '4', description: `${description} → 404`, remoteAddress: ctx.remoteAddress });
      throw notFound(`Instance ${sopUid} of series ${seriesUid} in study ${studyUid} not found`);
    }
    const study = JSON.parse(found.study) as ImagingStudy;
    await this.audit.record(this.db, {
      ctx,
      action: 'read',
      patientIds: patientIdsOf(study),
      entities: [`ImagingStudy/${study.id}`],
      outcome: '0',
      description: `${description} → 200`,
      remoteAddress: ctx.remoteAddress,
    });
    return found;
  }
}
