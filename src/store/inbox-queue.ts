/**
 * The inbox as a queue, for enhanced acknowledgment mode (issue 11): a message answered CA is kept here as
 * 'accepted' before it is mapped, and the ingest worker takes the accepted ones to map and store. PostgreSQL
 * is the queue: a message is taken with FOR UPDATE SKIP LOCKED inside the transaction that writes what it
 * produced and marks it processed, so a worker that dies leaves it accepted for the next; a message is taken
 * only when no older accepted message of the same patient remains, so one patient's messages never reorder
 * while different patients' run side by side. Keeping one announces it on `tonet_inbox` (LISTEN/NOTIFY)
 * after the commit, which wakes the workers of every process.
 */
import type { Database, Db } from './db/database';
import { Connection, connectionTo } from './connection';
import { sql } from '../core/sql';
import { jsonColumn } from './json-column';
import type { InboxArrival } from './inbox';

const CHANNEL = 'tonet_inbox';

/** A message to keep before mapping: the sender's identity comes along for the write that follows. */
export interface LaterArrival extends InboxArrival {
  facility: string;
  /** The sender's request context (its claims, never its token), as JSON-ready data. */
  sender: unknown;
  /** The sending facility and the patient's number in it (PID-3): the messages of one key keep their order. */
  patientKey: string;
}

export type Kept = { inboxId: string; duplicate: boolean };

/** An accepted message as the worker takes it. */
export interface QueuedMessage {
  id: string;
  transport: string;
  facility: string;
  fileName?: string;
  contentHash: string;
  raw: Buffer;
  sender: unknown;
}

/** What became of a taken message: processed with what it wrote, or rejected with the application ACK it earned. */
export type QueueOutcome<T> =
  | { status: 'processed'; written: string[]; dataType?: string; warnings: unknown[]; result: T }
  | { status: 'rejected'; ackCode: string; reasonsJson: string };

interface QueuedRow {
  id: string;
  transport: string;
  facility: string;
  file_name: string | null;
  content_hash: string;
  raw: Buffer;
  sender: unknown;
}

/**
 * The next message that may run now, locked for the taker: a function of the schema (migration
 * inbox-take-next), whose plan does not depend on statistics the queue never has. Exported for the plan's test.
 */
export const TAKE_NEXT = sql`SELECT id::text AS id, transport, facility, file_name, content_hash, raw, sender FROM inbox_take_next()`.prepared();

export class InboxQueue {
  private notifying = false;
  private notifyAgain = false;

  constructor(private readonly db: Database) {}

  /**
   * Keeps messages, in order, in one transaction, as accepted. A copy of one already accepted or processed
   * from the same facility is answered as a duplicate and not kept again (an advisory lock orders racing copies).
   */
  keepAllForLater(arrivals: LaterArrival[]): Promise<Kept[]> {
    return this.db.transaction(async (tx) => {
      const kept: Kept[] = [];
      for (const arrival of arrivals) kept.push(await keepForLater(tx, arrival));
      if (kept.some((k) => !k.duplicate)) tx.afterCommit(() => this.announce());
      return kept;
    });
  }

  /**
   * Takes the next message that may run now and, in one transaction, lets `work` write what it produces
   * (on the connection given) and marks it as `work` answers. Undefined when none may run now. When `work`
   * throws, nothing it wrote is kept and `failed` is asked for the reasons: with reasons the message is marked
   * rejected in a transaction of its own; without (the database was lost) the error is thrown and the message
   * stays accepted, to be taken again.
   */
  async takeNext<T>(work: (message: QueuedMessage, tx: Connection) => Promise<QueueOutcome<T>>, failed: (err: unknown, message: QueuedMessage) => { ackCode: string; reasonsJson: string } | undefined): Promise<{ message: QueuedMessage; outcome: QueueOutcome<T> } | undefined> {
    let taken: QueuedMessage | undefined;
    try {
      return await this.db.transaction(async (tx) => {
        const [row] = await tx.query<QueuedRow>(TAKE_NEXT);
        if (!row) return undefined;
        taken = { id: row.id, transport: row.transport, facility: row.facility, fileName: row.file_name ?? undefined, contentHash: row.content_hash, raw: Buffer.from(row.raw), sender: jsonColumn(row.sender) };
        const outcome = await work(taken, connectionTo(tx));
        await mark(tx, taken.id, outcome);
        return { message: taken, outcome };
      });
    } catch (err) {
      const reasons = taken && failed(err, taken);
      if (!taken || !reasons) throw err;
      const outcome: QueueOutcome<T> = { status: 'rejected', ...reasons };
      await mark(this.db, taken.id, outcome);
      return { message: taken, outcome };
    }
  }

  /** Calls `wake` whenever a message is kept by any process, until the answered stop. */
  listen(wake: () => void, onError: (err: Error) => void): Promise<() => Promise<void>> {
    return this.db.listen(CHANNEL, () => wake(), onError);
  }

  /** One NOTIFY at a time: the messages kept while it runs are announced by one more, not one each. */
  private announce(): void {
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    void (async () => {
      do {
        this.notifyAgain = false;
        // A lost announcement delays a message until the worker's next look, never loses it.
        await this.db.query(sql`SELECT pg_notify(${CHANNEL}, '')`).catch(() => undefined);
      } while (this.notifyAgain);
      this.notifying = false;
    })();
  }
}

async function keepForLater(tx: Db, arrival: LaterArrival): Promise<Kept> {
  await tx.query(sql`SELECT pg_advisory_xact_lock(hashtextextended(${arrival.facility + arrival.contentHash}, 0))`);
  // One lookup per status, each in its partial unique index (inbox_accepted_once, inbox_processed_once).
  const [existing] = await tx.query<{ id: string }>(sql`SELECT id::text AS id FROM inbox_message WHERE facility = ${arrival.facility} AND content_hash = ${arrival.contentHash} AND status = 'accepted'
    UNION ALL SELECT id::text AS id FROM inbox_message WHERE facility = ${arrival.facility} AND content_hash = ${arrival.contentHash} AND status = 'processed' LIMIT 1`);
  if (existing) return { inboxId: existing.id, duplicate: true };
  const [row] = await tx.query<{ id: string }>(sql`INSERT INTO inbox_message
      (transport, client_id, facility, message_control_id, message_type, file_name, content_hash, raw, status, ack_code, sender, patient_key)
    VALUES (${arrival.transport}, ${arrival.clientId ?? null}, ${arrival.facility}, ${arrival.messageControlId ?? null}, ${arrival.messageType ?? null},
            ${arrival.fileName ?? null}, ${arrival.contentHash}, ${arrival.raw}, 'accepted', 'CA', ${JSON.stringify(arrival.sender)}::jsonb, ${arrival.patientKey})
    RETURNING id::text AS id`);
  return { inboxId: row.id, duplicate: false };
}

async function mark<T>(db: Db, id: string, outcome: QueueOutcome<T>): Promise<void> {
  if (outcome.status === 'processed') {
    const warnings = outcome.warnings.length ? JSON.stringify(outcome.warnings) : null;
    await db.query(sql`UPDATE inbox_message SET status = 'processed', ack_code = 'AA', data_type = ${outcome.dataType ?? null}, error = ${warnings}::jsonb,
        resources = ${outcome.written}::text[], processed_at = now() WHERE id = ${id}::bigint`);
  } else {
    await db.query(sql`UPDATE inbox_message SET status = 'rejected', ack_code = ${outcome.ackCode}, error = ${outcome.reasonsJson}::jsonb, processed_at = now()
        WHERE id = ${id}::bigint AND status = 'accepted'`);
  }
}
