/**
 * A database connection, or an open transaction, as code outside the store holds it: it says where a unit of
 * work runs (so that a booking, its ledger rows and its AuditEvent commit together) but runs nothing itself.
 * Only the store's modules reach the database behind it (`databaseOf`), so no SQL can be written elsewhere.
 * It is the same object as the database, typed so that nothing outside the store can query through it.
 */
import type { Db } from './db/database';
import { sql } from '../core/sql';

declare const opaque: unique symbol;

export interface Connection {
  readonly [opaque]: 'a database connection, reached through the store only';
}

export function connectionTo(db: Db): Connection {
  return db as unknown as Connection;
}

/** The database behind a connection: for the store's own modules (tests/store/enclosure.test.ts keeps it so). */
export function databaseOf(connection: Connection): Db {
  return connection as unknown as Db;
}

/** Runs fn in one transaction on the connection (joining the one it is already in). */
export function inTransaction<T>(connection: Connection, fn: (tx: Connection) => Promise<T>): Promise<T> {
  return databaseOf(connection).transaction((tx) => fn(connectionTo(tx)));
}

/**
 * Holds a lock named by `key` until the transaction on `on` ends, so that two units of work on the same thing
 * (one study's instances, one client's declarations) run one after the other in every process.
 */
export async function lockUntilCommit(on: Connection, key: string): Promise<void> {
  await databaseOf(on).query(sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
}
