/**
 * The database behind one small interface. Two implementations of the same contract, chosen in one place:
 * a PostgreSQL server through a `pg` pool (postgres.ts), or PGlite (Postgres in WASM) embedded in the
 * process (embedded.ts), opened by open.ts. Both run the same SQL; migrations are SQL files too (migrate.ts).
 */
import type { Sql } from '../../core/sql';

export interface Db {
  /** Runs one statement and returns its rows. */
  query<T = Record<string, unknown>>(statement: Sql): Promise<T[]>;
  /** Runs fn in one database transaction; nested calls join the outer one. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * Runs fn once the enclosing transaction has committed, never when it rolls back; outside a transaction
   * (whose statements commit as they run) at once. For work that must not hold the transaction open or
   * be seen before the commit: notifications, statistics.
   */
  afterCommit(fn: () => void): void;
}

export interface Database extends Db {
  readonly kind: 'postgres' | 'pglite';
  /** Applies the migrations in folder (default: the package's migrations/) not applied yet; answers their names. */
  migrate(folder?: string): Promise<string[]>;
  /** Hears NOTIFY on a channel (chosen by code) until the answered function is called. */
  listen(channel: string, onPayload: (payload: string | undefined) => void, onError: (err: Error) => void): Promise<() => Promise<void>>;
  /** Connections now: the most there may be, how many run a statement or transaction, how many callers wait for one. */
  poolUsage(): PoolUsage;
  close(): Promise<void>;
}

export interface PoolUsage {
  max: number;
  busy: number;
  idle: number;
  waiting: number;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  /** PGlite data directory; undefined keeps the embedded database in memory. */
  dataDir?: string;
  /** A PGlite data directory dump (`dumpDataDir`) to start an in-memory database from instead of an empty one. */
  embeddedTemplate?: Blob;
  poolSize?: number;
}
