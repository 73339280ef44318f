/**
 * One patient's record across facilities as a single time line, newest first: encounters, diagnoses,
 * prescriptions, injections, lab results, imaging, documents and the resident's own vitals. The kind and the
 * time of each entry are computed from the search tables when it is written (the `timeline_entry` read model,
 * kept by a write hook), so a page is one statement that walks a patient's entries newest first, with the
 * caller's access predicate in its WHERE like every other read.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import type { AccessPolicy } from '../consent/access';
import type { Db } from '../store/db/database';
import type { StoredVersion } from '../fhir/store';
import { and, raw, sql, Sql } from '../core/sql';
import { badRequest } from '../core/errors';
import { linkedPatientIds, readScopeSql } from '../store/read-scope';

export const TIMELINE_KINDS = ['ENCOUNTER', 'CONDITION', 'ALLERGY', 'MEDICATION', 'INJECTION', 'LAB_RESULT', 'IMAGING', 'DOCUMENT', 'VITAL'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/** Which date search parameters place each resource type on the line, in order of preference. */
const TIME_OF: Record<string, string[]> = {
  Encounter: ['date'],
  Condition: ['onset-date', 'recorded-date'],
  AllergyIntolerance: ['onset', 'date'],
  MedicationRequest: ['authoredon'],
  MedicationAdministration: ['effective-time'],
  Immunization: ['date'],
  Observation: ['date'],
  ImagingStudy: ['started'],
  DocumentReference: ['date'],
};

const INJECTION_PROFILES = [
  'http://jpfhir.jp/fhir/core/StructureDefinition/JP_MedicationRequest_Injection',
  'http://jpfhir.jp/fhir/core/StructureDefinition/JP_MedicationAdministration_Injection',
];

export interface TimelineEntry {
  at: Date;
  kind: TimelineKind;
  resource: Resource;
  /** "Organization/<id>" that supplied it, or "Patient/<id>" for the resident's own entries. */
  source?: string;
  rid: string;
}

export interface TimelinePage {
  entries: TimelineEntry[];
  endCursor?: string;
  hasNextPage: boolean;
}

export interface TimelineQuery {
  patientId: string;
  from?: Date;
  to?: Date;
  kinds?: TimelineKind[];
  first: number;
  after?: string;
}

export const MAX_TIMELINE_PAGE = 500;
/** Entries read from the index at a time, before they are checked against the caller's access. */
const CHUNK = 200;

interface TimelineRow {
  rid: string;
  at: Date | string;
  kind: TimelineKind;
  resource_type: string;
  content: string;
  source: string | null;
}

/**
 * Names the rules that fill the read model (TIME_OF, VITAL_CATEGORIES, INJECTION_PROFILES, kindExpression): a change
 * to them must change this, and the server then refills the read model at its next start.
 */
const READ_MODEL_VERSION = '1';
const READ_MODEL_SETTING = 'timeline_read_model';

export class Timeline {
  constructor(
    private readonly db: Db,
    private readonly access: AccessPolicy
  ) {}

  async page(ctx: RequestContext, query: TimelineQuery): Promise<TimelinePage> {
    if (query.first < 1 || query.first > MAX_TIMELINE_PAGE) throw badRequest(`first must be between 1 and ${MAX_TIMELINE_PAGE}`);
    this.access.assertMayRead(ctx, 'Patient');
    const kinds = query.kinds?.length ? query.kinds : [...TIMELINE_KINDS];
    const conditions: Sql[] = [sql`t.patient_id = ANY(${linkedPatientIds(query.patientId)})`];
    if (new Set(kinds).size < TIMELINE_KINDS.length) conditions.push(sql`t.kind = ANY(${kinds}::text[])`);
    if (query.from) conditions.push(sql`t.at >= ${query.from.toISOString()}::timestamptz`);
    if (query.to) conditions.push(sql`t.at < ${query.to.toISOString()}::timestamptz`);
    const limit = query.first + 1;
    // The patient's entries are read newest first in chunks from the (patient, time) index alone, and only a
    // chunk's entries are joined to their resources under the access predicate: planned however stale the
    // statistics (a patient with thousands of entries among patients with a hundred looked small enough to
    // join and sort all of them). Another chunk is read only when too few of one were visible.
    const chunk = Math.max(CHUNK, 2 * limit);
    const found = new Map<string, TimelineRow>();
    let after = query.after ? decodeCursor(query.after) : undefined;
    for (;;) {
      const scanFrom = after ? [sql`(t.at, t.rid) < (${after[0]}::timestamptz, ${after[1]}::bigint)`] : [];
      const rows = await this.db.query<TimelineRow & { edge: boolean; scanned: string }>(sql`
        WITH scanned AS MATERIALIZED (
          SELECT DISTINCT t.rid, t.at, t.kind FROM timeline_entry t WHERE ${and([...conditions, ...scanFrom])}
          ORDER BY t.at DESC, t.rid DESC LIMIT ${chunk}
        )
        (SELECT r.rid::text AS rid, s.at, s.kind, r.resource_type, r.content, r.source, false AS edge, 0 AS scanned
         FROM scanned s JOIN resource r ON r.rid = s.rid
         WHERE NOT r.deleted AND ${readScopeSql(this.access.readScope(ctx), 'r')}
         ORDER BY s.at DESC, s.rid DESC LIMIT ${limit})
        UNION ALL
        SELECT l.rid::text, l.at, NULL, NULL, NULL, NULL, true, (SELECT count(*) FROM scanned)
        FROM (SELECT rid, at FROM scanned ORDER BY at, rid LIMIT 1) l`.prepared());
      for (const row of rows) if (!row.edge) found.set(row.rid, row);
      const edge = rows.find((row) => row.edge);
      if (found.size >= limit || !edge || Number(edge.scanned) < chunk) break;
      after = [new Date(edge.at).toISOString(), edge.rid];
    }
    // A resource in two linked compartments is one entry (DISTINCT, and one key here).
    const rows = [...found.values()].sort((a, b) => +new Date(b.at) - +new Date(a.at) || (BigInt(b.rid) > BigInt(a.rid) ? 1 : -1)).slice(0, limit);
    const more = rows.length > query.first;
    const entries = rows.slice(0, query.first).map((row) => ({
      rid: row.rid,
      at: new Date(row.at),
      kind: row.kind,
      source: row.source ?? undefined,
      resource: JSON.parse(row.content) as Resource,
    }));
    const last = entries[entries.length - 1];
    return { entries, hasNextPage: more, endCursor: last ? encodeCursor(last.at, last.rid) : undefined };
  }

  /** Fills the read model from the stored resources when it was made under other rules (or never), once per change of rules. */
  async ensureReadModel(): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // Several processes starting together: one fills, the others find it done.
      await tx.query(sql`SELECT pg_advisory_xact_lock(hashtextextended(${READ_MODEL_SETTING}, 0))`);
      const [row] = await tx.query<{ value: string }>(sql`SELECT value FROM server_setting WHERE key = ${READ_MODEL_SETTING}`);
      if (row?.value === READ_MODEL_VERSION) return false;
      await tx.query(sql`DELETE FROM timeline_entry`);
      await tx.query(entriesOf(raw('TRUE')));
      await tx.query(sql`INSERT INTO server_setting (key, value) VALUES (${READ_MODEL_SETTING}, ${READ_MODEL_VERSION})
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`);
      return true;
    });
  }
}

/** The write hook: the entries of every written resource of a timeline type are replaced in the writing transaction. */
export async function maintainTimeline(tx: Db, versions: StoredVersion[]): Promise<void> {
  const written = versions.filter((v) => v.resource.resourceType in TIME_OF);
  if (!written.length) return;
  const types = written.map((v) => v.resource.resourceType);
  const ids = written.map((v) => v.resource.id as string);
  const these = sql`(r.resource_type, r.id) IN (SELECT * FROM unnest(${types}::text[], ${ids}::text[]))`;
  await tx.query(sql`DELETE FROM timeline_entry t USING resource r WHERE t.rid = r.rid AND ${these}`);
  await tx.query(entriesOf(these));
}

/**
 * The entries of the resource rows `r` matching `where`: the time is the earliest value of the type's date
 * parameters (TIME_OF), else the last update; the kind from the type and, where a type holds two, its
 * category or profile. One row per Patient compartment the resource is in.
 */
function entriesOf(where: Sql): Sql {
  const timeCodes = sql`(VALUES ${Object.entries(TIME_OF).map(([t, codes]) => sql`(${t}, ${codes}::text[])`).reduce((a, b) => sql`${a}, ${b}`)}) AS k(resource_type, codes)`;
  return sql`INSERT INTO timeline_entry (patient_id, at, rid, kind)
    SELECT p.id, e.at, e.rid, e.kind FROM (
      SELECT r.rid, r.compartments, ${kindExpression('r')} AS kind,
        COALESCE(NULLIF((SELECT min(d.lo) FROM sp_date d WHERE d.rid = r.rid AND d.resource_type = r.resource_type AND d.code = ANY(k.codes)), '-infinity'), r.last_updated) AS at
      FROM resource r JOIN ${timeCodes} ON k.resource_type = r.resource_type
      WHERE NOT r.deleted AND ${where}
    ) e CROSS JOIN unnest(e.compartments) AS p(id)`;
}

/** Vital signs and JP Core 1.2's body measurements (height, weight from ADT-00) are shown as vitals, not lab results. */
const VITAL_CATEGORIES = ['vital-signs', 'body-measurement'];

/** The kind of a row, told from its type and, for observations and medications, its category or profile. */
function kindExpression(alias: string): Sql {
  const row = raw(alias);
  const hasToken = (code: string, value: Sql) =>
    sql`EXISTS (SELECT 1 FROM sp_token t WHERE t.rid = ${row}.rid AND t.resource_type = ${row}.resource_type AND t.code = ${code} AND t.value = ${value})`;
  const injection = hasToken('_profile', sql`ANY(${INJECTION_PROFILES}::text[])`);
  return sql`CASE ${row}.resource_type
    WHEN 'Encounter' THEN 'ENCOUNTER'
    WHEN 'Condition' THEN 'CONDITION'
    WHEN 'AllergyIntolerance' THEN 'ALLERGY'
    WHEN 'Immunization' THEN 'INJECTION'
    WHEN 'MedicationRequest' THEN CASE WHEN ${injection} THEN 'INJECTION' ELSE 'MEDICATION' END
    WHEN 'MedicationAdministration' THEN CASE WHEN ${injection} THEN 'INJECTION' ELSE 'MEDICATION' END
    WHEN 'Observation' THEN CASE WHEN ${hasToken('category', sql`ANY(${VITAL_CATEGORIES}::text[])`)} THEN 'VITAL' ELSE 'LAB_RESULT' END
    WHEN 'ImagingStudy' THEN 'IMAGING'
    WHEN 'DocumentReference' THEN 'DOCUMENT'
  END`;
}

function encodeCursor(at: Date, rid: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), rid])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const [at, rid] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof at !== 'string' || !/^\d+$/.test(rid)) throw new Error();
    return [at, rid];
  } catch {
    throw badRequest('Invalid cursor "after"');
  }
}
