/**
 * Change notifications across server processes with PostgreSQL's own LISTEN/NOTIFY (no broker): every write
 * is announced once its transaction has committed, and each process LISTENs and re-emits the events locally.
 * Listeners never hear of a write that rolled back. The NOTIFY is not part of the write transaction: a
 * transaction that notifies takes a database-wide lock at commit, which would serialise every write commit;
 * instead the payloads of the writes committed meanwhile go out together in one statement of their own.
 * A process that dies between a commit and its NOTIFY loses that announcement (subscriptions are live views,
 * not a log).
 */
import { EventEmitter } from 'node:events';
import type { Database, Db } from '../store/db/database';
import { sql } from '../core/sql';
import type { StoredVersion } from '../fhir/store';
import type { Logger } from '../core/logger';

export const CHANNEL = 'tonet_change';

export interface ChangeEvent {
  resourceType: string;
  id: string;
  versionId: string;
  deleted: boolean;
}

export class ChangeNotifier {
  private pending: string[] = [];
  private flushing = false;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger
  ) {}

  /** The write hook: what was stored is announced after the commit. */
  readonly hook = async (tx: Db, versions: StoredVersion[]): Promise<void> => {
    if (!versions.length) return;
    const payloads = versions.map((v) => JSON.stringify({ resourceType: v.resource.resourceType, id: v.resource.id as string, versionId: v.resource.meta?.versionId as string, deleted: v.deleted } satisfies ChangeEvent));
    tx.afterCommit(() => this.announce(payloads));
  };

  private announce(payloads: string[]): void {
    this.pending.push(...payloads);
    if (!this.flushing) void this.flush();
  }

  /** One NOTIFY statement at a time; what commits meanwhile waits for the next one. */
  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0);
        await this.db.query(sql`SELECT pg_notify(${CHANNEL}, p) FROM unnest(${batch}::text[]) AS p`).catch((err) => this.logger.warn({ err, changes: batch.length }, 'change notification not sent'));
      }
    } finally {
      this.flushing = false;
    }
  }
}

export class ChangeFeed extends EventEmitter {
  private stopListening?: () => Promise<void>;
  /** Counts LISTEN connections, so that a lost one is handled once however many ways it reports its loss. */
  private connection = 0;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly logger: Logger,
    private readonly retryDelays: { firstMs: number; maxMs: number } = { firstMs: 200, maxMs: 5000 }
  ) {
    super();
    // Every GraphQL subscription adds a listener; hundreds are normal.
    this.setMaxListeners(0);
  }

  /**
   * Starts listening on the database (on PostgreSQL a connection of its own). When that connection is lost
   * (a PostgreSQL restart, a terminated backend) it is opened again, backing off up to retryDelays.maxMs, and
   * the feed emits 'reconnected'; changes committed while it was away are not replayed.
   */
  async start(db: Database): Promise<void> {
    await this.listen(db);
  }

  private async listen(db: Database): Promise<void> {
    const connection = ++this.connection;
    const deliver = (payload: string | undefined) => {
      try {
        this.emit('change', JSON.parse(payload ?? '') as ChangeEvent);
      } catch (err) {
        this.logger.warn({ err }, 'unreadable change notification');
      }
    };
    this.stopListening = await db.listen(CHANNEL, deliver, (err) => this.lost(db, connection, err));
  }

  private lost(db: Database, connection: number, err: Error): void {
    if (this.stopped || connection !== this.connection) return;
    this.connection++;
    this.logger.error({ err }, 'LISTEN connection lost; reconnecting');
    void this.stopListening?.().catch(() => undefined);
    this.stopListening = undefined;
    this.reconnect(db, this.retryDelays.firstMs);
  }

  private reconnect(db: Database, delayMs: number): void {
    this.retry = setTimeout(async () => {
      if (this.stopped) return;
      try {
        await this.listen(db);
        this.logger.info('LISTEN connection restored');
        this.emit('reconnected');
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, retryInMs: delayMs }, 'LISTEN reconnect failed');
        this.reconnect(db, Math.min(delayMs * 2, this.retryDelays.maxMs));
      }
    }, delayMs);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.stopListening?.().catch(() => undefined);
    this.removeAllListeners();
  }

  /**
   * Change events as an async iterator for one subscription. Written by hand rather than as an async
   * generator so that `return()` detaches the listener at once, even while waiting for the next event.
   */
  events(): AsyncIterableIterator<ChangeEvent> {
    const queue: ChangeEvent[] = [];
    let waiting: ((result: IteratorResult<ChangeEvent>) => void) | undefined;
    let finished = false;
    const onChange = (event: ChangeEvent) => {
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        resolve({ value: event, done: false });
      } else {
        queue.push(event);
      }
    };
    const finish = () => {
      finished = true;
      this.off('change', onChange);
      waiting?.({ value: undefined, done: true });
      waiting = undefined;
    };
    this.on('change', onChange);
    return {
      next: () => {
        if (queue.length) return Promise.resolve({ value: queue.shift() as ChangeEvent, done: false });
        if (finished) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (waiting = resolve));
      },
      return: async () => {
        finish();
        return { value: undefined, done: true };
      },
      throw: async (err: unknown) => {
        finish();
        throw err;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
}

/**
 * Maps (and drops, when fn gives undefined) the items of an async iterator, passing `return()` straight
 * through to the source so that ending a subscription releases the listener at once.
 */
export function mapAsync<T, U>(source: AsyncIterator<T>, fn: (item: T) => Promise<U | undefined>): AsyncIterableIterator<U> {
  return {
    async next(): Promise<IteratorResult<U>> {
      for (;;) {
        const item = await source.next();
        if (item.done) return { value: undefined, done: true };
        const mapped = await fn(item.value);
        if (mapped !== undefined) return { value: mapped, done: false };
      }
    },
    async return(): Promise<IteratorResult<U>> {
      await source.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
