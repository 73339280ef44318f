/** The Database on a PostgreSQL server: a `pg` pool, one pooled connection per transaction. */
import { Client, Pool, PoolClient } from 'pg';
import { runAll } from './after-commit';
import type { Database, Db, PoolUsage } from './database';
import { runMigrations } from './migrate';
import type { Sql } from '../../core/sql';

export async function openPostgresDatabase(url: string, poolSize: number): Promise<Database> {
  const pool = new Pool({ connectionString: url, max: poolSize });
  // An idle connection that breaks (server restart) is dropped by the pool; without a listener the
  // 'error' event would end the process.
  pool.on('error', () => undefined);
  // Fail at start, naming the server's complaint, rather than at the first request.
  (await pool.connect()).release();
  return new PostgresDatabase(pool, url);
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres';
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly url: string
  ) {}

  async query<T>(statement: Sql): Promise<T[]> {
    return (await this.pool.query(statement.toQuery())).rows as T[];
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    let tx: ClientDb | undefined;
    const result = await this.withTransaction((client) => fn((tx = new ClientDb(client))));
    tx?.committed();
    return result;
  }

  afterCommit(fn: () => void): void {
    fn();
  }

  migrate(folder?: string): Promise<string[]> {
    return this.withTransaction((client) =>
      runMigrations({
        query: (text, values) => client.query(text, values),
        exec: async (script) => void (await client.query(script)),
      }, folder)
    );
  }

  async listen(channel: string, onPayload: (payload: string | undefined) => void, onError: (err: Error) => void): Promise<() => Promise<void>> {
    // LISTEN holds its connection for as long as it listens, so it gets one of its own outside the pool.
    const client = new Client({ connectionString: this.url });
    let ending = false;
    // A connection that fails to connect or to LISTEN is closed, so it never reports a loss of its own later.
    const failed = async (err: unknown) => {
      ending = true;
      await client.end().catch(() => undefined);
      throw err;
    };
    client.on('error', (err) => ending || onError(err));
    // A terminated backend can end the connection without an 'error' event; either way onError hears it once.
    client.on('end', () => ending || onError(new Error('LISTEN connection ended')));
    await client.connect().catch(failed);
    client.on('notification', (message) => message.channel === channel && onPayload(message.payload));
    await client.query(`LISTEN ${channel}`).catch(failed);
    return () => {
      ending = true;
      return client.end();
    };
  }

  poolUsage(): PoolUsage {
    const { totalCount, idleCount, waitingCount } = this.pool;
    // pg-pool queues even a request an idle connection will serve at the next tick; only the rest wait.
    return { max: this.pool.options.max ?? 10, busy: totalCount - idleCount, idle: idleCount, waiting: Math.max(waitingCount - idleCount, 0) };
  }

  /** Closing twice is harmless, as on the embedded database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async withTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A connection that cannot even roll back is not given back to the pool.
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw err;
    } finally {
      client.release(broken);
    }
  }
}

/** The statements of one transaction, on its pooled connection, and what waits for its commit. */
class ClientDb implements Db {
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly client: PoolClient) {}

  async query<T>(statement: Sql): Promise<T[]> {
    return (await this.client.query(statement.toQuery())).rows as T[];
  }

  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return fn(this);
  }

  afterCommit(fn: () => void): void {
    this.waiting.push(fn);
  }

  committed(): void {
    runAll(this.waiting);
  }
}
