/**
 * The timeline's read model, timeline_entry (patient, time, rid, kind): one row per resource of a timeline
 * type and Patient compartment it is in, replaced by a write hook in the transaction of every write and
 * refilled at start whenever the rules that fill it change. records/timeline.ts keeps those rules (which
 * types are on the line, the dates that place them, what kind each is) and hands them here as a value; this
 * module turns them into SQL and reads a patient's entries newest first under the caller's read scope.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Db } from '../db/database';
import { Connection, databaseOf } from '../connection';
import { and, raw, sql, Sql } from '../../core/sql';
import { linkedPatientIds, readScopeSql, type ReadScope } from '../read-scope';

/** How one resource type is placed on the line. */
export interface TimelineTypeRule<Kind extends string = string> {
  /** Date search parameters that place it: the earliest value among them, else its last update. */
  times: readonly string[];
  kind: Kind;
  /** Another kind when the resource carries one of these values of a token parameter. */
  unless?: { token: string; values: readonly string[]; kind: Kind };
}

export interface TimelineRules<Kind extends string = string> {
  types: Readonly<Record<string, TimelineTypeRule<Kind>>>;
  /** Names the rules: a change to them must change it, and the read model is then refilled at the next start. */
  version: string;
}

export interface TimelineRecord {
  rid: string;
  at: Date;
  kind: string;
  resource: Resource;
  /** The supplier that stored it. */
  source?: string;
}

export interface TimelineRange {
  patientId: string;
  /** Only these kinds; all when absent. */
  kinds?: readonly string[];
  from?: Date;
  to?: Date;
  /** Entries strictly older than this one (its time as an ISO string, its rid). */
  after?: { at: string; rid: string };
  limit: number;
}

/** Entries read from the index at a time, before they are checked against the caller's read scope. */
const CHUNK = 200;
const READ_MODEL_SETTING = 'timeline_read_model';

interface EntryRow {
  rid: string;
  at: Date | string;
  kind: string;
  content: string;
  source: string | null;
}

export class TimelineEntries {
  constructor(
    private readonly db: Db,
    private readonly rules: TimelineRules
  ) {}

  /**
   * The write hook: the entries of every written resource of a timeline type are replaced in the writing
   * transaction. A replaced row keeps its rid; a new one has no entries to remove.
   */
  readonly hook = async (on: Connection, versions: readonly { resource: Resource; rid?: string }[]): Promise<void> => {
    const tx = databaseOf(on);
    const written = versions.filter((v) => v.resource.resourceType in this.rules.types);
    if (!written.length) return;
    const replaced = written.flatMap((v) => (v.rid ? [v.rid] : []));
    if (replaced.length) await tx.query(sql`DELETE FROM timeline_entry WHERE rid = ANY(${replaced}::bigint[])`);
    const types = written.map((v) => v.resource.resourceType);
    const ids = written.map((v) => v.resource.id as string);
    await tx.query(this.entriesOf(sql`(r.resource_type, r.id) IN (SELECT * FROM unnest(${types}::text[], ${ids}::text[]))`));
  };

  /**
   * Up to `limit` entries of the patient and their linked local records within `scope`, newest first (one
   * entry for a resource in two linked compartments).
   */
  async newestFirst(scope: ReadScope, range: TimelineRange): Promise<TimelineRecord[]> {
    const conditions: Sql[] = [sql`t.patient_id = ANY(${linkedPatientIds(range.patientId)})`];
    if (range.kinds) conditions.push(sql`t.kind = ANY(${[...range.kinds]}::text[])`);
    if (range.from) conditions.push(sql`t.at >= ${range.from.toISOString()}::timestamptz`);
    if (range.to) conditions.push(sql`t.at < ${range.to.toISOString()}::timestamptz`);
    const { limit } = range;
    // The patient's entries are read newest first in chunks from the (patient, time) index alone, and only a
    // chunk's entries are joined to their resources under the read scope: planned however stale the
    // statistics (a patient with thousands of entries among patients with a hundred looked small enough to
    // join and sort all of them). Another chunk is read only when too few of one were visible.
    const chunk = Math.max(CHUNK, 2 * limit);
    const found = new Map<string, EntryRow>();
    let after = range.after ? [range.after.at, range.after.rid] : undefined;
    for (;;) {
      const scanFrom = after ? [sql`(t.at, t.rid) < (${after[0]}::timestamptz, ${after[1]}::bigint)`] : [];
      const rows = await this.db.query<EntryRow & { edge: boolean; scanned: string }>(sql`
        WITH scanned AS MATERIALIZED (
          SELECT DISTINCT t.rid, t.at, t.kind FROM timeline_entry t WHERE ${and([...conditions, ...scanFrom])}
          ORDER BY t.at DESC, t.rid DESC LIMIT ${chunk}
        )
        (SELECT r.rid::text AS rid, s.at, s.kind, r.resource_type, r.content, r.source, false AS edge, 0 AS scanned
         FROM scanned s JOIN resource r ON r.rid = s.rid
         WHERE NOT r.deleted AND ${readScopeSql(scope, 'r')}
         ORDER BY s.at DESC, s.rid DESC LIMIT ${limit})
        UNION ALL
        SELECT l.rid::text, l.at, NULL, NULL, NULL, NULL, true, (SELECT count(*) FROM scanned)
        FROM (SELECT rid, at FROM scanned ORDER BY at, rid LIMIT 1) l`.prepared());
      for (const row of rows) if (!row.edge) found.set(row.rid, row);
      const edge = rows.find((row) => row.edge);
      if (found.size >= limit || !edge || Number(edge.scanned) < chunk) break;
      after = [new Date(edge.at).toISOString(), edge.rid];
    }
    return [...found.values()]
      .sort((a, b) => +new Date(b.at) - +new Date(a.at) || (BigInt(b.rid) > BigInt(a.rid) ? 1 : -1))
      .slice(0, limit)
      .map((row) => ({ rid: row.rid, at: new Date(row.at), kind: row.kind, source: row.source ?? undefined, resource: JSON.parse(row.content) as Resource }));
  }

  /** Fills the read model from the stored resources when it was made under other rules (or never), once per change of rules. */
  async ensureFilled(): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // Several processes starting together: one fills, the others find it done.
      await tx.query(sql`SELECT pg_advisory_xact_lock(hashtextextended(${READ_MODEL_SETTING}, 0))`);
      const [row] = await tx.query<{ value: string }>(sql`SELECT value FROM server_setting WHERE key = ${READ_MODEL_SETTING}`);
      if (row?.value === this.rules.version) return false;
      await tx.query(sql`DELETE FROM timeline_entry`);
      await tx.query(this.entriesOf(raw('TRUE')));
      await tx.query(sql`INSERT INTO server_setting (key, value) VALUES (${READ_MODEL_SETTING}, ${this.rules.version})
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`);
      return true;
    });
  }

  /**
   * The entries of the resource rows `r` matching `where`: the time is the earliest value of the type's date
   * parameters, else the last update; the kind from the type's rule. One row per Patient compartment the
   * resource is in.
   */
  private entriesOf(where: Sql): Sql {
    const types = Object.entries(this.rules.types);
    const timeCodes = sql`(VALUES ${types.map(([t, rule]) => sql`(${t}, ${[...rule.times]}::text[])`).reduce((a, b) => sql`${a}, ${b}`)}) AS k(resource_type, codes)`;
    return sql`INSERT INTO timeline_entry (patient_id, at, rid, kind)
      SELECT p.id, e.at, e.rid, e.kind FROM (
        SELECT r.rid, r.compartments, ${this.kindExpression()} AS kind,
          COALESCE(NULLIF((SELECT min(d.lo) FROM sp_date d WHERE d.rid = r.rid AND d.resource_type = r.resource_type AND d.code = ANY(k.codes)), '-infinity'), r.last_updated) AS at
        FROM resource r JOIN ${timeCodes} ON k.resource_type = r.resource_type
        WHERE NOT r.deleted AND ${where}
      ) e CROSS JOIN unnest(e.compartments) AS p(id)`;
  }

  /** The kind of row `r`, told from its type and, where the type's rule says, a token it carries. */
  private kindExpression(): Sql {
    const kinds = Object.entries(this.rules.types).map(([type, rule]) => {
      if (!rule.unless) return sql`WHEN ${type} THEN ${rule.kind}::text`;
      const { token, values, kind } = rule.unless;
      const carries = sql`EXISTS (SELECT 1 FROM sp_token t WHERE t.rid = r.rid AND t.resource_type = r.resource_type AND t.code = ${token} AND t.value = ANY(${[...values]}::text[]))`;
      return sql`WHEN ${type} THEN CASE WHEN ${carries} THEN ${kind}::text ELSE ${rule.kind}::text END`;
    });
    return sql`CASE r.resource_type ${kinds.reduce((a, b) => sql`${a} ${b}`)} END`;
  }
}
