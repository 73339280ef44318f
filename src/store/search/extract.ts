/**
 * Turns a resource into the rows of the search tables, driven only by the R4 SearchParameter definitions:
 * each parameter's FHIRPath expression is evaluated and its values are reduced to the parameter's kind.
 * No resource type has code of its own here.
 */
import { evalFhirPathTyped, FhirPathAtom, parseFhirPath, toTypedValue, TypedValue } from '@medplum/core';
import type { Resource, SearchParameter } from '@medplum/fhirtypes';
import { parseLocalReference } from '../../core/references';
import { MAX_DATE, MIN_DATE, parseDateRange } from './dates';
import { layoutOf, layoutsOf, tokenQuantityPairsOf } from './layout';
import { normalizeString } from './normalize';

export type TokenRow = [code: string, system: string | null, value: string | null, display: string | null];
export type StringRow = [code: string, value: string, exact: string];
export type DateRow = [code: string, lo: string, hi: string];
export type NumberRow = [code: string, value: number];
export type QuantityRow = [code: string, value: number, system: string | null, unit: string | null];
export type ReferenceRow = [code: string, targetType: string | null, targetId: string];
export type TokenQuantityRow = [code: string, system: string | null, value: string | null, quantity: number, quantitySystem: string | null, quantityUnit: string | null];

export interface SearchRows {
  token: TokenRow[];
  string: StringRow[];
  date: DateRow[];
  number: NumberRow[];
  quantity: QuantityRow[];
  reference: ReferenceRow[];
  tokenQuantity: TokenQuantityRow[];
}

interface CompiledBranch {
  expression: FhirPathAtom;
  /** The top-level element the branch starts from; when the resource lacks it the branch yields nothing. */
  element?: string;
}

interface CompiledParam {
  code: string;
  type: SearchParameter['type'];
  branches: CompiledBranch[];
}

const compiledByType = new Map<string, CompiledParam[]>();

/**
 * The parameters of one type with their expressions parsed once, keeping only the branches about this type
 * whose values are stored under the parameter's own code (layout.ts: no value is indexed twice).
 */
export function compiledParams(resourceType: string): CompiledParam[] {
  let compiled = compiledByType.get(resourceType);
  if (!compiled) {
    compiled = [...layoutsOf(resourceType)]
      .filter(([, layout]) => layout.storedBranches.length > 0)
      .map(([code, layout]) => ({
        code,
        type: layout.type,
        branches: layout.storedBranches.map((b) => ({ expression: parseFhirPath(b), element: firstElement(resourceType, b) })),
      }));
    compiledByType.set(resourceType, compiled);
  }
  return compiled;
}

/** Functions that yield nothing from nothing: a path through them is empty when its first element is absent. */
const EMPTY_PRESERVING = /\.(where|as|ofType|extension|resolve|first)\((?:[^()]|\([^()]*\))*\)/g;
const PLAIN_PATH = /^\(*[A-Za-z]+\.([a-z][A-Za-z0-9]*)(?:\.[a-z][A-Za-z0-9]*)*(?: as [A-Za-z]+)?\)*$/;

/**
 * `Observation.component.code` and `(Observation.value as Quantity)` start from `component` and `value`.
 * Expressions that compute a value (`Patient.deceased.exists() and …`) have no such element: they are
 * always evaluated.
 */
function firstElement(resourceType: string, branch: string): string | undefined {
  const m = PLAIN_PATH.exec(branch.replace(EMPTY_PRESERVING, ''));
  if (!m) return undefined;
  const head = branch.replace(/^\(+/, '').split('.')[0];
  return head === resourceType || head === 'Resource' || head === 'DomainResource' ? m[1] : undefined;
}

/** Does the resource hold this element, under its own name or as a choice type (value → valueQuantity)? */
function holds(resource: Record<string, unknown>, keys: string[], element: string): boolean {
  if (resource[element] !== undefined) return true;
  return keys.some((key) => key.length > element.length && key.startsWith(element) && key.charCodeAt(element.length) >= 65 && key.charCodeAt(element.length) <= 90);
}

export function extractSearchRows(resource: Resource): SearchRows {
  const rows: SearchRows = { token: [], string: [], date: [], number: [], quantity: [], reference: [], tokenQuantity: [] };
  const input = [toTypedValue(resource)];
  const fields = resource as unknown as Record<string, unknown>;
  const keys = Object.keys(resource);
  for (const param of compiledParams(resource.resourceType)) {
    for (const branch of param.branches) {
      // Most of a type's parameters are about elements this resource does not have: skip evaluating them.
      if (branch.element && !holds(fields, keys, branch.element)) continue;
      for (const typed of evalFhirPathTyped(branch.expression, input)) {
        addValue(rows, param, typed);
      }
    }
  }
  const unique = dedupe(rows);
  unique.tokenQuantity = tokenQuantityRows(resource.resourceType, unique);
  return unique;
}

/** The pairs of each declared (token, quantity) couple: every token row with a code of the one beside every quantity row of the other. */
function tokenQuantityRows(resourceType: string, rows: SearchRows): TokenQuantityRow[] {
  const out: TokenQuantityRow[] = [];
  for (const pair of tokenQuantityPairsOf(resourceType)) {
    const tokenCodes = layoutOf(resourceType, pair.token)?.codes ?? [pair.token];
    const quantityCodes = layoutOf(resourceType, pair.quantity)?.codes ?? [pair.quantity];
    const quantities = rows.quantity.filter(([code]) => quantityCodes.includes(code));
    if (!quantities.length) continue;
    // A text-only row (neither system nor value) is found by :text alone, which a pair never answers.
    const tokens = rows.token.filter(([code, system, value]) => tokenCodes.includes(code) && (system !== null || value !== null));
    for (const [, system, value] of tokens) for (const [, quantity, quantitySystem, unit] of quantities) out.push([pair.code, system, value, quantity, quantitySystem, unit]);
  }
  return out;
}

function addValue(rows: SearchRows, param: CompiledParam, typed: TypedValue): void {
  const { code } = param;
  const v = typed.value;
  if (v === undefined || v === null) {
    return;
  }
  switch (param.type) {
    case 'token':
      for (const row of tokenRows(code, typed)) rows.token.push(row);
      break;
    case 'uri':
      if (typeof v === 'string') rows.token.push([code, null, v, null]);
      break;
    case 'string':
      for (const text of stringValues(typed)) rows.string.push([code, normalizeString(text), text]);
      break;
    case 'date': {
      const range = dateRange(typed);
      if (range) rows.date.push([code, range[0], range[1]]);
      break;
    }
    case 'number':
      if (typeof v === 'number') rows.number.push([code, v]);
      else if (typeof v === 'object' && typeof v.value === 'number') rows.number.push([code, v.value]);
      break;
    case 'quantity':
      for (const row of quantityRows(code, typed)) rows.quantity.push(row);
      break;
    case 'reference': {
      const ref = referenceTarget(typed);
      if (ref) rows.reference.push([code, ref.type, ref.id]);
      break;
    }
  }
}

function tokenRows(code: string, typed: TypedValue): TokenRow[] {
  const v = typed.value;
  switch (typed.type) {
    case 'CodeableConcept': {
      const rows: TokenRow[] = (v.coding ?? []).map((c: CodingLike) => [code, c.system ?? null, c.code ?? null, c.display ?? v.text ?? null]);
      if (v.text) rows.push([code, null, null, v.text]);
      return rows;
    }
    case 'Coding':
      return [[code, v.system ?? null, v.code ?? null, v.display ?? null]];
    case 'Identifier':
      return [[code, v.system ?? null, v.value ?? null, v.type?.text ?? null]];
    case 'ContactPoint':
      return [[code, v.system ?? null, v.value ?? null, null]];
    case 'Reference':
      return v.identifier ? [[code, v.identifier.system ?? null, v.identifier.value ?? null, v.display ?? null]] : [];
    default:
      return typeof v === 'object' ? [] : [[code, null, String(v), null]];
  }
}

interface CodingLike {
  system?: string;
  code?: string;
  display?: string;
}

function stringValues(typed: TypedValue): string[] {
  const v = typed.value;
  switch (typed.type) {
    case 'HumanName': {
      const given: string[] = v.given ?? [];
      const parts = [v.text, v.family, ...given, ...(v.prefix ?? []), ...(v.suffix ?? [])];
      // Japanese names are written family-first without a space (山田太郎); index that form too.
      if (v.family && given.length) parts.push(v.family + given.join(''), `${v.family} ${given.join(' ')}`);
      return parts.filter((p): p is string => typeof p === 'string' && p.length > 0);
    }
    case 'Address':
      return [v.text, ...(v.line ?? []), v.city, v.district, v.state, v.postalCode, v.country].filter(
        (p): p is string => typeof p === 'string' && p.length > 0
      );
    default:
      return typeof v === 'string' ? [v] : [];
  }
}

function dateRange(typed: TypedValue): [string, string] | undefined {
  const v = typed.value;
  if (typeof v === 'string') {
    const range = parseDateRange(v);
    return range && [range.lo.toISOString(), range.hi.toISOString()];
  }
  if (typed.type === 'Period') {
    const start = v.start ? parseDateRange(v.start) : undefined;
    const end = v.end ? parseDateRange(v.end) : undefined;
    if (!start && !end) return undefined;
    return [start ? start.lo.toISOString() : MIN_DATE, end ? end.hi.toISOString() : MAX_DATE];
  }
  if (typed.type === 'Timing' && Array.isArray(v.event) && v.event.length) {
    const ranges = (v.event as string[]).map(parseDateRange).filter((r): r is NonNullable<typeof r> => !!r);
    if (!ranges.length) return undefined;
    return [new Date(Math.min(...ranges.map((r) => +r.lo))).toISOString(), new Date(Math.max(...ranges.map((r) => +r.hi))).toISOString()];
  }
  return undefined;
}

function quantityRows(code: string, typed: TypedValue): QuantityRow[] {
  const v = typed.value;
  if (typeof v !== 'object' || typeof v.value !== 'number') return [];
  if (typed.type === 'Money') return [[code, v.value, 'urn:iso:std:iso:4217', v.currency ?? null]];
  const rows: QuantityRow[] = [[code, v.value, v.system ?? null, v.code ?? v.unit ?? null]];
  // "value||unit" may name the human unit as well as the coded one.
  if (v.unit && v.code && v.unit !== v.code) rows.push([code, v.value, null, v.unit]);
  return rows;
}

export function referenceTarget(typed: TypedValue): { type: string | null; id: string } | undefined {
  const v = typed.value;
  if (typed.type === 'canonical' || typed.type === 'uri') {
    return typeof v === 'string' ? { type: null, id: v.split('|')[0] } : undefined;
  }
  const reference: unknown = typeof v === 'string' ? v : v?.reference;
  if (typeof reference !== 'string') return undefined;
  // An absolute URL is another server's (this server's own were made relative when stored): it is indexed as
  // written and names no resource, and no patient, here.
  const local = parseLocalReference(reference);
  return local ? { type: local.type, id: local.id } : { type: null, id: reference };
}

function dedupe(rows: SearchRows): SearchRows {
  const unique = <T extends unknown[]>(list: T[]): T[] => {
    const seen = new Set<string>();
    return list.filter((row) => {
      const key = JSON.stringify(row);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  };
  return {
    token: unique(rows.token),
    string: unique(rows.string),
    date: unique(rows.date),
    number: unique(rows.number),
    quantity: unique(rows.quantity),
    reference: unique(rows.reference),
    tokenQuantity: unique(rows.tokenQuantity),
  };
}
