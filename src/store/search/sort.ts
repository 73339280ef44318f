/**
 * Sort keys and keyset cursors. Pages are cut by the last row's sort values plus its `rid` (which never
 * changes for a resource), so a next link stays right while other rows are inserted or updated: no
 * offset that shifts under the reader.
 */
import type { SortRule } from '@medplum/core';
import { or, raw, sql, Sql } from '../../core/sql';
import { searchParameterOf } from '../../core/definitions';
import { badRequest } from '../../core/errors';
import { rowsOf } from './layout';

export interface SortKey {
  expr: Sql;
  descending: boolean;
  /** How a cursor value is cast back for comparison. */
  cast: 'timestamptz' | 'text' | 'numeric';
}

export function sortKeys(resourceType: string, rules: SortRule[] | undefined, alias: string): SortKey[] {
  const row = raw(alias);
  return (rules ?? []).map((rule) => {
    const { code, descending = false } = rule;
    if (code === '_id') return { expr: sql`${row}.id`, descending, cast: 'text' };
    if (code === '_lastUpdated') return { expr: sql`${row}.last_updated`, descending, cast: 'timestamptz' };
    const param = searchParameterOf(resourceType, code);
    if (!param) throw badRequest(`Unknown sort parameter "${code}" for ${resourceType}`, ['_sort']);
    const agg = descending ? 'max' : 'min';
    const where = sql`x.rid = ${row}.rid AND x.resource_type = ${resourceType} AND ${rowsOf('x', [resourceType], code)}`;
    switch (param.type) {
      case 'date':
        return { expr: sql`(SELECT ${raw(agg)}(${raw(descending ? 'x.hi' : 'x.lo')}) FROM sp_date x WHERE ${where})`, descending, cast: 'timestamptz' };
      case 'string':
        return { expr: sql`(SELECT ${raw(agg)}(x.value) FROM sp_string x WHERE ${where})`, descending, cast: 'text' };
      case 'token':
      case 'uri':
        return { expr: sql`(SELECT ${raw(agg)}(x.value) FROM sp_token x WHERE ${where})`, descending, cast: 'text' };
      case 'number':
        return { expr: sql`(SELECT ${raw(agg)}(x.value) FROM sp_number x WHERE ${where})`, descending, cast: 'numeric' };
      case 'quantity':
        return { expr: sql`(SELECT ${raw(agg)}(x.value) FROM sp_quantity x WHERE ${where})`, descending, cast: 'numeric' };
      case 'reference':
        return { expr: sql`(SELECT ${raw(agg)}(x.target_id) FROM sp_reference x WHERE ${where})`, descending, cast: 'text' };
      default:
        throw badRequest(`Cannot sort by "${code}"`, ['_sort']);
    }
  });
}

/** ORDER BY for the keys, then rid; `reverse` flips everything to walk backwards for a previous page. */
export function orderBy(keys: SortKey[], alias: string, reverse: boolean): Sql {
  const parts = keys.map((k) => {
    const desc = k.descending !== reverse;
    return sql`${k.expr} ${raw(desc ? 'DESC' : 'ASC')} ${raw(reverse ? 'NULLS FIRST' : 'NULLS LAST')}`;
  });
  parts.push(sql`${raw(alias)}.rid ${raw(reverse ? 'DESC' : 'ASC')}`);
  return parts.reduce((acc, p) => sql`${acc}, ${p}`);
}

export interface Cursor {
  values: (string | null)[];
  rid: string;
  /** 'next' continues after the row, 'prev' walks back before it. */
  direction: 'next' | 'prev';
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.direction === 'next' ? 'n' : 'p', cursor.rid, cursor.values])).toString('base64url');
}

export function decodeCursor(text: string, keyCount: number): Cursor {
  try {
    const [d, rid, values] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if ((d !== 'n' && d !== 'p') || !/^\d+$/.test(rid) || !Array.isArray(values) || values.length !== keyCount) throw new Error();
    return { direction: d === 'n' ? 'next' : 'prev', rid, values };
  } catch {
    throw badRequest('Invalid or expired _cursor', ['_cursor']);
  }
}

/**
 * Rows strictly after (or, walking back, before) the cursor row in the sort order, with NULLs last:
 * (k1 > v1) OR (k1 = v1 AND ((k2 > v2) OR …)) … OR (all equal AND rid > r).
 */
export function afterCursor(keys: SortKey[], cursor: Cursor, alias: string): Sql {
  const back = cursor.direction === 'prev';
  const build = (i: number): Sql => {
    if (i === keys.length) return sql`${raw(alias)}.rid ${raw(back ? '<' : '>')} ${cursor.rid}::bigint`;
    const key = keys[i];
    const value = cursor.values[i];
    const rest = build(i + 1);
    const forward = key.descending !== back;
    if (value === null) {
      // NULLs sort last going forward: after a NULL only NULLs remain; going back, every non-NULL precedes it.
      return back ? or([sql`${key.expr} IS NOT NULL`, sql`(${key.expr} IS NULL AND ${rest})`]) : sql`(${key.expr} IS NULL AND ${rest})`;
    }
    const typed = sql`${value}::${raw(key.cast)}`;
    const beyond = sql`${key.expr} ${raw(forward ? '<' : '>')} ${typed}`;
    const nullSide = back ? [] : [sql`${key.expr} IS NULL`];
    return or([beyond, ...nullSide, sql`(${key.expr} = ${typed} AND ${rest})`]);
  };
  return build(0);
}
