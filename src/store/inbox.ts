/**
 * The inbox_message table: every HL7 v2 message received, as sent (less its security fields), with what
 * became of it. An accepted message's row is written in the same transaction as the resources it produced,
 * so an acknowledged message is durable with all it wrote; a refused one is kept (status rejected, with its
 * reasons) for the office's dead-letter review and replay. ingest/pipeline.ts keeps the rules; this module
 * keeps the rows.
 */
import type { Db } from './db/database';
import { Connection, connectionTo } from './connection';
import { sql } from '../core/sql';
import { jsonColumn } from './json-column';

/** 'accepted': kept and answered CA in enhanced mode, not yet mapped (store/inbox-queue.ts). */
export type InboxStatus = 'accepted' | 'processed' | 'rejected' | 'replayed';

/** What every kept message carries, accepted or refused. Text fields must be free of NUL (text columns cannot hold it). */
export interface InboxArrival {
  transport: string;
  clientId?: string;
  /** The sending facility's Organization reference, when it is known. */
  facility?: string;
  messageControlId?: string;
  messageType?: string;
  fileName?: string;
  /** The content's hash without MSH-8: identical re-sends of one facility share it. */
  contentHash: string;
  /** The bytes as sent, less the security fields. */
  raw: Buffer;
}

export interface AcceptedArrival extends InboxArrival {
  facility: string;
  dataType?: string;
  /** Warnings the mapping left (fields not mapped, values read leniently), kept with the message. */
  warnings: unknown[];
}

export interface RejectedArrival extends InboxArrival {
  ackCode: string;
  /** The reasons, as JSON text already cleaned of NUL escapes. */
  reasonsJson: string;
}

/** What the office sees of a message in the list. */
export interface InboxSummary {
  id: string;
  receivedAt: Date;
  /** When it was stored or refused; in enhanced mode after its CA, when the worker mapped it (undefined while accepted). */
  processedAt?: Date;
  facility?: string;
  messageControlId?: string;
  messageType?: string;
  status: InboxStatus;
  error: unknown;
  fileName?: string;
  transport: string;
}

/** One message in full: its bytes, its sender and the resources it wrote. */
export interface InboxMessage extends InboxSummary {
  clientId?: string;
  raw: Buffer;
  resources: string[];
}

/** What the writer of an accepted message's resources did inside the inbox row's transaction. */
export interface Produced<T> {
  /** `Type/id` of every resource written, kept on the row. */
  written: string[];
  result: T;
}

export type Producer<T> = (tx: Connection, inboxId: string) => Promise<Produced<T>>;

export type Acceptance<T> = { inboxId: string; duplicate: true } | { inboxId: string; duplicate: false; result: T };

interface SummaryRow {
  id: string;
  received_at: Date;
  processed_at: Date | null;
  facility: string | null;
  message_control_id: string | null;
  message_type: string | null;
  status: InboxStatus;
  error: unknown;
  file_name: string | null;
  transport: string;
}

interface MessageRow extends SummaryRow {
  client_id: string | null;
  raw: Buffer;
  resources: string[] | null;
}

export class InboxMessages {
  constructor(private readonly db: Db) {}

  /**
   * Keeps an accepted message and runs `produce` in the same transaction with it (the connection to write
   * its resources on and the row's id for their Provenance). Identical messages from one facility are
   * processed once: an advisory lock orders racing copies, and a copy already processed is answered as a
   * duplicate without running `produce`.
   */
  async keepAccepted<T>(arrival: AcceptedArrival, produce: Producer<T>): Promise<Acceptance<T>> {
    const [acceptance] = await this.keepAllAccepted([{ arrival, produce }]);
    return acceptance;
  }

  /**
   * Keeps several accepted messages, in order, in one transaction (one commit for all: a connection's
   * queued messages, micro-batched). All or none: when one producer throws, nothing of any is kept.
   */
  keepAllAccepted<T>(messages: { arrival: AcceptedArrival; produce: Producer<T> }[]): Promise<Acceptance<T>[]> {
    return this.db.transaction(async (tx) => {
      const kept: Acceptance<T>[] = [];
      for (const { arrival, produce } of messages) kept.push(await keepOne(tx, arrival, produce));
      return kept;
    });
  }

  /** Keeps a refused message in a statement of its own, before its AE/AR goes out; returns its id. */
  async keepRejected(arrival: RejectedArrival): Promise<string> {
    const [row] = await this.db.query<{ id: string }>(sql`INSERT INTO inbox_message
        (transport, client_id, facility, message_control_id, message_type, file_name, content_hash, raw, status, ack_code, error)
      VALUES (${arrival.transport}, ${arrival.clientId ?? null}, ${arrival.facility ?? null}, ${arrival.messageControlId ?? null}, ${arrival.messageType ?? null},
              ${arrival.fileName ?? null}, ${arrival.contentHash}, ${arrival.raw}, 'rejected', ${arrival.ackCode}, ${arrival.reasonsJson}::jsonb)
      RETURNING id::text AS id`);
    return row.id;
  }

  /** The newest messages of one status, newest first. */
  async list(status: InboxStatus, limit: number): Promise<InboxSummary[]> {
    const rows = await this.db.query<SummaryRow>(
      sql`SELECT id::text AS id, received_at, processed_at, facility, message_control_id, message_type, status, error, file_name, transport
          FROM inbox_message WHERE status = ${status} ORDER BY inbox_message.id DESC LIMIT ${limit}`
    );
    return rows.map(summaryOf);
  }

  /** One message in full, or undefined. `id` must be a decimal number. */
  async find(id: string): Promise<InboxMessage | undefined> {
    const [row] = await this.db.query<MessageRow>(
      sql`SELECT id::text AS id, received_at, processed_at, facility, message_control_id, message_type, status, error, file_name, transport, client_id, raw, resources
          FROM inbox_message WHERE id = ${id}::bigint`
    );
    if (!row) return undefined;
    return { ...summaryOf(row), clientId: row.client_id ?? undefined, raw: Buffer.from(row.raw), resources: row.resources ?? [] };
  }

  /** A rejected message accepted on replay keeps its row, marked replayed, and leaves the dead-letter list. */
  async markReplayed(id: string): Promise<void> {
    await this.db.query(sql`UPDATE inbox_message SET status = 'replayed' WHERE id = ${id}::bigint`);
  }

  /** The inbox's depth: rejected messages not yet replayed. */
  async rejectedCount(): Promise<number> {
    const [row] = await this.db.query<{ n: string }>(sql`SELECT count(*)::text AS n FROM inbox_message WHERE status = 'rejected'`);
    return Number(row.n);
  }
}

async function keepOne<T>(tx: Db, arrival: AcceptedArrival, produce: Producer<T>): Promise<Acceptance<T>> {
  await tx.query(sql`SELECT pg_advisory_xact_lock(hashtextextended(${arrival.facility + arrival.contentHash}, 0))`);
  const [existing] = await tx.query<{ id: string }>(
    sql`SELECT id::text AS id FROM inbox_message WHERE facility = ${arrival.facility} AND content_hash = ${arrival.contentHash} AND status = 'processed'`
  );
  if (existing) return { inboxId: existing.id, duplicate: true };
  const warnings = arrival.warnings.length ? JSON.stringify(arrival.warnings) : null;
  const [row] = await tx.query<{ id: string }>(sql`INSERT INTO inbox_message
      (transport, client_id, facility, message_control_id, message_type, data_type, file_name, content_hash, raw, status, ack_code, error, processed_at)
    VALUES (${arrival.transport}, ${arrival.clientId ?? null}, ${arrival.facility}, ${arrival.messageControlId ?? null}, ${arrival.messageType ?? null}, ${arrival.dataType ?? null},
            ${arrival.fileName ?? null}, ${arrival.contentHash}, ${arrival.raw}, 'processed', 'AA', ${warnings}::jsonb, now())
    RETURNING id::text AS id`);
  const produced = await produce(connectionTo(tx), row.id);
  await tx.query(sql`UPDATE inbox_message SET resources = ${produced.written}::text[] WHERE id = ${row.id}::bigint`);
  return { inboxId: row.id, duplicate: false, result: produced.result };
}

function summaryOf(r: SummaryRow): InboxSummary {
  return {
    id: r.id,
    receivedAt: new Date(r.received_at),
    processedAt: r.processed_at === null ? undefined : new Date(r.processed_at),
    facility: r.facility ?? undefined,
    messageControlId: r.message_control_id ?? undefined,
    messageType: r.message_type ?? undefined,
    status: r.status,
    error: r.error === null ? null : jsonColumn(r.error),
    fileName: r.file_name ?? undefined,
    transport: r.transport,
  };
}
