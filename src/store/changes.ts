/**
 * Change notification with PostgreSQL's own LISTEN/NOTIFY (no broker): every write is announced on
 * `tonet_change` once its transaction has committed, and any process may listen. Listeners never hear of a
 * write that rolled back. The NOTIFY is not part of the write transaction: a transaction that notifies
 * takes a database-wide lock at commit, which would serialise every write commit; instead the payloads of
 * the writes committed meanwhile go out together in one statement of their own. A process that dies between
 * a commit and its NOTIFY loses that announcement (subscriptions are live views, not a log). Re-emitting the
 * events within a process, and reconnecting, is notify/changes.ts's.
 */
import type { Database, Db } from './db/database';
import { Connection, databaseOf } from './connection';
import { sql } from '../core/sql';
import type { StoredVersion } from './resource-writes';
import type { Logger } from '../core/logger';

const CHANNEL = 'tonet_change';

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
  readonly hook = async (tx: Connection, versions: StoredVersion[]): Promise<void> => {
    if (!versions.length) return;
    const payloads = versions.map((v) => JSON.stringify({ resourceType: v.resource.resourceType, id: v.resource.id as string, versionId: v.resource.meta?.versionId as string, deleted: v.deleted } satisfies ChangeEvent));
    databaseOf(tx).afterCommit(() => this.announce(payloads));
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

/** Listening to the changes every process announces. */
export class ChangeChannel {
  constructor(private readonly db: Database) {}

  /**
   * Delivers each change announced from now until the returned stop (on PostgreSQL over a connection of its
   * own); onUnreadable hears of a payload that is not a change event, onError of the connection's loss.
   */
  listen(deliver: (event: ChangeEvent) => void, onUnreadable: (err: Error) => void, onError: (err: Error) => void): Promise<() => Promise<void>> {
    const parse = (payload: string | undefined) => {
      let event: ChangeEvent;
      try {
        event = JSON.parse(payload ?? '') as ChangeEvent;
      } catch (err) {
        onUnreadable(err as Error);
        return;
      }
      deliver(event);
    };
    return this.db.listen(CHANNEL, parse, onError);
  }
}
