/**
 * One patient's record across facilities as a single time line, newest first: encounters, diagnoses,
 * prescriptions, injections, lab results, imaging, documents and the resident's own vitals. One SQL
 * statement per page whatever the page size: the kind and the time of each entry are computed from the
 * search tables, and the caller's access predicate is part of the WHERE like every other read.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../auth/context';
import type { AccessPolicy } from '../consent/access';
import { linkedPatientIds } from '../consent/grants';
import type { Db } from '../db/database';
import { and, raw, sql, Sql } from '../db/sql';
import { badRequest } from '../fhir/errors';

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

/** The kinds each type can be (some types hold two, told apart per row by kindExpression). */
const KINDS_OF: Record<string, TimelineKind[]> = {
  Encounter: ['ENCOUNTER'],
  Condition: ['CONDITION'],
  AllergyIntolerance: ['ALLERGY'],
  MedicationRequest: ['MEDICATION', 'INJECTION'],
  MedicationAdministration: ['MEDICATION', 'INJECTION'],
  Immunization: ['INJECTION'],
  Observation: ['VITAL', 'LAB_RESULT'],
  ImagingStudy: ['IMAGING'],
  DocumentReference: ['DOCUMENT'],
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

export class Timeline {
  constructor(
    private readonly db: Db,
    private readonly access: AccessPolicy
  ) {}

  async page(ctx: RequestContext, query: TimelineQuery): Promise<TimelinePage> {
    if (query.first < 1 || query.first > MAX_TIMELINE_PAGE) throw badRequest(`first must be between 1 and ${MAX_TIMELINE_PAGE}`);
    this.access.assertMayRead(ctx, 'Patient');
    const kinds = query.kinds?.length ? query.kinds : [...TIMELINE_KINDS];
    // Only the types that can hold a wanted kind; the per-row kind test is needed only where a type holds
    // wanted and unwanted kinds alike (vitals among lab results, injections among prescriptions).
    const types = Object.entries(TIME_OF).filter(([type]) => KINDS_OF[type].some((k) => kinds.includes(k)));
    const partial = types.some(([type]) => !KINDS_OF[type].every((k) => kinds.includes(k)));
    const timeCodes = sql`(VALUES ${types.map(([t, codes]) => sql`(${t}, ${codes}::text[])`).reduce((a, b) => sql`${a}, ${b}`)}) AS k(resource_type, codes)`;
    const conditions: Sql[] = [];
    if (partial) conditions.push(sql`${kindExpression('r')} = ANY(${kinds}::text[])`);
    const atConditions: Sql[] = [raw('TRUE')];
    if (query.from) atConditions.push(sql`e.at >= ${query.from.toISOString()}::timestamptz`);
    if (query.to) atConditions.push(sql`e.at < ${query.to.toISOString()}::timestamptz`);
    if (query.after) {
      const [at, rid] = decodeCursor(query.after);
      atConditions.push(sql`(e.at, e.rid) < (${at}::timestamptz, ${rid}::bigint)`);
    }
    // The page is cut on (time, rid) alone; the kind and the content are read for the rows kept.
    const rows = await this.db.query<{ rid: string; resource_type: string; content: string; source: string | null; at: Date | string; kind: TimelineKind }>(sql`
      SELECT r.rid::text AS rid, r.resource_type, r.content, r.source, e.at, ${kindExpression('r')} AS kind
      FROM (
        SELECT e.rid, e.at FROM (
          SELECT r.rid,
            COALESCE(NULLIF((SELECT min(d.lo) FROM sp_date d WHERE d.rid = r.rid AND d.resource_type = r.resource_type AND d.code = ANY(k.codes)), '-infinity'), r.last_updated) AS at
          FROM resource r JOIN ${timeCodes} ON k.resource_type = r.resource_type
          WHERE r.compartments && ${linkedPatientIds(query.patientId)} AND NOT r.deleted AND ${this.access.readFilter(ctx, 'r')} ${conditions.length ? sql`AND ${and(conditions)}` : raw('')}
        ) e
        WHERE ${and(atConditions)}
        ORDER BY e.at DESC, e.rid DESC
        LIMIT ${query.first + 1}
      ) e JOIN resource r ON r.rid = e.rid
      ORDER BY e.at DESC, e.rid DESC`);
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
