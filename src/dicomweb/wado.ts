/**
 * WADO-RS instance retrieval. The bytes are served only to a caller who may read the ImagingStudy that holds
 * them: the repository's search applies the access policy in SQL, so images follow the same consent as the
 * record. Anything the caller may not see is "not found", never "forbidden", so existence does not leak.
 */
import { parseSearchRequest } from '@medplum/core';
import type { RequestContext } from '../auth/context';
import type { Db } from '../db/database';
import { FhirError, notFound } from '../fhir/errors';
import type { Repository } from '../fhir/repository';
import { studyIdentifierQuery } from './identifiers';
import { instanceBytes, type StoredInstance } from './instance-store';

export class WadoService {
  constructor(
    private readonly db: Db,
    private readonly repo: Repository
  ) {}

  async retrieveInstance(ctx: RequestContext, studyUid: string, seriesUid: string, sopUid: string): Promise<{ instance: StoredInstance; bytes: Buffer }> {
    const missing = notFound(`Instance ${sopUid} of series ${seriesUid} in study ${studyUid} not found`);
    if (!(await this.mayReadStudy(ctx, studyUid))) throw missing;
    const found = await instanceBytes(this.db, studyUid, seriesUid, sopUid);
    if (!found) throw missing;
    return found;
  }

  private async mayReadStudy(ctx: RequestContext, studyUid: string): Promise<boolean> {
    const request = parseSearchRequest(`ImagingStudy?${studyIdentifierQuery(studyUid)}`);
    try {
      const page = await this.repo.search(ctx, { ...request, count: 1, total: 'none', sortRules: [] });
      return page.matches.length > 0;
    } catch (err) {
      if (err instanceof FhirError && err.status === 403) return false;
      throw err;
    }
  }
}
