/**
 * Runs a parsed search: one page of matches cut by a keyset cursor, the total when asked, and the
 * _include / _revinclude resources, all under the caller's access predicate.
 */
import { Filter, IncludeTarget, SearchRequest } from '@medplum/core';
import type { Db } from '../db/database';
import { and, raw, sql, Sql } from '../../core/sql';
import { badRequest } from '../../core/errors';
import { compileFilters, FilterScope } from './filters';
import { rowsOf } from './layout';
import { afterCursor, Cursor, decodeCursor, encodeCursor, orderBy, sortKeys } from './sort';

export interface StoredRow {
  rid: string;
  resource_type: string;
  id: string;
  content: string;
}

export interface SearchPage {
  matches: StoredRow[];
  included: StoredRow[];
  total?: number;
  nextCursor?: string;
  prevCursor?: string;
}

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;
/** `_total=estimate` counts at most this many matches, so that it costs about what a page costs. */
const TOTAL_LIMIT = 10_000;
const MAX_INCLUDE_DEPTH = 5;
const MAX_INCLUDED = 1000;

export interface SearchInput {
  request: SearchRequest;
  /** Several types for a system-level search (`_type`), otherwise the request's type. */
  types: string[];
  visible: (alias: string) => Sql;
  /** Extra conditions from the caller (e.g. a compartment). */
  extra?: Sql;
}

export function matchCondition(input: SearchInput, alias = 'r'): Sql {
  const row = raw(alias);
  const single = input.types.length === 1;
  const scope: FilterScope = {
    alias,
    resourceType: input.types[0],
    types: input.types,
    typeExpr: single ? sql`${input.types[0]}` : sql`${row}.resource_type`,
    visible: input.visible,
    depth: 0,
  };
  const conditions: Sql[] = [
    single ? sql`${row}.resource_type = ${input.types[0]}` : sql`${row}.resource_type = ANY(${input.types}::text[])`,
    sql`NOT ${row}.deleted`,
    input.visible(alias),
  ];
  conditions.push(...compileFilters(scope, (input.request.filters ?? []) as Filter[]));
  if (input.extra) conditions.push(input.extra);
  return and(conditions);
}

export async function executeSearch(db: Db, input: SearchInput): Promise<SearchPage> {
  const { request } = input;
  const count = Math.min(request.count ?? DEFAULT_COUNT, MAX_COUNT);
  const keys = sortKeys(input.types[0], request.sortRules, 'r');
  const where = matchCondition(input);
  const cursor: Cursor | undefined = request.cursor ? decodeCursor(request.cursor, keys.length) : undefined;
  const back = cursor?.direction === 'prev';
  const page = cursor ? and([where, afterCursor(keys, cursor, 'r')]) : where;
  const selectKeys = keys.map((k, i) => sql`, (${k.expr})::text AS ${raw(`k${i}`)}`).reduce((acc, s) => sql`${acc}${s}`, raw(''));
  const offset = cursor ? 0 : (request.offset ?? 0);

  let rows: (StoredRow & Record<string, string | null>)[] = [];
  if (count > 0) {
    rows = await db.query(sql`SELECT r.rid::text AS rid, r.resource_type, r.id, r.content${selectKeys}
      FROM resource r WHERE ${page} ORDER BY ${orderBy(keys, 'r', back)} LIMIT ${count + 1} OFFSET ${offset}`);
  }
  const more = rows.length > count;
  if (more) rows = rows.slice(0, count);
  // A first page that is not full holds every match: its length is the total, free of charge (most searches of
  // one patient or one identifier end on their first page). Beyond the page, matches are counted only when
  // asked (`_total=accurate|estimate`, or `_count=0`, which asks for nothing else): a count reads every match,
  // which on a large result costs many times the page itself.
  const whole = count > 0 && !more && !cursor && offset === 0;
  const total = whole && request.total !== 'none' ? rows.length : await countIfAsked(db, request, where, count);
  if (back) rows.reverse();

  const cursorAt = (row: StoredRow & Record<string, string | null>, direction: 'next' | 'prev'): string =>
    encodeCursor({ rid: row.rid, direction, values: keys.map((_, i) => row[`k${i}`] ?? null) });
  const result: SearchPage = { matches: rows.map(stripKeys), included: [], total };
  if (rows.length) {
    const hasAfter = back ? true : more;
    const hasBefore = back ? more : !!cursor || offset > 0;
    if (hasAfter) result.nextCursor = cursorAt(rows[rows.length - 1], 'next');
    if (hasBefore) result.prevCursor = cursorAt(rows[0], 'prev');
  }
  result.included = await loadIncludes(db, input, result.matches);
  return result;
}

function stripKeys(row: StoredRow): StoredRow {
  return { rid: row.rid, resource_type: row.resource_type, id: row.id, content: row.content };
}

async function countIfAsked(db: Db, request: SearchRequest, where: Sql, count: number): Promise<number | undefined> {
  const mode = request.total ?? (count === 0 ? 'accurate' : 'none');
  if (mode === 'none') return undefined;
  if (mode === 'estimate') {
    // An estimate counts at most TOTAL_LIMIT rows, so it costs what a page costs.
    const [row] = await db.query<{ n: string }>(sql`SELECT count(*) AS n FROM (SELECT 1 FROM resource r WHERE ${where} LIMIT ${TOTAL_LIMIT}) t`);
    return Number(row.n);
  }
  const [row] = await db.query<{ n: string }>(sql`SELECT count(*) AS n FROM resource r WHERE ${where}`);
  return Number(row.n);
}

/** _include and _revinclude (with :iterate), each step through the same access predicate. */
async function loadIncludes(db: Db, input: SearchInput, matches: StoredRow[]): Promise<StoredRow[]> {
  const { include = [], revInclude = [] } = input.request;
  if (!matches.length || (!include.length && !revInclude.length)) return [];
  const seen = new Set(matches.map((m) => m.rid));
  const included: StoredRow[] = [];
  let frontier = matches;
  for (let depth = 0; depth < MAX_INCLUDE_DEPTH && frontier.length; depth++) {
    const step: StoredRow[] = [];
    const targets = (list: IncludeTarget[]): IncludeTarget[] => list.filter((t) => depth === 0 || t.modifier === 'iterate');
    for (const target of targets(include)) step.push(...(await includeStep(db, input, frontier, target)));
    for (const target of targets(revInclude)) step.push(...(await revIncludeStep(db, input, frontier, target)));
    frontier = step.filter((row) => !seen.has(row.rid) && seen.add(row.rid));
    included.push(...frontier);
    if (included.length > MAX_INCLUDED) throw badRequest(`_include/_revinclude would return more than ${MAX_INCLUDED} resources; narrow the search`);
  }
  return included;
}

async function includeStep(db: Db, input: SearchInput, from: StoredRow[], target: IncludeTarget): Promise<StoredRow[]> {
  const sources = from.filter((r) => r.resource_type === target.resourceType).map((r) => r.rid);
  if (!sources.length) return [];
  const typeFilter = target.targetType ? sql`AND x.target_type = ${target.targetType}` : raw('');
  return db.query(sql`SELECT t.rid::text AS rid, t.resource_type, t.id, t.content
    FROM sp_reference x JOIN resource t ON t.resource_type = x.target_type AND t.id = x.target_id
    WHERE x.rid = ANY(${sources}::bigint[]) AND x.resource_type = ${target.resourceType} AND ${rowsOf('x', [target.resourceType], target.searchParam)} ${typeFilter}
      AND NOT t.deleted AND ${input.visible('t')}`);
}

async function revIncludeStep(db: Db, input: SearchInput, from: StoredRow[], target: IncludeTarget): Promise<StoredRow[]> {
  const candidates = target.targetType ? from.filter((r) => r.resource_type === target.targetType) : from;
  if (!candidates.length) return [];
  // What points at a regional Patient's linked local records is included with it, as in patient-scoped searches.
  const patients = candidates.filter((c) => c.resource_type === 'Patient').map((c) => c.id);
  const locals = patients.length
    ? (await db.query<{ local_id: string }>(sql`SELECT local_id FROM patient_link WHERE regional_id = ANY(${patients}::text[])`)).map((r) => ({ resource_type: 'Patient', id: r.local_id }))
    : [];
  const targets = [...candidates, ...locals];
  return db.query(sql`SELECT t.rid::text AS rid, t.resource_type, t.id, t.content
    FROM sp_reference x JOIN resource t ON t.rid = x.rid
    WHERE x.resource_type = ${target.resourceType} AND ${rowsOf('x', [target.resourceType], target.searchParam)}
      AND (x.target_type, x.target_id) IN (SELECT * FROM unnest(${targets.map((c) => c.resource_type)}::text[], ${targets.map((c) => c.id)}::text[]))
      AND NOT t.deleted AND ${input.visible('t')}`);
}
