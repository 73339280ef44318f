/**
 * Writes resources with everything that must change with them, in as few statements as possible:
 * a batch of N resources costs a fixed number of multi-row statements (the resource rows, their history,
 * the old search rows removed, the new ones added), whatever N is. Single writes are batches of one.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Db } from './db/database';
import { join, raw, sql, Sql } from '../core/sql';
import { hasClaims, patientClaimsOf } from './search/attribution';
import { patientsOf } from '../core/compartments';
import { extractSearchRows, SearchRows } from './search/extract';

export interface StoredVersion {
  /** The resource as stored, meta filled in. */
  resource: Resource;
  /** Present when an existing row is being replaced. */
  rid?: string;
  deleted: boolean;
  source?: string;
}

export const SEARCH_TABLES = ['sp_token', 'sp_string', 'sp_date', 'sp_number', 'sp_quantity', 'sp_reference', 'sp_token_quantity'] as const;

/** Unit separator: cannot occur in a FHIR id, so it safely joins one row's compartment ids into one array cell. */
const SEP = '\u001f';

export async function writeVersions(db: Db, versions: StoredVersion[]): Promise<void> {
  if (versions.length === 0) return;
  const prepared = versions.map((v) => {
    const rows = v.deleted ? emptyRows() : extractSearchRows(v.resource);
    // A deletion stays in the compartments of what it deleted: with none it would count as directory data and
    // show every role that a hidden resource existed (410 instead of 404, entries in history).
    const compartments = patientsOf(v.resource);
    return { ...v, rows, compartments, content: JSON.stringify(v.resource) };
  });
  await resolvePatientClaims(db, prepared);

  const inserts = prepared.filter((p) => !p.rid);
  const updates = prepared.filter((p) => p.rid);
  const ridByKey = new Map<string, string>();

  // History is filled from the rows just written (RETURNING), so each JSON body is sent to the database once.
  if (inserts.length) {
    const cols = columns(inserts);
    const inserted = await db.query<{ rid: string; resource_type: string; id: string }>(sql`
      WITH written AS (
        INSERT INTO resource (resource_type, id, version_id, last_updated, deleted, content, compartments, source)
        SELECT t, i, v, u, d, c, CASE WHEN p = '' THEN '{}'::text[] ELSE string_to_array(p, ${SEP}) END, s
        FROM unnest(${cols.types}::text[], ${cols.ids}::text[], ${cols.versions}::int[], ${cols.updated}::timestamptz[],
                    ${cols.deleted}::boolean[], ${cols.contents}::text[], ${cols.compartments}::text[], ${cols.sources}::text[])
             AS x(t, i, v, u, d, c, p, s)
        RETURNING *
      )
      ${historyOf(raw('written'))}
      RETURNING rid, resource_type, id`.prepared());
    for (const row of inserted) ridByKey.set(`${row.resource_type}/${row.id}`, String(row.rid));
  }
  const statements: Sql[] = [];
  let written: Sql | undefined;
  if (updates.length) {
    const cols = columns(updates);
    const rids = updates.map((u) => u.rid as string);
    // Sub-statements of one statement see the same snapshot: the deletes remove the old search rows only,
    // never the new ones inserted beside them.
    written = sql`UPDATE resource SET version_id = x.v, last_updated = x.u, deleted = x.d, content = x.c,
          compartments = CASE WHEN x.p = '' THEN '{}'::text[] ELSE string_to_array(x.p, ${SEP}) END, source = x.s
        FROM unnest(${rids}::bigint[], ${cols.versions}::int[], ${cols.updated}::timestamptz[],
                    ${cols.deleted}::boolean[], ${cols.contents}::text[], ${cols.compartments}::text[], ${cols.sources}::text[])
             AS x(r, v, u, d, c, p, s)
        WHERE resource.rid = x.r
        RETURNING resource.*`;
    statements.push(historyOf(raw('written')));
    statements.push(...SEARCH_TABLES.map((table) => sql`DELETE FROM ${raw(table)} WHERE rid = ANY(${rids}::bigint[])`));
    for (const u of updates) ridByKey.set(`${u.resource.resourceType}/${u.resource.id}`, u.rid as string);
  }

  const all = prepared.map((p) => ({ ...p, rid: ridByKey.get(`${p.resource.resourceType}/${p.resource.id}`) as string }));
  statements.push(...searchRowInserts(all));
  if (statements.length) await db.query(oneStatement(statements, written).prepared());
}

/** The history rows of resource rows just written (`source` is a CTE returning whole `resource` rows). */
function historyOf(source: Sql): Sql {
  return sql`INSERT INTO resource_history (rid, resource_type, id, version_id, last_updated, deleted, content, compartments, source)
    SELECT w.rid, w.resource_type, w.id, w.version_id, w.last_updated, w.deleted, CASE WHEN w.deleted THEN '' ELSE w.content END, w.compartments, w.source
    FROM ${source} w`;
}

/**
 * Several writes as one statement of data-modifying CTEs: one round trip instead of one per table, which is
 * most of the cost of a single write on the embedded database. PostgreSQL runs each part exactly once.
 * `written`, when given, is the first CTE, under that name, for the others to read what it returns.
 */
function oneStatement(statements: Sql[], written?: Sql): Sql {
  if (statements.length === 1 && !written) return statements[0];
  const named = statements.map((s, i) => sql`${raw(`w${i}`)} AS (${s})`);
  return sql`WITH ${join(written ? [sql`written AS (${written})`, ...named] : named, ', ')} SELECT 1`;
}

function searchRowInserts(all: { rid: string; resource: Resource; rows: SearchRows }[]): Sql[] {
  const inserts: Sql[] = [];
  const flat = <T extends unknown[]>(pick: (rows: SearchRows) => T[]): { rid: string; type: string; row: T }[] =>
    all.flatMap((a) => pick(a.rows).map((row) => ({ rid: a.rid, type: a.resource.resourceType, row })));
  const base = (list: { rid: string; type: string }[]): [string[], string[]] => [list.map((x) => x.rid), list.map((x) => x.type)];

  const tokens = flat((r) => r.token);
  if (tokens.length) {
    const [rids, types] = base(tokens);
    inserts.push(sql`INSERT INTO sp_token (rid, resource_type, code, system, value, display)
      SELECT * FROM unnest(${rids}::bigint[], ${types}::text[], ${col(tokens, 0)}::text[], ${col(tokens, 1)}::text[], ${col(tokens, 2)}::text[], ${col(tokens, 3)}::text[])`);
  }
  const strings = flat((r) => r.string);
  if (strings.length) {
    const [rids, types] = base(strings);
    inserts.push(sql`INSERT INTO sp_string (rid, resource_type, code, value, exact)
      SELECT * FROM unnest(${rids}::bigint[], ${types}::text[], ${col(strings, 0)}::text[], ${col(strings, 1)}::text[], ${col(strings, 2)}::text[])`);
  }
  const dates = flat((r) => r.date);
  if (dates.length) {
    const [rids, types] = base(dates);
    inserts.push(sql`INSERT INTO sp_date (rid, resource_type, code, lo, hi)
      SELECT * FROM unnest(${rids}::bigint[], ${types}::text[], ${col(dates, 0)}::text[], ${col(dates, 1)}::timestamptz[], ${col(dates, 2)}::timestamptz[])`);
  }
  const numbers = flat((r) => r.number);
  if (numbers.length) {
    const [rids, types] = base(numbers);
    inserts.push(sql`INSERT INTO sp_number (rid, resource_type, code, value)
      SELECT * FROM unnest(${rids}::bigint[], ${types}::text[], ${col(numbers, 0)}::text[], ${col(numbers, 1)}::numeric[])`);
  }
  const quantities = flat((r) => r.quantity);
  if (quantities.length) {
    const [rids, types] = base(quantities);
    inserts.push(sql`INSERT INTO sp_quantity (rid, resource_type, code, value, system, unit)
      SELECT * FROM unnest(${rids}::bigint[], ${types}::text[], ${col(quantities, 0)}::text[], ${col(quantities, 1)}::numeric[], ${col(quantities, 2)}::text[], ${col(quantities, 3)}::text[])`);
  }
  const references = flat((r) => r.reference);
  if (references.length) {
    const [rids, types] = base(references);
    inserts.push(sql`INSERT INTO sp_reference (rid, resource_type, code, target_type, target_id)
      SELECT * FROM unnest(${rids}::bigint[], ${types}::text[], ${col(references, 0)}::text[], ${col(references, 1)}::text[], ${col(references, 2)}::text[])`);
  }
  const pairs = flat((r) => r.tokenQuantity);
  if (pairs.length) {
    const [rids, types] = base(pairs);
    inserts.push(sql`INSERT INTO sp_token_quantity (rid, resource_type, code, system, value, quantity, quantity_system, quantity_unit)
      SELECT * FROM unnest(${rids}::bigint[], ${types}::text[], ${col(pairs, 0)}::text[], ${col(pairs, 1)}::text[], ${col(pairs, 2)}::text[], ${col(pairs, 3)}::numeric[], ${col(pairs, 4)}::text[], ${col(pairs, 5)}::text[])`);
  }
  return inserts;
}

function col<T extends unknown[]>(list: { row: T }[], index: number): unknown[] {
  return list.map((x) => x.row[index]);
}

function columns(list: { resource: Resource; deleted: boolean; source?: string; compartments: string[]; content: string }[]) {
  return {
    types: list.map((p) => p.resource.resourceType),
    ids: list.map((p) => p.resource.id as string),
    versions: list.map((p) => Number(p.resource.meta?.versionId)),
    updated: list.map((p) => p.resource.meta?.lastUpdated as string),
    deleted: list.map((p) => p.deleted),
    contents: list.map((p) => p.content),
    compartments: list.map((p) => p.compartments.join(SEP)),
    sources: list.map((p) => p.source ?? null),
  };
}

function emptyRows(): SearchRows {
  return { token: [], string: [], date: [], number: [], quantity: [], reference: [], tokenQuantity: [] };
}


/**
 * Adds to each resource's compartments the patients it names only by identifier, a contained Patient, or
 * through what it carries (search/attribution.ts). An identifier names a Patient only among the records its
 * writer supplied itself, and only when exactly one matches: a facility's own patient number, never a guess
 * across facilities. Decided at write time, like every compartment: a Patient registered later does not
 * adopt what was written before it.
 */
async function resolvePatientClaims(db: Db, prepared: { resource: Resource; source?: string; compartments: string[] }[]): Promise<void> {
  const claimed = prepared.map((p) => ({ p, claims: patientClaimsOf(p.resource) })).filter((c) => hasClaims(c.claims));
  if (!claimed.length) return;
  const identifiers = claimed.flatMap(({ claims, p }, i) => (p.source ? claims.identifiers.map((id) => ({ i, ...id, source: p.source as string })) : []));
  const contexts = claimed.flatMap(({ claims }, i) => claims.contexts.map((c) => ({ i, ...c })));
  const found = new Map<number, Set<string>>(claimed.map((c, i) => [i, new Set(c.claims.ids)]));
  if (identifiers.length) {
    const rows = await db.query<{ i: number; ids: string[] }>(sql`
      SELECT c.i, array_agg(DISTINCT r.id) AS ids
      FROM unnest(${identifiers.map((x) => x.i)}::int[], ${identifiers.map((x) => x.system)}::text[], ${identifiers.map((x) => x.value)}::text[], ${identifiers.map((x) => x.source)}::text[]) AS c(i, system, value, source)
      JOIN sp_token t ON t.resource_type = 'Patient' AND t.code = 'identifier' AND t.value = c.value AND t.system = c.system
      JOIN resource r ON r.rid = t.rid AND NOT r.deleted AND r.source = c.source
      GROUP BY c.i, c.system, c.value`);
    for (const row of rows) if (row.ids.length === 1) found.get(row.i)?.add(row.ids[0]);
  }
  if (contexts.length) {
    const rows = await db.query<{ i: number; compartments: string[] }>(sql`
      SELECT c.i, r.compartments
      FROM unnest(${contexts.map((x) => x.i)}::int[], ${contexts.map((x) => x.type)}::text[], ${contexts.map((x) => x.id)}::text[]) AS c(i, type, id)
      JOIN resource r ON r.resource_type = c.type AND r.id = c.id AND NOT r.deleted`);
    for (const row of rows) for (const id of row.compartments) found.get(row.i)?.add(id);
  }
  claimed.forEach(({ p }, i) => {
    p.compartments = [...new Set([...p.compartments, ...(found.get(i) ?? [])])];
  });
}
