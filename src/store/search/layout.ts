/**
 * Where each search parameter's values are kept in the search tables. Many R4 parameters of a type repeat
 * another's values: `Observation.patient` is `subject.where(resolve() is Patient)`, `Patient.phonetic` is
 * `Patient.name` again, `combo-code` is `code | component-code`. Indexing each of them would write the same
 * rows under several codes (an Observation had 12 index rows, 4 of them copies). Here each such parameter
 * is read from the rows of the parameters it repeats, and only the values no other parameter holds are
 * stored under its own code. Derived from the definitions alone, so no type has code of its own.
 */
import { or, raw, sql, Sql } from '../../core/sql';
import type { SearchParameter } from '@medplum/fhirtypes';
import { branchesFor, searchParametersOf } from '../../core/definitions';

export interface ParamLayout {
  type: SearchParameter['type'];
  /** The codes under which the parameter's values are stored (its own, those of the parameters it repeats, or both). */
  codes: string[];
  /** Set for `X.where(resolve() is T)`: only rows of X that point at a T. */
  targetType?: string;
  /** The FHIRPath branches of this type whose values are stored under the parameter's own code. */
  storedBranches: string[];
}

/** Answered from the resource row's own columns (filters.ts, sort.ts): rows for them would never be read. */
export const ROW_COLUMNS = new Set(['_id', '_lastUpdated']);

const RESOLVE_IS = /^(.+)\.where\(resolve\(\) is ([A-Z][A-Za-z]+)\)$/;

const filters = (param: { branches: string[] }): number => (param.branches.length === 1 && RESOLVE_IS.test(param.branches[0]) ? 1 : 0);

const layouts = new Map<string, Map<string, ParamLayout>>();

/** The layout of every indexed parameter of a type, computed once. */
export function layoutsOf(resourceType: string): Map<string, ParamLayout> {
  let byCode = layouts.get(resourceType);
  if (byCode) return byCode;
  byCode = new Map();
  const params = searchParametersOf(resourceType)
    .filter((sp) => !ROW_COLUMNS.has(sp.code as string))
    .map((sp) => ({ code: sp.code as string, type: sp.type, branches: branchesFor(resourceType, sp.expression as string) }))
    // Fewest branches first, so that a parameter is covered only by ones that store all of their own values;
    // `resolve() is T` ones last, once the parameter they filter is known.
    .sort((a, b) => filters(a) - filters(b) || a.branches.length - b.branches.length || a.code.localeCompare(b.code));
  const whole: typeof params = [];
  for (const param of params) {
    const filtered = param.branches.length === 1 ? RESOLVE_IS.exec(param.branches[0]) : null;
    const base = filtered && whole.find((w) => w.type === 'reference' && w.branches.length === 1 && w.branches[0] === filtered[1]);
    if (param.type === 'reference' && filtered && base) {
      byCode.set(param.code, { type: param.type, codes: [base.code], targetType: filtered[2], storedBranches: [] });
      continue;
    }
    const covering = whole.filter((w) => w.type === param.type && w.branches.length > 0 && w.branches.every((b) => param.branches.includes(b)));
    const rest = param.branches.filter((b) => !covering.some((w) => w.branches.includes(b)));
    if (!covering.length) whole.push(param);
    byCode.set(param.code, { type: param.type, codes: [...covering.map((w) => w.code), ...(rest.length ? [param.code] : [])], storedBranches: rest });
  }
  layouts.set(resourceType, byCode);
  return byCode;
}

/**
 * A code and a value searched together (`Observation?code=…&value-quantity=gt…`) are answered from one row per
 * (token, quantity) pair of the resource (sp_token_quantity, under the R4 composite's code), so one index range
 * finds exactly the matches instead of testing the value of every resource with the code. The pairs are the
 * cross product of the two parameters' rows, so the pair search means what the two filters mean.
 */
export interface TokenQuantityPair {
  resourceType: string;
  /** The composite parameter of R4 the pairs are stored under. */
  code: string;
  token: string;
  quantity: string;
}

export const TOKEN_QUANTITY_PAIRS: readonly TokenQuantityPair[] = [{ resourceType: 'Observation', code: 'code-value-quantity', token: 'code', quantity: 'value-quantity' }];

export function tokenQuantityPairsOf(resourceType: string): readonly TokenQuantityPair[] {
  return TOKEN_QUANTITY_PAIRS.filter((p) => p.resourceType === resourceType);
}

export function layoutOf(resourceType: string, code: string): ParamLayout | undefined {
  return layoutsOf(resourceType).get(code);
}

/**
 * The rows of a search table (alias `x`) that hold a parameter's values: `x.code = …` and, for a
 * `resolve() is T` parameter, `x.target_type = T`. A system-wide search names several types, whose layouts
 * may differ; then each type's rows are told apart by `x.resource_type`. A code no layout knows is matched as written.
 */
export function rowsOf(x: string, types: readonly string[], code: string): Sql {
  const table = raw(x);
  const condition = (layout: ParamLayout | undefined): Sql => {
    const codes = layout?.codes ?? [code];
    const match = codes.length === 1 ? sql`${table}.code = ${codes[0]}` : sql`${table}.code = ANY(${codes}::text[])`;
    return layout?.targetType ? sql`${match} AND ${table}.target_type = ${layout.targetType}` : match;
  };
  const each = types.map((t) => ({ type: t, layout: layoutOf(t, code) }));
  const key = (l: ParamLayout | undefined) => JSON.stringify([l?.codes ?? [code], l?.targetType]);
  if (each.every((e) => key(e.layout) === key(each[0].layout))) return condition(each[0].layout);
  return or(each.map((e) => sql`(${table}.resource_type = ${e.type} AND ${condition(e.layout)})`));
}
