/**
 * The database behind one small interface. Two implementations of the same contract, chosen in one place:
 * a real PostgreSQL through TypeORM's `pg` pool, or PGlite (Postgres in WASM) embedded in the process.
 */
import 'reflect-metadata';
import { DataSource, QueryRunner } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { migrations } from '../../migrations';
import { Sql } from './sql';

export interface Db {
  /** Runs one statement and returns its rows. */
  query<T = Record<string, unknown>>(statement: Sql): Promise<T[]>;
  /** Runs fn in one database transaction; nested calls join the outer one. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
}

export interface Database extends Db {
  readonly kind: 'postgres' | 'pglite';
  readonly dataSource: DataSource;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  /** PGlite data directory; undefined keeps the embedded database in memory. */
  dataDir?: string;
  /** A PGlite data directory dump (`dumpDataDir`) to start an in-memory database from instead of an empty one. */
  embeddedTemplate?: Blob;
  poolSize?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const dataSource = options.databaseUrl
    ? new DataSource({
        type: 'postgres',
        url: options.databaseUrl,
        migrations,
        migrationsTableName: 'tonet_migrations',
        extra: { max: options.poolSize ?? 16 },
      })
    : new DataSource({
        type: 'postgres',
        driver: new PGliteDriver({
          ...(options.dataDir ? { dataDir: options.dataDir } : {}),
          ...(options.embeddedTemplate ? { loadDataDir: options.embeddedTemplate } : {}),
        }).driver,
        migrations,
        migrationsTableName: 'tonet_migrations',
      });
  await dataSource.initialize();
  return new TypeOrmDatabase(dataSource, options.databaseUrl ? 'postgres' : 'pglite');
}

class TypeOrmDatabase implements Database {
  /**
   * PGlite is one connection: two interleaved transactions would share it. Every top-level operation
   * therefore waits its turn here; with PostgreSQL the pool gives each its own connection instead.
   */
  private readonly turn: Mutex | undefined;

  constructor(
    readonly dataSource: DataSource,
    readonly kind: 'postgres' | 'pglite'
  ) {
    this.turn = kind === 'pglite' ? new Mutex() : undefined;
  }

  async query<T>(statement: Sql): Promise<T[]> {
    const { text, values } = statement.toQuery();
    const run = async (): Promise<T[]> => {
      const runner = this.dataSource.createQueryRunner();
      try {
        return (await runner.query(text, values, true)).records as T[];
      } finally {
        await runner.release();
      }
    };
    return this.turn ? this.turn.run(run) : run();
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const work = async (): Promise<T> => {
      const runner = this.dataSource.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      try {
        const result = await fn(new TransactionDb(runner));
        await runner.commitTransaction();
        return result;
      } catch (err) {
        await runner.rollbackTransaction().catch(() => undefined);
        throw err;
      } finally {
        await runner.release();
      }
    };
    return this.turn ? this.turn.run(work) : work();
  }

  async migrate(): Promise<string[]> {
    const run = async (): Promise<string[]> =>
      (await this.dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
    return this.turn ? this.turn.run(run) : run();
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) {
      await this.dataSource.destroy();
    }
  }
}

class TransactionDb implements Db {
  constructor(private readonly runner: QueryRunner) {}

  async query<T>(statement: Sql): Promise<T[]> {
    const { text, values } = statement.toQuery();
    const result = await this.runner.query(text, values, true);
    return result.records as T[];
  }

  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return fn(this);
  }
}

/** First come, first served; keeps no queue beyond the promise chain. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
