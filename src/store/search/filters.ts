/**
 * Compiles one search filter into a SQL predicate over a resource row, by the parameter's kind.
 * Each kind reads its own search table with an EXISTS sub-query, so filters combine freely with AND
 * (repeated parameters) and OR (comma-separated values).
 */
import { Filter, Operator, splitSearchOnComma } from '@medplum/core';
import type { SearchParameter } from '@medplum/fhirtypes';
import { and, or, raw, sql, Sql } from '../../core/sql';
import { searchParameterOf } from '../../core/definitions';
import { badRequest } from '../../core/errors';
import { parseDateRange } from './dates';
import { layoutOf, ROW_COLUMNS, rowsOf, tokenQuantityPairsOf } from './layout';
import { escapeLike, normalizeString } from './normalize';
import { parseFilter, prefixed } from './parse';
import { linkedPatientIds } from '../read-scope';

/** What a filter needs to know about where it runs. */
export interface FilterScope {
  /** Alias of the resource row being filtered. */
  alias: string;
  /** The resource type of that row: a bound constant (helps the index), or a column for system-wide search. */
  resourceType: string;
  /** Every type the row may be of (several in a system-wide search), for where each keeps a parameter's rows. */
  types: readonly string[];
  typeExpr: Sql;
  /** The access predicate for any other row a filter looks at (chains, _has): no inference through hidden data. */
  visible: (alias: string) => Sql;
  depth: number;
}

const MAX_CHAIN_DEPTH = 3;

export function compileFilter(scope: FilterScope, filter: Filter): Sql {
  const { code } = filter;
  if (code.startsWith('_has:')) return compileHas(scope, filter);
  const dot = code.indexOf('.');
  if (dot > 0) return compileChain(scope, filter, code.slice(0, dot), code.slice(dot + 1));
  const row = raw(scope.alias);
  if (code === '_id') {
    const ids = splitSearchOnComma(filter.value);
    const match = sql`${row}.id = ANY(${ids}::text[])`;
    return filter.operator === Operator.NOT || filter.operator === Operator.NOT_EQUALS ? sql`NOT ${match}` : match;
  }
  if (code === '_lastUpdated') {
    return or(splitSearchOnComma(filter.value).map((v) => dateCondition(filter.operator, v, sql`${row}.last_updated`, sql`${row}.last_updated + interval '1 millisecond'`)));
  }
  const param = searchParameterOf(scope.resourceType, code);
  if (!param) throw badRequest(`Unknown search parameter "${code}" for ${scope.resourceType}`, [code]);
  if (filter.operator === Operator.MISSING || filter.operator === Operator.PRESENT) {
    const missing = (filter.operator === Operator.MISSING) === (filter.value === 'true');
    const exists = sql`EXISTS (SELECT 1 FROM ${raw(tableOf(param))} x WHERE x.rid = ${row}.rid AND x.resource_type = ${scope.typeExpr} AND ${rowsOf('x', scope.types, code)})`;
    return missing ? sql`NOT ${exists}` : exists;
  }
  const values = splitSearchOnComma(filter.value);
  const negated = filter.operator === Operator.NOT;
  const match = or(values.map((v) => valueCondition(param, filter.operator, v)));
  const exists = sql`EXISTS (SELECT 1 FROM ${raw(tableOf(param))} x WHERE x.rid = ${row}.rid AND x.resource_type = ${scope.typeExpr} AND ${rowsOf('x', scope.types, code)} AND ${match})`;
  return negated ? sql`NOT ${exists}` : exists;
}

function tableOf(param: SearchParameter): string {
  switch (param.type) {
    case 'token':
    case 'uri':
      return 'sp_token';
    case 'string':
      return 'sp_string';
    case 'date':
      return 'sp_date';
    case 'number':
      return 'sp_number';
    case 'quantity':
      return 'sp_quantity';
    case 'reference':
      return 'sp_reference';
    default:
      throw badRequest(`Search parameter type ${param.type} is not supported`, [param.code as string]);
  }
}

/** The condition on one search-table row `x` for one (comma-separated) value. */
function valueCondition(param: SearchParameter, operator: Operator, value: string): Sql {
  switch (param.type) {
    case 'token':
      return tokenCondition(operator, value, param.code as string);
    case 'uri':
      return uriCondition(operator, value);
    case 'string':
      return stringCondition(operator, value);
    case 'date':
      return dateCondition(operator, value, raw('x.lo'), raw('x.hi'));
    case 'number':
      return numberCondition(operator, value, raw('x.value'));
    case 'quantity':
      return quantityCondition(operator, value);
    case 'reference':
      return referenceCondition(operator, value);
    default:
      throw badRequest(`Search parameter type ${param.type} is not supported`);
  }
}

function tokenCondition(operator: Operator, value: string, code: string): Sql {
  if (operator === Operator.TEXT) {
    return sql`x.display ILIKE ${'%' + escapeLike(value) + '%'}`;
  }
  if (operator === Operator.IN || operator === Operator.NOT_IN || operator === Operator.ABOVE || operator === Operator.BELOW || operator === Operator.OF_TYPE) {
    throw badRequest(`Modifier :${operator} is not supported on token parameter "${code}"`, [code]);
  }
  const bar = value.indexOf('|');
  if (bar < 0) return sql`x.value = ${value}`;
  const system = value.slice(0, bar);
  const codeValue = value.slice(bar + 1);
  if (system === '') return sql`x.system IS NULL AND x.value = ${codeValue}`;
  if (codeValue === '') return sql`x.system = ${system}`;
  return sql`x.system = ${system} AND x.value = ${codeValue}`;
}

function uriCondition(operator: Operator, value: string): Sql {
  if (operator === Operator.BELOW) return sql`x.value LIKE ${escapeLike(value) + '%'}`;
  if (operator === Operator.ABOVE) return sql`${value} LIKE (replace(replace(replace(x.value, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')`;
  return sql`x.value = ${value}`;
}

function stringCondition(operator: Operator, value: string): Sql {
  if (operator === Operator.EXACT) return sql`x.exact = ${value}`;
  const normalized = escapeLike(normalizeString(value));
  if (operator === Operator.CONTAINS) return sql`x.value LIKE ${'%' + normalized + '%'}`;
  return sql`x.value LIKE ${normalized + '%'}`;
}

/**
 * Date prefixes compare ranges (FHIR R4 §3.1.1.4.5): the target [lo, hi) against the search value's
 * [slo, shi) at the precision the user wrote.
 */
export function dateCondition(requested: Operator, written: string, lo: Sql, hi: Sql): Sql {
  const { operator, value } = prefixed(requested, written);
  const range = parseDateRange(value);
  if (!range) throw badRequest(`Invalid date "${value}"`);
  const slo = range.lo.toISOString();
  const shi = range.hi.toISOString();
  switch (operator) {
    case Operator.EQUALS:
      return sql`(${lo} >= ${slo}::timestamptz AND ${hi} <= ${shi}::timestamptz)`;
    case Operator.NOT_EQUALS:
      return sql`NOT (${lo} >= ${slo}::timestamptz AND ${hi} <= ${shi}::timestamptz)`;
    case Operator.GREATER_THAN:
      return sql`${hi} > ${shi}::timestamptz`;
    case Operator.GREATER_THAN_OR_EQUALS:
      return sql`${hi} > ${slo}::timestamptz`;
    case Operator.LESS_THAN:
      return sql`${lo} < ${slo}::timestamptz`;
    case Operator.LESS_THAN_OR_EQUALS:
      return sql`${lo} < ${shi}::timestamptz`;
    case Operator.STARTS_AFTER:
      return sql`${lo} >= ${shi}::timestamptz`;
    case Operator.ENDS_BEFORE:
      return sql`${hi} <= ${slo}::timestamptz`;
    case Operator.APPROXIMATELY: {
      // ±10% of the distance from now, at least a day, as HAPI and Medplum read "ap".
      const slack = Math.max(86_400_000, Math.abs(Date.now() - range.lo.getTime()) * 0.1);
      return sql`(${hi} > ${new Date(range.lo.getTime() - slack).toISOString()}::timestamptz AND ${lo} < ${new Date(range.hi.getTime() + slack).toISOString()}::timestamptz)`;
    }
    default:
      throw badRequest(`Prefix or modifier "${operator}" is not valid for a date`);
  }
}

/** Numbers carry implicit precision: "100" means [99.5, 100.5). */
function numberCondition(requested: Operator, written: string, column: Sql): Sql {
  const { operator, value } = prefixed(requested, written);
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw badRequest(`Invalid number "${value}"`);
  const decimals = (value.split('.')[1] ?? '').replace(/e.*$/i, '').length;
  const half = 0.5 * 10 ** -decimals;
  const lo = String(n - half);
  const hi = String(n + half);
  switch (operator) {
    case Operator.EQUALS:
      return sql`(${column} >= ${lo}::numeric AND ${column} < ${hi}::numeric)`;
    case Operator.NOT_EQUALS:
      return sql`NOT (${column} >= ${lo}::numeric AND ${column} < ${hi}::numeric)`;
    case Operator.GREATER_THAN:
    case Operator.STARTS_AFTER:
      return sql`${column} > ${value}::numeric`;
    case Operator.GREATER_THAN_OR_EQUALS:
      return sql`${column} >= ${value}::numeric`;
    case Operator.LESS_THAN:
    case Operator.ENDS_BEFORE:
      return sql`${column} < ${value}::numeric`;
    case Operator.LESS_THAN_OR_EQUALS:
      return sql`${column} <= ${value}::numeric`;
    case Operator.APPROXIMATELY:
      return sql`(${column} >= ${String(n - Math.abs(n) * 0.1)}::numeric AND ${column} <= ${String(n + Math.abs(n) * 0.1)}::numeric)`;
    default:
      throw badRequest(`Prefix or modifier "${operator}" is not valid for a number`);
  }
}

interface QuantityColumns {
  value: Sql;
  system: Sql;
  unit: Sql;
}

const QUANTITY_COLUMNS: QuantityColumns = { value: raw('x.value'), system: raw('x.system'), unit: raw('x.unit') };
const PAIR_QUANTITY_COLUMNS: QuantityColumns = { value: raw('x.quantity'), system: raw('x.quantity_system'), unit: raw('x.quantity_unit') };

function quantityCondition(operator: Operator, value: string, columns = QUANTITY_COLUMNS): Sql {
  const [number, system, unit] = value.split('|');
  const conditions = [numberCondition(operator, number, columns.value)];
  if (system) conditions.push(sql`${columns.system} = ${system}`);
  if (unit) conditions.push(sql`${columns.unit} = ${unit}`);
  return and(conditions);
}

/**
 * The filters of one search, each a condition on the row, in the order PostgreSQL should meet them.
 *
 * A code and a value of a declared pair (layout.ts, TOKEN_QUANTITY_PAIRS), each asked once and plainly, become
 * one condition on the pairs' rows: one index range holds exactly their matches, where the two filters apart
 * made PostgreSQL read every resource with the code to test its value.
 *
 * A reference to a patient (`subject=Patient/…`, `patient=…`) names one person's records, a few thousand rows
 * at most, while a code or a date is region-wide: the search then starts from that patient's rows, and the
 * other filters that read only search tables are tested on those rows' ids, index to index, so that only the
 * matches' resource rows are read. Left to estimates, PostgreSQL started from the code (every Observation of
 * a common test in the region, each resource row read to test its patient).
 */
export function compileFilters(scope: FilterScope, filters: readonly Filter[]): Sql[] {
  const single = scope.types.length === 1;
  const patient = single ? filters.find((f) => namesPatients(scope.resourceType, f)) : undefined;
  if (!patient) return restrictions(scope, filters);
  const driver = 'd';
  const inner = filters.filter((f) => f !== patient && readsSearchTablesOnly(f));
  const rest = filters.filter((f) => f !== patient && !inner.includes(f));
  const candidates = sql`SELECT x.rid FROM sp_reference x WHERE x.resource_type = ${scope.typeExpr} AND ${rowsOf('x', scope.types, patient.code)}
    AND ${or(splitSearchOnComma(patient.value).map((v) => referenceCondition(patient.operator, v)))}`;
  const within = restrictions({ ...scope, alias: driver }, inner);
  // The ids are collected first, uncorrelated; the resource rows are then read by primary key (see the pair below).
  const matching = sql`${raw(scope.alias)}.rid = ANY(ARRAY(SELECT ${raw(driver)}.rid FROM (${candidates}) ${raw(driver)} WHERE ${and(within)}))`;
  return [matching, ...restrictions(scope, rest)];
}

/** A plain reference filter whose every value names a Patient: `subject=Patient/1,Patient/2`, `patient=1`, `subject:Patient=1`. */
function namesPatients(resourceType: string, filter: Filter): boolean {
  if (filter.operator !== Operator.EQUALS || filter.code.startsWith('_') || filter.code.includes('.')) return false;
  const param = searchParameterOf(resourceType, filter.code);
  if (param?.type !== 'reference') return false;
  const onlyPatients = layoutOf(resourceType, filter.code)?.targetType === 'Patient' || (param.target?.length === 1 && param.target[0] === 'Patient');
  return splitSearchOnComma(filter.value).every((v) => {
    const typed = TYPED_REFERENCE.exec(v);
    return !v.includes('://') && (typed ? typed[1] === 'Patient' : onlyPatients && /^[A-Za-z0-9\-.]{1,64}$/.test(v));
  });
}

/** Filters compiled to conditions on search tables by `rid` alone (no resource column, no chain, no _has), which hold for any alias of the row's id. */
function readsSearchTablesOnly(filter: Filter): boolean {
  return !filter.code.startsWith('_has:') && !filter.code.includes('.') && !ROW_COLUMNS.has(filter.code);
}

function restrictions(scope: FilterScope, filters: readonly Filter[]): Sql[] {
  const paired = new Set<Filter>();
  const conditions: Sql[] = [];
  for (const pair of scope.types.length === 1 ? tokenQuantityPairsOf(scope.resourceType) : []) {
    const tokens = filters.filter((f) => f.code === pair.token);
    const quantities = filters.filter((f) => f.code === pair.quantity);
    if (tokens.length !== 1 || quantities.length !== 1) continue;
    const [token, quantity] = [tokens[0], quantities[0]];
    if (token.operator !== Operator.EQUALS || quantity.operator !== Operator.EQUALS || paired.has(token) || paired.has(quantity)) continue;
    const tokenMatch = or(splitSearchOnComma(token.value).map((v) => tokenCondition(Operator.EQUALS, v, pair.token)));
    const quantityMatch = or(splitSearchOnComma(quantity.value).map((v) => quantityCondition(Operator.EQUALS, v, PAIR_QUANTITY_COLUMNS)));
    // The matching rids are collected first, uncorrelated, from one range of the pairs' index; the resource rows are
    // then read by primary key, in rid order, which is also the order of an unsorted page: the scan stops once the
    // page is full. As EXISTS, with estimates that cannot tell a code's values apart, PostgreSQL walked every
    // Observation in rid order and probed each one's pairs (57 ms for 21 of 45 matches among 25,000, against 0.6 ms).
    conditions.push(sql`${raw(scope.alias)}.rid = ANY(ARRAY(SELECT x.rid FROM sp_token_quantity x WHERE x.resource_type = ${scope.typeExpr} AND x.code = ${pair.code} AND ${tokenMatch} AND ${quantityMatch}))`);
    paired.add(token).add(quantity);
  }
  for (const filter of filters) if (!paired.has(filter)) conditions.push(compileFilter(scope, filter));
  return conditions;
}

const TYPED_REFERENCE = /^(?:.*\/)?([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

function referenceCondition(operator: Operator, value: string): Sql {
  if (operator === Operator.IDENTIFIER || operator === Operator.TEXT || operator === Operator.ABOVE || operator === Operator.BELOW) {
    throw badRequest(`Modifier :${operator} is not supported on reference parameters`);
  }
  const typed = TYPED_REFERENCE.exec(value);
  // A regional Patient is the hub of its linked local records: asking about it asks about all of them.
  const target = (type: string | undefined, id: string) => (type === 'Patient' || !type ? sql`x.target_id = ANY(${linkedPatientIds(id)})` : sql`x.target_id = ${id}`);
  if (typed && !value.includes('://')) return sql`x.target_type = ${typed[1]} AND ${target(typed[1], typed[2])}`;
  if (typed) return sql`((x.target_type = ${typed[1]} AND ${target(typed[1], typed[2])}) OR x.target_id = ${value.split('|')[0]})`;
  return target(undefined, value.split('|')[0]);
}

/**
 * `subject:Patient.name=yamada`: the referenced resource must match and be visible to the caller,
 * so a chain can never reveal a hidden resource by the answer it gives.
 */
function compileChain(scope: FilterScope, filter: Filter, link: string, rest: string): Sql {
  if (scope.depth >= MAX_CHAIN_DEPTH) throw badRequest(`Chains are limited to ${MAX_CHAIN_DEPTH} links`, [filter.code]);
  const [paramCode, explicitType] = link.split(':');
  const param = searchParameterOf(scope.resourceType, paramCode);
  if (!param || param.type !== 'reference') throw badRequest(`"${paramCode}" is not a reference parameter of ${scope.resourceType}`, [filter.code]);
  const nextCode = rest.split('.')[0].split(':')[0];
  const candidates = explicitType ? [explicitType] : (param.target ?? []).filter((t) => nextCode.startsWith('_') || searchParameterOf(t, nextCode));
  if (candidates.length === 0) throw badRequest(`No target of "${paramCode}" has a parameter "${nextCode}"`, [filter.code]);
  const depth = scope.depth + 1;
  const target = `c${depth}`;
  const row = raw(scope.alias);
  const perType = candidates.map((type) => {
    const inner: FilterScope = { alias: target, resourceType: type, types: [type], typeExpr: sql`${type}`, visible: scope.visible, depth };
    return sql`(${raw(target)}.resource_type = ${type} AND ${compileFilter(inner, parseFilter(rest, filter.value))})`;
  });
  return sql`EXISTS (SELECT 1 FROM sp_reference x${raw(String(depth))}
      JOIN resource ${raw(target)} ON ${raw(target)}.resource_type = x${raw(String(depth))}.target_type AND ${raw(target)}.id = x${raw(String(depth))}.target_id
      WHERE x${raw(String(depth))}.rid = ${row}.rid AND x${raw(String(depth))}.resource_type = ${scope.typeExpr} AND ${rowsOf(`x${depth}`, scope.types, paramCode)}
        AND NOT ${raw(target)}.deleted AND ${scope.visible(target)} AND ${or(perType)})`;
}

/**
 * `_has:Observation:patient:code=1234`: some visible Observation whose `patient` points here matches code=1234.
 * A regional Patient counts what points at its linked local records too (it is their hub).
 */
function compileHas(scope: FilterScope, filter: Filter): Sql {
  const [, sourceType, refParam, ...restParts] = filter.code.split(':');
  const rest = restParts.join(':');
  if (!sourceType || !refParam || !rest) throw badRequest(`Malformed _has parameter "${filter.code}"`, [filter.code]);
  if (scope.depth >= MAX_CHAIN_DEPTH) throw badRequest(`_has is limited to ${MAX_CHAIN_DEPTH} levels`, [filter.code]);
  const param = searchParameterOf(sourceType, refParam);
  if (!param || param.type !== 'reference') throw badRequest(`"${refParam}" is not a reference parameter of ${sourceType}`, [filter.code]);
  const depth = scope.depth + 1;
  const source = `h${depth}`;
  const x = raw(`hx${depth}`);
  const row = raw(scope.alias);
  const inner: FilterScope = { alias: source, resourceType: sourceType, types: [sourceType], typeExpr: sql`${sourceType}`, visible: scope.visible, depth };
  return sql`EXISTS (SELECT 1 FROM sp_reference ${x} JOIN resource ${raw(source)} ON ${raw(source)}.rid = ${x}.rid
      WHERE ${x}.resource_type = ${sourceType} AND ${rowsOf(`hx${depth}`, [sourceType], refParam)} AND ${x}.target_type = ${row}.resource_type
        AND (${x}.target_id = ${row}.id OR (${row}.resource_type = 'Patient' AND ${x}.target_id IN (SELECT l.local_id FROM patient_link l WHERE l.regional_id = ${row}.id)))
        AND NOT ${raw(source)}.deleted AND ${scope.visible(source)} AND ${compileFilter(inner, parseFilter(rest, filter.value))})`;
}
