/**
 * The lab trend's read model: one patient's Observations of one test, oldest first by their date, under the
 * caller's read scope. Which codes count as the same test is the domain's to say (records/lab-trend.ts);
 * this module only finds them.
 */
import type { Observation } from '@medplum/fhirtypes';
import type { Db } from '../db/database';
import { sql } from '../../core/sql';
import { linkedPatientIds, readScopeSql, type ReadScope } from '../read-scope';

/** The test asked for: its code in any coding system, or a code of `system` matching the LIKE `pattern`. */
export interface TestCodeMatch {
  code: string;
  alsoLike: { system: string; pattern: string };
}

export interface DatedObservation {
  observation: Observation;
  /** The supplier (`Organization/<id>`) that stored it. */
  source?: string;
  /** Its earliest effective date; absent when it names none. */
  at?: Date;
}

export class LabObservations {
  constructor(private readonly db: Db) {}

  async ofTest(scope: ReadScope, patientId: string, test: TestCodeMatch, limit: number): Promise<DatedObservation[]> {
    const rows = await this.db.query<{ content: string; source: string | null; at: Date | string | null }>(sql`
      SELECT r.content, r.source, (SELECT min(d.lo) FROM sp_date d WHERE d.rid = r.rid AND d.resource_type = 'Observation' AND d.code = 'date') AS at
      FROM resource r
      WHERE r.resource_type = 'Observation' AND NOT r.deleted AND r.compartments && ${linkedPatientIds(patientId)}
        AND EXISTS (SELECT 1 FROM sp_token t WHERE t.rid = r.rid AND t.resource_type = 'Observation' AND t.code = 'code'
          AND (t.value = ${test.code} OR (t.system = ${test.alsoLike.system} AND t.value LIKE ${test.alsoLike.pattern})))
        AND ${readScopeSql(scope, 'r')}
      ORDER BY at ASC NULLS LAST, r.rid ASC
      LIMIT ${limit}`);
    return rows.map((row) => ({ observation: JSON.parse(row.content) as Observation, source: row.source ?? undefined, at: row.at ? new Date(row.at) : undefined }));
  }
}
