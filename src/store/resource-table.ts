/**
 * The resource and history tables as the FHIR repository (src/fhir/repository.ts) uses them: current and past
 * versions read under a caller's ReadScope, rows locked for an update, conditions locked for a conditional write,
 * versions written with the write hooks in one transaction, history and search pages. FHIR semantics (versions,
 * conditions, validation, who may do what) stay in the repository; this module is where they meet SQL, and it
 * answers resources' JSON text, never a statement.
 */
import type { SearchRequest } from '@medplum/core';
import type { Db } from './db/database';
import { Connection, connectionTo, databaseOf } from './connection';
import { sql, Sql } from '../core/sql';
import { ReadScope, readScopeSql, linkedPatientIds } from './read-scope';
import { executeSearch, SearchPage } from './search/execute';
import { StoredVersion, writeVersions } from './resource-writes';

/**
 * Runs in the transaction of every write, after the versions are stored: derived state that must never
 * lag behind the resources (consent grants, pathway alerts) is kept in step here.
 */
export type WriteHook = (tx: Connection, versions: StoredVersion[]) => Promise<void>;

export interface HistoryEntry {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  deleted: boolean;
  content: string;
}

export interface HistoryOptions {
  resourceType?: string;
  id?: string;
  since?: string;
  count: number;
  /** Keyset position: entries strictly older than this (lastUpdated ISO, rid, versionId). */
  before?: { lastUpdated: string; rid: string; versionId: number };
}

/** A current row as an update or delete sees it, locked: its version, whether it is a deletion, and whether the caller may see it. */
export interface LockedRow {
  rid: string;
  versionId: number;
  deleted: boolean;
  content: string;
  visible: boolean;
}

/** Narrows a search to one patient's compartment (the regional Patient and every local record linked to it), optionally from a time on. */
export interface CompartmentFilter {
  patientId: string;
  since?: string;
}

export class ResourceTable {
  constructor(
    private readonly db: Db,
    private readonly hooks: readonly WriteHook[] = []
  ) {}

  /** Where this table's statements run, for store modules whose work must commit with them. */
  get connection(): Connection {
    return connectionTo(this.db);
  }

  /** The same table on another connection (an enclosing transaction). */
  on(connection: Connection): ResourceTable {
    return new ResourceTable(databaseOf(connection), this.hooks);
  }

  async transaction<T>(fn: (table: ResourceTable) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new ResourceTable(tx, this.hooks)));
  }

  /** Stores versions and runs the write hooks, all in one transaction. */
  async write(versions: StoredVersion[]): Promise<void> {
    if (!this.hooks.length) return writeVersions(this.db, versions);
    await this.db.transaction(async (tx) => {
      await writeVersions(tx, versions);
      for (const hook of this.hooks) await hook(connectionTo(tx), versions);
    });
  }

  async current(resourceType: string, id: string, scope: ReadScope): Promise<{ content: string; deleted: boolean } | undefined> {
    const [row] = await this.db.query<{ content: string; deleted: boolean }>(
      sql`SELECT content, deleted FROM resource r WHERE r.resource_type = ${resourceType} AND r.id = ${id} AND ${readScopeSql(scope, 'r')}`.prepared()
    );
    return row;
  }

  /** Several current, undeleted resources in one statement, by `Type/id`; what is missing or hidden is absent. */
  async currentMany(refs: readonly { resourceType: string; id: string }[], scope: ReadScope): Promise<Map<string, string>> {
    if (!refs.length) return new Map();
    const rows = await this.db.query<{ resource_type: string; id: string; content: string }>(sql`SELECT r.resource_type, r.id, r.content FROM resource r
      WHERE (r.resource_type, r.id) IN (SELECT * FROM unnest(${refs.map((r) => r.resourceType)}::text[], ${refs.map((r) => r.id)}::text[]))
        AND NOT r.deleted AND ${readScopeSql(scope, 'r')}`.prepared());
    return new Map(rows.map((row) => [`${row.resource_type}/${row.id}`, row.content]));
  }

  /**
   * Which of these `Type/id` keys are taken by a row, current or deleted, whoever supplied it: a bulk import
   * creates only, so an id in use by anyone is refused rather than replaced or revived.
   */
  async taken(refs: readonly { resourceType: string; id: string }[]): Promise<Set<string>> {
    if (!refs.length) return new Set();
    const rows = await this.db.query<{ resource_type: string; id: string }>(sql`SELECT r.resource_type, r.id FROM resource r
      WHERE (r.resource_type, r.id) IN (SELECT * FROM unnest(${refs.map((r) => r.resourceType)}::text[], ${refs.map((r) => r.id)}::text[]))`.prepared());
    return new Set(rows.map((row) => `${row.resource_type}/${row.id}`));
  }

  async version(resourceType: string, id: string, versionId: number, scope: ReadScope): Promise<{ content: string; deleted: boolean } | undefined> {
    const [row] = await this.db.query<{ content: string; deleted: boolean }>(sql`SELECT h.content, h.deleted FROM resource_history h
      WHERE h.resource_type = ${resourceType} AND h.id = ${id} AND h.version_id = ${versionId} AND ${readScopeSql(scope, 'h')}`.prepared());
    return row;
  }

  /** The current row, locked until the transaction ends, and whether the caller may see it. */
  async lockCurrent(resourceType: string, id: string, scope: ReadScope): Promise<LockedRow | undefined> {
    const [row] = await this.db.query<{ rid: string; version_id: number; deleted: boolean; content: string; visible: boolean }>(sql`
      SELECT r.rid::text AS rid, r.version_id, r.deleted, r.content, ${readScopeSql(scope, 'r')} AS visible
      FROM resource r WHERE r.resource_type = ${resourceType} AND r.id = ${id} FOR UPDATE`.prepared());
    return row && { rid: row.rid, versionId: row.version_id, deleted: row.deleted, content: row.content, visible: row.visible };
  }

  async history(options: HistoryOptions, scope: ReadScope): Promise<{ entries: (HistoryEntry & { rid: string })[]; more: boolean }> {
    const conditions: Sql[] = [readScopeSql(scope, 'h')];
    if (options.resourceType) conditions.push(sql`h.resource_type = ${options.resourceType}`);
    if (options.id) conditions.push(sql`h.id = ${options.id}`);
    if (options.since) conditions.push(sql`h.last_updated >= ${options.since}::timestamptz`);
    if (options.before) {
      const b = options.before;
      conditions.push(sql`(h.last_updated, h.rid, h.version_id) < (${b.lastUpdated}::timestamptz, ${b.rid}::bigint, ${b.versionId}::int)`);
    }
    const where = conditions.reduce((acc, c) => sql`${acc} AND ${c}`);
    const rows = await this.db.query<{ rid: string; resource_type: string; id: string; version_id: number; last_updated: Date | string; deleted: boolean; content: string }>(sql`
      SELECT h.rid::text AS rid, h.resource_type, h.id, h.version_id, h.last_updated, h.deleted, h.content
      FROM resource_history h WHERE ${where}
      ORDER BY h.last_updated DESC, h.rid DESC, h.version_id DESC LIMIT ${options.count + 1}`);
    return {
      more: rows.length > options.count,
      entries: rows.slice(0, options.count).map((r) => ({
        rid: r.rid,
        resourceType: r.resource_type,
        id: r.id,
        versionId: r.version_id,
        lastUpdated: new Date(r.last_updated).toISOString(),
        deleted: r.deleted,
        content: r.content,
      })),
    };
  }

  search(request: SearchRequest, types: string[], scope: ReadScope, compartment?: CompartmentFilter): Promise<SearchPage> {
    return executeSearch(this.db, { request, types, visible: (alias) => readScopeSql(scope, alias), extra: compartment && compartmentSql(compartment) });
  }

  /**
   * Locks conditions (their canonical `Type?query` keys) until the enclosing transaction ends, all in one
   * statement and in one order (their hash) in every process, so that two transactions locking several never
   * deadlock. lockCondition then takes none of these again. Only within a transaction.
   */
  async lockConditions(keys: readonly string[]): Promise<void> {
    const held = lockedConditions.get(this.db) ?? new Set<string>();
    const wanted = [...new Set(keys)].filter((key) => !held.has(key));
    if (!wanted.length) return;
    await this.db.query(sql`SELECT pg_advisory_xact_lock(h) FROM (SELECT hashtextextended(k, 0) AS h FROM unnest(${wanted}::text[]) AS k ORDER BY 1 OFFSET 0) ordered`);
    for (const key of wanted) held.add(key);
    lockedConditions.set(this.db, held);
  }

  /** Locks one condition until the enclosing transaction ends, unless lockConditions already has. */
  async lockCondition(key: string): Promise<void> {
    if (!lockedConditions.get(this.db)?.has(key)) await this.db.query(sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
  }
}

/** A resource's stored JSON as it is now (a deletion's: what it deleted), whoever may see it: for the audit of a delete. */
export async function storedContent(on: Connection, resourceType: string, id: string): Promise<string | undefined> {
  const [row] = await databaseOf(on).query<{ content: string }>(sql`SELECT content FROM resource WHERE resource_type = ${resourceType} AND id = ${id}`);
  return row?.content;
}

function compartmentSql({ patientId, since }: CompartmentFilter): Sql {
  const inCompartment = sql`r.compartments && ${linkedPatientIds(patientId)}`;
  return since ? sql`${inCompartment} AND r.last_updated >= ${since}::timestamptz` : inCompartment;
}

/**
 * The conditions a transaction has locked, per transaction (its Db, which lives as long as the transaction):
 * an advisory transaction lock is held to its end, so one taken is not taken again.
 */
const lockedConditions = new WeakMap<Db, Set<string>>();
