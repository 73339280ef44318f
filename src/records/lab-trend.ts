/**
 * The values of one lab test for one patient over time, oldest first, with units and reference range,
 * ready to plot. The code matches any coding system (JLAC10 or a facility's local code; a JLAC10 code with any
 * laboratory's method digits) and the search runs under the caller's access predicate.
 */
import type { Observation } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import type { AccessPolicy } from '../consent/access';
import type { Db } from '../store/db/database';
import { sql } from '../core/sql';
import { jlac10TestPattern, SYSTEM } from '../mapping/hl7v2/codesystems';
import { abnormalOf, numericValueOf, titleOf } from './describe';
import { linkedPatientIds, readScopeSql } from '../store/read-scope';

export interface LabPoint {
  at: Date;
  value?: number;
  abnormal?: boolean;
  source?: string;
}

export interface LabTrend {
  code: string;
  display?: string;
  unit?: string;
  low?: number;
  high?: number;
  points: LabPoint[];
}

const MAX_POINTS = 5000;

export class LabTrends {
  constructor(
    private readonly db: Db,
    private readonly access: AccessPolicy
  ) {}

  async trend(ctx: RequestContext, patientId: string, code: string): Promise<LabTrend> {
    this.access.assertMayRead(ctx, 'Observation');
    const rows = await this.db.query<{ content: string; source: string | null; at: Date | string }>(sql`
      SELECT r.content, r.source, (SELECT min(d.lo) FROM sp_date d WHERE d.rid = r.rid AND d.resource_type = 'Observation' AND d.code = 'date') AS at
      FROM resource r
      WHERE r.resource_type = 'Observation' AND NOT r.deleted AND r.compartments && ${linkedPatientIds(patientId)}
        AND EXISTS (SELECT 1 FROM sp_token t WHERE t.rid = r.rid AND t.resource_type = 'Observation' AND t.code = 'code'
          AND (t.value = ${code} OR (t.system = ${SYSTEM.jlac10} AND t.value LIKE ${jlac10TestPattern(code) ?? code})))
        AND ${readScopeSql(this.access.readScope(ctx), 'r')}
      ORDER BY at ASC NULLS LAST, r.rid ASC
      LIMIT ${MAX_POINTS}`);
    const observations = rows.map((row) => ({ obs: JSON.parse(row.content) as Observation, source: row.source ?? undefined, at: row.at }));
    const latest = observations[observations.length - 1]?.obs;
    const range = latest?.referenceRange?.[0];
    return {
      code,
      display: latest ? titleOf(latest) : undefined,
      unit: latest?.valueQuantity?.unit ?? latest?.valueQuantity?.code,
      low: range?.low?.value,
      high: range?.high?.value,
      points: observations.filter((o) => o.at).map((o) => ({ at: new Date(o.at), value: numericValueOf(o.obs), abnormal: abnormalOf(o.obs), source: o.source })),
    };
  }
}
