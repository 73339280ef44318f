/**
 * The Database embedded in the process: PGlite (PostgreSQL compiled to WASM), in memory or in a data
 * directory. PGlite is one connection: two interleaved transactions would share it, so every top-level
 * operation waits its turn on a mutex; with PostgreSQL the pool gives each its own connection instead.
 */
import { PGlite } from '@electric-sql/pglite';
import { runAll } from './after-commit';
import type { Database, DatabaseOptions, Db, PoolUsage } from './database';
import { runMigrations } from './migrate';
import type { Sql } from '../../core/sql';

export async function openEmbeddedDatabase(options: Pick<DatabaseOptions, 'dataDir' | 'embeddedTemplate'>): Promise<EmbeddedDatabase> {
  const pglite = await PGlite.create(options.dataDir, options.embeddedTemplate ? { loadDataDir: options.embeddedTemplate } : {});
  return new EmbeddedDatabase(pglite);
}

export class EmbeddedDatabase implements Database {
  readonly kind = 'pglite';
  private readonly turn = new Mutex();
  private readonly session: Db;

  constructor(private readonly pglite: PGlite) {
    this.session = new SessionDb(pglite);
  }

  query<T>(statement: Sql): Promise<T[]> {
    return this.turn.run(() => this.session.query<T>(statement));
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const tx = new SessionDb(this.pglite, []);
    const result = await this.turn.run(() => this.inTransaction(() => fn(tx)));
    // After the turn is given back: a callback may query the database itself.
    tx.committed();
    return result;
  }

  afterCommit(fn: () => void): void {
    fn();
  }

  migrate(folder?: string): Promise<string[]> {
    return this.turn.run(() =>
      this.inTransaction(() =>
        runMigrations({
          query: (text, values) => this.pglite.query<Record<string, unknown>>(text, values),
          exec: async (script) => void (await this.pglite.exec(script)),
        }, folder)
      )
    );
  }

  async listen(channel: string, onPayload: (payload: string | undefined) => void): Promise<() => Promise<void>> {
    // LISTEN is a statement too: between another caller's statements it would run inside their transaction.
    const unlisten = await this.turn.run(() => this.pglite.listen(channel, onPayload));
    // Closing PGlite ends its listeners; an UNLISTEN after that would reject inside PGlite, unhandled.
    return () => this.turn.run(async () => {
      if (!this.pglite.closed) await unlisten();
    });
  }

  /** The one connection: busy while someone holds the turn, the others waiting for it. */
  poolUsage(): PoolUsage {
    const holders = this.turn.holders;
    return { max: 1, busy: Math.min(holders, 1), idle: holders ? 0 : 1, waiting: Math.max(holders - 1, 0) };
  }

  /** The data directory as a gzipped tarball, which `embeddedTemplate` starts a database from. */
  async dump(): Promise<Blob> {
    return this.turn.run(() => this.pglite.dumpDataDir('gzip'));
  }

  /** Closing twice is harmless (a test lets go of the data directory before the server stops). */
  close(): Promise<void> {
    return this.turn.run(async () => {
      if (!this.pglite.closed) await this.pglite.close();
    });
  }

  private async inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.pglite.exec('BEGIN');
    try {
      const result = await fn();
      await this.pglite.exec('COMMIT');
      return result;
    } catch (err) {
      await this.pglite.exec('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}

/** Statements on the one connection, whoever holds the turn; `waiting` is set in a transaction, for what waits for its commit. */
class SessionDb implements Db {
  constructor(
    private readonly pglite: PGlite,
    private readonly waiting?: (() => void)[]
  ) {}

  afterCommit(fn: () => void): void {
    if (this.waiting) this.waiting.push(fn);
    else fn();
  }

  committed(): void {
    if (this.waiting) runAll(this.waiting);
  }

  async query<T>(statement: Sql): Promise<T[]> {
    const { text, values } = statement.toQuery();
    if (values.length) return (await this.pglite.query<T>(text, values)).rows;
    // Without parameters the simple protocol runs the text as node-postgres would (several statements allowed).
    const results = await this.pglite.exec(text);
    return (results[results.length - 1]?.rows ?? []) as T[];
  }

  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return fn(this);
  }
}

/** First come, first served; keeps no queue beyond the promise chain. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  /** The caller running now and those waiting behind it. */
  holders = 0;

  run<T>(fn: () => Promise<T>): Promise<T> {
    this.holders++;
    const done = () => this.holders--;
    const result = this.tail.then(fn, fn).finally(done);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
