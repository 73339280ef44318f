/**
 * Aggregate research queries over the whole region (role researcher only). A person is an enrolled regional
 * Patient (active network-enrolment Consent: a withdrawn resident is no longer counted) with its linked local
 * records; criteria select persons, groups count them, and the lab value (the latest in the period) gives
 * means and quartiles. No identifier leaves this module.
 *
 * Four defences, in order (docs/security.md, "Research statistics cannot be reversed"):
 * - cells under MIN_CELL persons are suppressed, and complementary suppression hides a second cell wherever one
 *   suppressed cell could be recovered from the others by subtraction;
 * - overlap restriction (query-set-size control with overlap restriction, Dobkin, Jones & Lipton 1979): a cell
 *   whose set of persons differs from any cell released before, to any researcher, by 1 to MIN_CELL − 1 persons
 *   is suppressed too (then complementary suppression runs again), so two queries differing by one person,
 *   one municipality or one day cannot be subtracted to isolate anyone; the same set again is answered alike;
 * - the audit (audit-expert.ts, Chin & Özsoyoglu 1982): a cell is suppressed when, with every cell released
 *   before, some combination of three or more of them would isolate one person (all − one part − the other);
 * - a quartile is the mean of the QUARTILE_SPREAD values nearest its rank, never one person's value.
 */
import type { RequestContext } from '../core/context';
import type { AuditSink } from '../audit/types';
import { ENROLMENT } from '../consent/model';
import type { Db } from '../store/db/database';
import { and, raw, sql, Sql } from '../core/sql';
import { badRequest, forbidden } from '../core/errors';
import { escapeLike } from '../fhir/search/normalize';
import { isolatesSomeone } from './audit-expert';

export const MIN_CELL = 10;
/** Values averaged into one quartile: fewer than MIN_CELL, so a small cell still has three distinct quartiles. */
export const QUARTILE_SPREAD = 5;
export const COHORT_DIMENSIONS = ['SEX', 'AGE_BAND', 'MUNICIPALITY'] as const;
export type CohortDimension = (typeof COHORT_DIMENSIONS)[number];

export interface CohortCriteria {
  icd10Prefix?: string;
  labCode?: string;
  labMin?: number;
  labMax?: number;
  hotPrefix?: string;
  ageMin?: number;
  ageMax?: number;
  sex?: string;
  municipality?: string;
  from?: Date;
  to?: Date;
}

export interface CohortGroup {
  key: string[];
  count: number | null;
  suppressed: boolean;
  mean: number | null;
  quartiles: number[] | null;
}

export interface CohortStatistics {
  groups: CohortGroup[];
  suppressedGroups: number;
}

const ICD10_SYSTEMS = ['http://jpfhir.jp/fhir/core/mhlw/CodeSystem/ICD10-2013-full', 'http://hl7.org/fhir/sid/icd-10', 'http://hl7.org/fhir/sid/icd-10-cm'];
const HOT_SYSTEMS = ['http://medis.or.jp/CodeSystem/master-HOT9', 'http://medis.or.jp/CodeSystem/master-HOT7', 'http://medis.or.jp/CodeSystem/master-HOT13', 'urn:oid:1.2.392.200119.4.403.1'];

/** 市区町村 from a Japanese address: the city element, or the municipality written in the free text. */
const MUNICIPALITY = sql`COALESCE(NULLIF(p.c->'address'->0->>'city', ''),
  substring(p.c->'address'->0->>'text' from '^(?:東京都|北海道|(?:京都|大阪)府|.{2,3}県)?(.+?[市区町村])'))`;

export class CohortStatisticsService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditSink
  ) {}

  async compute(ctx: RequestContext, criteria: CohortCriteria, groupBy: CohortDimension[]): Promise<CohortStatistics> {
    if (ctx.role !== 'researcher' && ctx.role !== 'admin') throw forbidden('Cohort statistics are for researchers');
    if (new Set(groupBy).size !== groupBy.length) throw badRequest('groupBy lists a dimension twice');
    if ((criteria.labMin !== undefined || criteria.labMax !== undefined) && !criteria.labCode) throw badRequest('labMin/labMax need labCode');
    const rows = await this.db.query<{ k0: string | null; k1: string | null; k2: string | null; n: string; mean: number | null; q: number[] | null; members: string[] }>(cohortSql(criteria, groupBy));
    const cells = rows.map((r) => ({
      key: [r.k0, r.k1, r.k2].slice(0, groupBy.length).map((k) => k ?? 'unknown'),
      count: Number(r.n),
      mean: r.mean === null ? null : Number(r.mean),
      quartiles: r.q?.map(Number) ?? null,
      members: r.members,
    }));
    // Releases are decided one query at a time: two concurrent queries differing by one person must not both
    // pass the overlap check before either is recorded.
    const groups = await this.db.transaction(async (tx) => {
      await tx.query(sql`SELECT pg_advisory_xact_lock(hashtextextended('research-release', 0))`);
      const overlapping: boolean[] = [];
      const passed: string[][] = [];
      for (const [i, hidden] of suppressedCells(cells).entries()) {
        const members = cells[i].members;
        const refused = !hidden && ((await overlapsReleased(tx, members)) || (await isolatesWithReleased(tx, members, passed)));
        if (!hidden && !refused) passed.push(members);
        overlapping.push(refused);
      }
      const hidden = suppressedCells(cells, overlapping);
      const released = cells.filter((_, i) => !hidden[i]);
      for (const cell of released) {
        await tx.query(sql`INSERT INTO research_release (client_id, size, members) VALUES (${ctx.clientId}, ${cell.members.length}, ${cell.members}::text[])`);
      }
      return cells.map((cell, i) => shown(cell, hidden[i]));
    });
    await this.audit.record(this.db, {
      ctx,
      action: 'operation',
      patientIds: [],
      entities: [],
      outcome: '0',
      description: `cohortStatistics ${JSON.stringify({ criteria, groupBy })}: ${groups.length} groups, ${groups.filter((g) => g.suppressed).length} suppressed`,
      remoteAddress: ctx.remoteAddress,
    });
    return { groups, suppressedGroups: groups.filter((g) => g.suppressed).length };
  }
}

/** Does this set of persons differ from a cell released before by at least one and fewer than MIN_CELL persons? */
async function overlapsReleased(db: Db, members: string[]): Promise<boolean> {
  const [row] = await db.query<{ found: boolean }>(sql`SELECT EXISTS (
    SELECT 1 FROM research_release r
    WHERE r.size BETWEEN ${members.length - MIN_CELL + 1} AND ${members.length + MIN_CELL - 1}
      AND (SELECT count(*) FROM (SELECT unnest(r.members) EXCEPT SELECT unnest(${members}::text[])) gone)
        + (SELECT count(*) FROM (SELECT unnest(${members}::text[]) EXCEPT SELECT unnest(r.members)) added) BETWEEN 1 AND ${MIN_CELL - 1}
  ) AS found`);
  return row.found;
}

/** Released cells connected to a candidate through shared persons are followed this many steps, and this many cells. */
const MAX_AUDIT_STEPS = 50;
const MAX_AUDIT_CELLS = 5_000;

/**
 * Would releasing this set of persons, beside the cells released before (to any researcher) and the cells of this
 * answer that passed, isolate anyone by some combination of them (audit-expert.ts)? Only released cells connected
 * to the candidate through shared persons can combine with it, so that connected part is read, step by step. When
 * it is larger than the audit will look at, the cell is refused: a cell that cannot be checked is not released.
 */
async function isolatesWithReleased(db: Db, members: string[], passed: string[][]): Promise<boolean> {
  const sets = [...passed, members];
  const persons = new Set(sets.flat());
  const seen: string[] = [];
  let frontier = [...persons];
  for (let step = 0; frontier.length; step++) {
    if (step === MAX_AUDIT_STEPS || seen.length > MAX_AUDIT_CELLS) return true;
    const rows = await db.query<{ id: string; members: string[] }>(sql`
      SELECT id::text, members FROM research_release WHERE members && ${frontier}::text[] AND id <> ALL(${seen}::bigint[])`);
    frontier = [];
    for (const row of rows) {
      seen.push(row.id);
      sets.push(row.members);
      for (const person of row.members) if (!persons.has(person)) persons.add(person), frontier.push(person);
    }
  }
  return isolatesSomeone(sets);
}

function cohortSql(c: CohortCriteria, groupBy: CohortDimension[]): Sql {
  const period = (dateCode: string, resourceType: string) => {
    const parts: Sql[] = [];
    if (c.from) parts.push(sql`d.hi > ${c.from.toISOString()}::timestamptz`);
    if (c.to) parts.push(sql`d.lo < ${c.to.toISOString()}::timestamptz`);
    return parts.length
      ? sql`AND EXISTS (SELECT 1 FROM sp_date d WHERE d.rid = r.rid AND d.resource_type = ${resourceType} AND d.code = ${dateCode} AND ${and(parts)})`
      : raw('');
  };
  const referenceDate = c.to ? sql`${c.to.toISOString()}::date` : raw('current_date');
  const filters: Sql[] = [];
  const joins: Sql[] = [];
  if (c.icd10Prefix) {
    filters.push(sql`p.person IN (SELECT pe.person FROM resource r JOIN sp_token t ON t.rid = r.rid
      JOIN person pe ON pe.patient_id = ANY(r.compartments)
      WHERE r.resource_type = 'Condition' AND NOT r.deleted AND t.resource_type = 'Condition' AND t.code = 'code'
        AND t.system = ANY(${ICD10_SYSTEMS}::text[]) AND t.value LIKE ${escapeLike(c.icd10Prefix) + '%'} ${period('onset-date', 'Condition')})`);
  }
  if (c.hotPrefix) {
    filters.push(sql`p.person IN (SELECT pe.person FROM resource r JOIN sp_token t ON t.rid = r.rid
      JOIN person pe ON pe.patient_id = ANY(r.compartments)
      WHERE r.resource_type = 'MedicationRequest' AND NOT r.deleted AND t.resource_type = 'MedicationRequest' AND t.code = 'code'
        AND t.system = ANY(${HOT_SYSTEMS}::text[]) AND t.value LIKE ${escapeLike(c.hotPrefix) + '%'} ${period('authoredon', 'MedicationRequest')})`);
  }
  if (c.labCode) {
    joins.push(sql`JOIN (
      SELECT DISTINCT ON (pe.person) pe.person, q.value
      FROM resource r JOIN sp_token t ON t.rid = r.rid AND t.resource_type = 'Observation' AND t.code = 'code' AND t.value = ${c.labCode}
        JOIN sp_quantity q ON q.rid = r.rid AND q.resource_type = 'Observation' AND q.code = 'value-quantity'
        JOIN person pe ON pe.patient_id = ANY(r.compartments)
        LEFT JOIN sp_date dd ON dd.rid = r.rid AND dd.resource_type = 'Observation' AND dd.code = 'date'
      WHERE r.resource_type = 'Observation' AND NOT r.deleted ${period('date', 'Observation')}
      ORDER BY pe.person, dd.lo DESC NULLS LAST
    ) lab ON lab.person = p.person`);
    if (c.labMin !== undefined) filters.push(sql`lab.value >= ${c.labMin}`);
    if (c.labMax !== undefined) filters.push(sql`lab.value <= ${c.labMax}`);
  }
  if (c.sex) filters.push(sql`p.c->>'gender' = ${c.sex}`);
  if (c.municipality) filters.push(sql`${MUNICIPALITY} = ${c.municipality}`);
  const age = sql`date_part('year', age(${referenceDate}, (p.c->>'birthDate')::date))`;
  if (c.ageMin !== undefined) filters.push(sql`${age} >= ${c.ageMin}`);
  if (c.ageMax !== undefined) filters.push(sql`${age} <= ${c.ageMax}`);

  const dimension: Record<CohortDimension, Sql> = {
    SEX: sql`COALESCE(p.c->>'gender', 'unknown')`,
    AGE_BAND: sql`CASE WHEN p.c->>'birthDate' IS NULL THEN 'unknown' WHEN ${age} >= 90 THEN '90+'
      ELSE (floor(${age} / 10) * 10)::int::text || '-' || (floor(${age} / 10) * 10 + 9)::int::text END`,
    MUNICIPALITY: sql`COALESCE(${MUNICIPALITY}, 'unknown')`,
  };
  const keys = [0, 1, 2].map((i) => (groupBy[i] ? sql`${dimension[groupBy[i]]} AS ${raw(`k${i}`)}` : sql`NULL::text AS ${raw(`k${i}`)}`));
  const value = c.labCode ? raw('lab.value') : raw('NULL::numeric');
  const spread = raw(String((QUARTILE_SPREAD - 1) / 2));
  const sameKeys = (a: string, b: string) => raw(`${a}.k0 IS NOT DISTINCT FROM ${b}.k0 AND ${a}.k1 IS NOT DISTINCT FROM ${b}.k1 AND ${a}.k2 IS NOT DISTINCT FROM ${b}.k2`);
  return sql`
    WITH person AS (
      SELECT r.id AS patient_id, COALESCE(l.regional_id, r.id) AS person
      FROM resource r LEFT JOIN patient_link l ON l.local_id = r.id
      WHERE r.resource_type = 'Patient' AND NOT r.deleted
    ),
    people AS (
      SELECT DISTINCT ON (pe.person) pe.person, r.content::jsonb AS c
      FROM person pe JOIN resource r ON r.resource_type = 'Patient' AND r.id = pe.person AND NOT r.deleted
      WHERE EXISTS (SELECT 1 FROM sp_reference x
        JOIN resource cr ON cr.rid = x.rid AND cr.resource_type = 'Consent' AND NOT cr.deleted
        JOIN sp_token kind ON kind.rid = cr.rid AND kind.resource_type = 'Consent' AND kind.code = 'category' AND kind.system = ${ENROLMENT.system as string} AND kind.value = ${ENROLMENT.code as string}
        JOIN sp_token st ON st.rid = cr.rid AND st.resource_type = 'Consent' AND st.code = 'status' AND st.value = 'active'
        WHERE x.resource_type = 'Consent' AND x.code = 'patient' AND x.target_type = 'Patient' AND x.target_id = pe.person)
      ORDER BY pe.person
    ),
    cohort AS (
      SELECT ${keys.reduce((a, b) => sql`${a}, ${b}`)}, ${value} AS value, p.person
      FROM people p ${joins.length ? joins.reduce((a, b) => sql`${a} ${b}`) : raw('')}
      WHERE ${and(filters)}
    ),
    ranked AS (
      SELECT k0, k1, k2, value, row_number() OVER (PARTITION BY k0, k1, k2 ORDER BY value) - 1 AS rank, count(*) OVER (PARTITION BY k0, k1, k2) AS valued
      FROM cohort WHERE value IS NOT NULL
    ),
    quartile AS (
      SELECT k0, k1, k2, array_agg(v ORDER BY p) AS q FROM (
        SELECT r.k0, r.k1, r.k2, qp.p, avg(r.value)::float8 AS v
        FROM ranked r CROSS JOIN (VALUES (0.25), (0.5), (0.75)) AS qp(p)
        WHERE abs(r.rank - round(qp.p * (r.valued - 1))) <= ${spread}
        GROUP BY r.k0, r.k1, r.k2, qp.p) around
      GROUP BY k0, k1, k2
    )
    SELECT c.k0, c.k1, c.k2, count(*) AS n, avg(c.value)::float8 AS mean, array_agg(c.person ORDER BY c.person) AS members,
      (SELECT q.q FROM quartile q WHERE ${sameKeys('q', 'c')}) AS q
    FROM cohort c GROUP BY c.k0, c.k1, c.k2 ORDER BY c.k0, c.k1, c.k2`;
}

interface Cell {
  key: string[];
  count: number;
  mean: number | null;
  quartiles: number[] | null;
}

/**
 * Which cells are hidden: primary suppression (< MIN_CELL, or named in `alsoHidden`), then complementary
 * suppression to a fixed point: within the whole table and within every slice that fixes all dimensions but
 * one, a lone suppressed cell would be the slice's total (known from a coarser query) minus the others, so the
 * smallest other cell is suppressed too.
 */
function suppressedCells(cells: Cell[], alsoHidden: boolean[] = []): boolean[] {
  const hidden = cells.map((c, i) => c.count < MIN_CELL || alsoHidden[i] === true);
  const dimensions = cells[0]?.key.length ?? 0;
  const slices: number[][] = [cells.map((_, i) => i)];
  for (let d = 0; d < dimensions && dimensions > 1; d++) {
    const byRest = new Map<string, number[]>();
    cells.forEach((cell, i) => {
      const rest = JSON.stringify(cell.key.filter((_, j) => j !== d));
      byRest.set(rest, [...(byRest.get(rest) ?? []), i]);
    });
    slices.push(...byRest.values());
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const slice of slices) {
      const suppressedHere = slice.filter((i) => hidden[i]);
      const open = slice.filter((i) => !hidden[i]).sort((a, b) => cells[a].count - cells[b].count);
      if (suppressedHere.length === 1 && open.length > 0) {
        hidden[open[0]] = true;
        changed = true;
      }
    }
  }
  return hidden;
}

function shown(cell: Cell, hidden: boolean): CohortGroup {
  return hidden ? { key: cell.key, count: null, suppressed: true, mean: null, quartiles: null } : { key: cell.key, count: cell.count, suppressed: false, mean: cell.mean, quartiles: cell.quartiles };
}
