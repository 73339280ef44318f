/**
 * Change events within a process: the store's change channel (store/changes.ts, LISTEN/NOTIFY) re-emitted to
 * every local subscriber, reopened when the connection is lost.
 */
import { EventEmitter } from 'node:events';
import type { ChangeChannel, ChangeEvent } from '../store/changes';
import type { Logger } from '../core/logger';

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
  async start(channel: ChangeChannel): Promise<void> {
    await this.listen(channel);
  }

  private async listen(channel: ChangeChannel): Promise<void> {
    const connection = ++this.connection;
    this.stopListening = await channel.listen(
      (event) => this.emit('change', event),
      (err) => this.logger.warn({ err }, 'unreadable change notification'),
      (err) => this.lost(channel, connection, err)
    );
  }

  private lost(channel: ChangeChannel, connection: number, err: Error): void {
    if (this.stopped || connection !== this.connection) return;
    this.connection++;
    this.logger.error({ err }, 'LISTEN connection lost; reconnecting');
    void this.stopListening?.().catch(() => undefined);
    this.stopListening = undefined;
    this.reconnect(channel, this.retryDelays.firstMs);
  }

  private reconnect(channel: ChangeChannel, delayMs: number): void {
    this.retry = setTimeout(async () => {
      if (this.stopped) return;
      try {
        await this.listen(channel);
        this.logger.info('LISTEN connection restored');
        this.emit('reconnected');
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, retryInMs: delayMs }, 'LISTEN reconnect failed');
        this.reconnect(channel, Math.min(delayMs * 2, this.retryDelays.maxMs));
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
