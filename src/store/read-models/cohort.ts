/**
 * The research statistics' read model: the cells of a cohort (enrolled persons selected by criteria and
 * grouped), each with its members, mean and quartiles, and research_release, the member sets of every cell
 * released before. research/cohort.ts keeps the defences (suppression, overlap restriction, the audit) and
 * decides which cells are released; this module reads and records them. No identifier leaves the research
 * domain: the members are for its checks only.
 */
import type { Db } from '../db/database';
import { and, raw, sql, Sql } from '../../core/sql';

export const COHORT_DIMENSIONS = ['SEX', 'AGE_BAND', 'MUNICIPALITY'] as const;
export type CohortDimension = (typeof COHORT_DIMENSIONS)[number];

/** Codes of one coding system family whose value matches the LIKE `pattern`. */
export interface CodePattern {
  systems: readonly string[];
  pattern: string;
}

/** A person's properties asked for, and the period that bounds the records' own dates (and the age's reference date). */
export interface PersonCriteria {
  ageMin?: number;
  ageMax?: number;
  sex?: string;
  municipality?: string;
  from?: Date;
  to?: Date;
}

/**
 * Who is counted: a regional Patient (with its linked local records) under an active Consent of the
 * `enrolment` category, with the records and properties asked for.
 */
export interface CohortSelection extends PersonCriteria {
  enrolment: { system: string; code: string };
  condition?: CodePattern;
  medication?: CodePattern;
  /** The latest value in the period of this lab code, optionally within bounds. */
  lab?: { code: string; min?: number; max?: number };
}

export interface CohortCell {
  /** One value per dimension grouped by, 'unknown' where a person has none. */
  key: string[];
  count: number;
  mean: number | null;
  quartiles: number[] | null;
  /** The persons (regional Patient ids) counted, sorted. */
  members: string[];
}

/**
 * The people a clinical resource belongs to: its compartments unnested and joined by equality, so PostgreSQL can
 * hash the join. Joined as `pe.patient_id = ANY(r.compartments)` it could only test every resource against
 * every patient: at 250,000 resources the HbA1c results alone were 119 million comparisons, 9.8 s a query.
 */
const OWNER_PERSON = raw('CROSS JOIN LATERAL unnest(r.compartments) AS owner(patient_id) JOIN person pe ON pe.patient_id = owner.patient_id');

/** 市区町村 from a Japanese address: the city element, or the municipality written in the free text. */
const MUNICIPALITY = sql`COALESCE(NULLIF(p.c->'address'->0->>'city', ''),
  substring(p.c->'address'->0->>'text' from '^(?:東京都|北海道|(?:京都|大阪)府|.{2,3}県)?(.+?[市区町村])'))`;

export class CohortCells {
  constructor(private readonly db: Db) {}

  /** The cells of the selection grouped by the dimensions, each quartile the mean of the `quartileSpread` values nearest its rank. */
  async of(selection: CohortSelection, groupBy: readonly CohortDimension[], quartileSpread: number): Promise<CohortCell[]> {
    const rows = await this.db.query<{ k0: string | null; k1: string | null; k2: string | null; n: string; mean: number | null; q: number[] | null; members: string[] }>(cohortSql(selection, groupBy, quartileSpread));
    return rows.map((r) => ({
      key: [r.k0, r.k1, r.k2].slice(0, groupBy.length).map((k) => k ?? 'unknown'),
      count: Number(r.n),
      mean: r.mean === null ? null : Number(r.mean),
      quartiles: r.q?.map(Number) ?? null,
      members: r.members,
    }));
  }
}

/** A released cell: its id and its members. */
export interface ReleasedCell {
  id: string;
  members: string[];
}

/** The cells released before, within the transaction that decides one answer's releases. */
export class ReleasedCells {
  constructor(private readonly tx: Db) {}

  /** Does some cell released before differ from this set of persons by at least one and fewer than `closerThan` persons? */
  async someDiffersByFewerThan(closerThan: number, members: string[]): Promise<boolean> {
    const [row] = await this.tx.query<{ found: boolean }>(sql`SELECT EXISTS (
      SELECT 1 FROM research_release r
      WHERE r.size BETWEEN ${members.length - closerThan + 1} AND ${members.length + closerThan - 1}
        AND (SELECT count(*) FROM (SELECT unnest(r.members) EXCEPT SELECT unnest(${members}::text[])) gone)
          + (SELECT count(*) FROM (SELECT unnest(${members}::text[]) EXCEPT SELECT unnest(r.members)) added) BETWEEN 1 AND ${closerThan - 1}
    ) AS found`);
    return row.found;
  }

  /** The released cells sharing a person with `persons`, but those in `seen` (ids). */
  async sharingAnyOf(persons: string[], seen: string[]): Promise<ReleasedCell[]> {
    return this.tx.query<ReleasedCell>(sql`
      SELECT id::text, members FROM research_release WHERE members && ${persons}::text[] AND id <> ALL(${seen}::bigint[])`);
  }

  async record(clientId: string, members: string[]): Promise<void> {
    await this.tx.query(sql`INSERT INTO research_release (client_id, size, members) VALUES (${clientId}, ${members.length}, ${members}::text[])`);
  }
}

export class ResearchReleases {
  constructor(private readonly db: Db) {}

  /**
   * Runs `decide` over the cells released before, one answer at a time: two concurrent queries differing by
   * one person must not both pass the checks before either is recorded.
   */
  decide<T>(decide: (released: ReleasedCells) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query(sql`SELECT pg_advisory_xact_lock(hashtextextended('research-release', 0))`);
      return decide(new ReleasedCells(tx));
    });
  }
}

function cohortSql(c: CohortSelection, groupBy: readonly CohortDimension[], quartileSpread: number): Sql {
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
  /** The people a clinical criterion selects, each computed once before the cohort is (see OWNER_PERSON). */
  const sets: Sql[] = [];
  if (c.condition) {
    sets.push(sql`with_condition AS MATERIALIZED (SELECT DISTINCT pe.person FROM resource r JOIN sp_token t ON t.rid = r.rid
      ${OWNER_PERSON}
      WHERE r.resource_type = 'Condition' AND NOT r.deleted AND t.resource_type = 'Condition' AND t.code = 'code'
        AND t.system = ANY(${[...c.condition.systems]}::text[]) AND t.value LIKE ${c.condition.pattern} ${period('onset-date', 'Condition')})`);
    filters.push(sql`p.person IN (SELECT person FROM with_condition)`);
  }
  if (c.medication) {
    sets.push(sql`with_medication AS MATERIALIZED (SELECT DISTINCT pe.person FROM resource r JOIN sp_token t ON t.rid = r.rid
      ${OWNER_PERSON}
      WHERE r.resource_type = 'MedicationRequest' AND NOT r.deleted AND t.resource_type = 'MedicationRequest' AND t.code = 'code'
        AND t.system = ANY(${[...c.medication.systems]}::text[]) AND t.value LIKE ${c.medication.pattern} ${period('authoredon', 'MedicationRequest')})`);
    filters.push(sql`p.person IN (SELECT person FROM with_medication)`);
  }
  if (c.lab) {
    joins.push(sql`JOIN (
      SELECT DISTINCT ON (pe.person) pe.person, q.value
      FROM resource r JOIN sp_token t ON t.rid = r.rid AND t.resource_type = 'Observation' AND t.code = 'code' AND t.value = ${c.lab.code}
        JOIN sp_quantity q ON q.rid = r.rid AND q.resource_type = 'Observation' AND q.code = 'value-quantity'
        ${OWNER_PERSON}
        LEFT JOIN sp_date dd ON dd.rid = r.rid AND dd.resource_type = 'Observation' AND dd.code = 'date'
      WHERE r.resource_type = 'Observation' AND NOT r.deleted ${period('date', 'Observation')}
      ORDER BY pe.person, dd.lo DESC NULLS LAST
    ) lab ON lab.person = p.person`);
    if (c.lab.min !== undefined) filters.push(sql`lab.value >= ${c.lab.min}`);
    if (c.lab.max !== undefined) filters.push(sql`lab.value <= ${c.lab.max}`);
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
  const value = c.lab ? raw('lab.value') : raw('NULL::numeric');
  const spread = raw(String((quartileSpread - 1) / 2));
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
        JOIN sp_token kind ON kind.rid = cr.rid AND kind.resource_type = 'Consent' AND kind.code = 'category' AND kind.system = ${c.enrolment.system} AND kind.value = ${c.enrolment.code}
        JOIN sp_token st ON st.rid = cr.rid AND st.resource_type = 'Consent' AND st.code = 'status' AND st.value = 'active'
        WHERE x.resource_type = 'Consent' AND x.code = 'patient' AND x.target_type = 'Patient' AND x.target_id = pe.person)
      ORDER BY pe.person
    ),
    ${sets.length ? sql`${sets.reduce((a, b) => sql`${a}, ${b}`)},` : raw('')}
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
