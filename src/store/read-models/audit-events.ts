/**
 * AuditEvents as the FHIR API reads them from the trail (`audit_event`): newest first, paged by seq, under a
 * typed scope the access policy decides (consent/access.ts `auditScope`) and conditions the audit layer
 * parsed from the search (audit/fhir.ts), so paging and totals count only what the caller may see.
 */
import { Connection, databaseOf } from '../connection';
import { and, or, raw, sql, Sql } from '../../core/sql';
import { linkedPatientIds } from '../read-scope';

/** Which events a caller may read. */
export type AuditReadScope =
  | { readonly kind: 'everything' }
  | { readonly kind: 'nothing' }
  /** Events about the patient's records: the regional Patient and every local record linked to it. */
  | { readonly kind: 'about-patient'; readonly patientId: string }
  /** Events the client caused, or (when given) that its facility caused. */
  | { readonly kind: 'caused-by'; readonly clientId: string; readonly organization?: string };

/** One search condition; a search's conditions all hold. Each holds when any of its values does. */
export type AuditCondition =
  /** About any of these patients (a regional Patient stands for its linked local records too). */
  | { readonly patientAnyOf: readonly string[] }
  /** Recorded within any of these ranges: `from` included, `before` excluded, either open. */
  | { readonly recordedAnyOf: readonly { readonly from?: string; readonly before?: string }[] }
  | { readonly outcomeAnyOf: readonly string[] };

export interface AuditEventRow {
  seq: string;
  recorded: string;
  /** The AuditEvent JSON as appended. */
  event: string;
}

export interface AuditPage {
  count: number;
  /** Events older than this seq only (the keyset cursor); else `offset` rows are skipped. */
  beforeSeq?: string;
  offset?: number;
  withTotal: boolean;
}

export async function searchAuditEvents(on: Connection, scope: AuditReadScope, conditions: readonly AuditCondition[], page: AuditPage): Promise<{ rows: AuditEventRow[]; more: boolean; total?: number }> {
  const db = databaseOf(on);
  const where = and([scopeSql(scope), ...conditions.map(conditionSql)]);
  const paged = page.beforeSeq ? and([where, sql`a.seq < ${page.beforeSeq}::bigint`]) : where;
  const rows = page.count > 0
    ? await db.query<{ seq: string; recorded: Date | string; event: string }>(sql`SELECT a.seq::text AS seq, a.recorded, a.event FROM audit_event a WHERE ${paged}
        ORDER BY a.seq DESC LIMIT ${page.count + 1} OFFSET ${page.beforeSeq ? 0 : (page.offset ?? 0)}`)
    : [];
  const total = page.withTotal ? Number((await db.query<{ n: string }>(sql`SELECT count(*) AS n FROM audit_event a WHERE ${where}`))[0].n) : undefined;
  return { rows: rows.slice(0, page.count).map(asRow), more: rows.length > page.count, total };
}

export async function readAuditEvent(on: Connection, scope: AuditReadScope, seq: string): Promise<AuditEventRow | undefined> {
  const [row] = await databaseOf(on).query<{ seq: string; recorded: Date | string; event: string }>(
    sql`SELECT a.seq::text AS seq, a.recorded, a.event FROM audit_event a WHERE a.seq = ${seq}::bigint AND ${scopeSql(scope)}`
  );
  return row && asRow(row);
}

/** The regional patient's id and the ids of every local record linked to it. */
export async function linkedRecordIds(on: Connection, patientId: string): Promise<string[]> {
  return (await databaseOf(on).query<{ id: string }>(sql`SELECT unnest(${linkedPatientIds(patientId)}) AS id`)).map((r) => r.id);
}

function asRow(row: { seq: string; recorded: Date | string; event: string }): AuditEventRow {
  return { seq: row.seq, recorded: new Date(row.recorded).toISOString(), event: row.event };
}

function scopeSql(scope: AuditReadScope): Sql {
  switch (scope.kind) {
    case 'everything':
      return raw('TRUE');
    case 'nothing':
      return raw('FALSE');
    case 'about-patient':
      return sql`a.patient_ids && ${linkedPatientIds(scope.patientId)}`;
    case 'caused-by':
      return scope.organization ? sql`(a.client_id = ${scope.clientId} OR a.organization = ${scope.organization})` : sql`a.client_id = ${scope.clientId}`;
  }
}

function conditionSql(condition: AuditCondition): Sql {
  if ('patientAnyOf' in condition) return or(condition.patientAnyOf.map((id) => sql`a.patient_ids && ${linkedPatientIds(id)}`));
  if ('outcomeAnyOf' in condition) return sql`a.outcome = ANY(${[...condition.outcomeAnyOf]}::text[])`;
  return or(
    condition.recordedAnyOf.map(({ from, before }) =>
      and([...(from ? [sql`a.recorded >= ${from}::timestamptz`] : []), ...(before ? [sql`a.recorded < ${before}::timestamptz`] : [])])
    )
  );
}
