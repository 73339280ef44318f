/**
 * The disclosure copy's read model: every live resource in the compartments of a regional patient and of each
 * local record linked to it, whoever supplied it and whatever the consents say (the network office's
 * $disclosure decides who may ask). Read in keyset chunks by rid so a long record never sits in one result.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Db } from '../db/database';
import { sql } from '../../core/sql';
import { linkedPatientIds } from '../read-scope';

const CHUNK = 1000;

export class DisclosureRecords {
  constructor(private readonly db: Db) {}

  /** In storage order (rid), so repeated copies list the same record alike. */
  async heldAbout(patientId: string): Promise<Resource[]> {
    const resources: Resource[] = [];
    let after = '0';
    for (;;) {
      const chunk = await this.db.query<{ rid: string; content: string }>(sql`
        SELECT r.rid::text AS rid, r.content FROM resource r
        WHERE r.compartments && ${linkedPatientIds(patientId)} AND NOT r.deleted AND r.rid > ${after}::bigint
        ORDER BY r.rid LIMIT ${CHUNK}`);
      for (const row of chunk) resources.push(JSON.parse(row.content) as Resource);
      if (chunk.length < CHUNK) return resources;
      after = chunk[chunk.length - 1].rid;
    }
  }
}
