/**
 * The live subscriptions' read model: the current version of a resource a change event announced, when the
 * subscriber's read scope covers it (and, for a patient's feed, when it is in that patient's compartments).
 * A deleted or since-deleted resource is nobody's delivery.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Db } from '../db/database';
import { raw, sql } from '../../core/sql';
import { linkedPatientIds, readScopeSql, type ReadScope } from '../read-scope';

export interface AnnouncedResource {
  resourceType: string;
  id: string;
}

export class ChangedResources {
  constructor(private readonly db: Db) {}

  /** `ofPatient`: only when it is in the compartment of this regional patient or a local record linked to it. */
  async visible(scope: ReadScope, announced: AnnouncedResource, ofPatient?: string): Promise<Resource | undefined> {
    const inCompartment = ofPatient === undefined ? raw('TRUE') : sql`r.compartments && ${linkedPatientIds(ofPatient)}`;
    const [row] = await this.db.query<{ content: string }>(sql`SELECT r.content FROM resource r
      WHERE r.resource_type = ${announced.resourceType} AND r.id = ${announced.id} AND NOT r.deleted AND ${inCompartment}
        AND ${readScopeSql(scope, 'r')}`);
    return row ? (JSON.parse(row.content) as Resource) : undefined;
  }
}
