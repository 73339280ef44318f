/**
 * The audit log: appends entries to the hash-chained trail (store/audit-log.ts).
 *
 * Entries recorded on the server's own database are group-committed: one writer at a time appends every
 * entry waiting at that moment in ONE statement (hashes chained within the batch, the head advanced once),
 * and each request is answered only after its batch committed. Sixteen clients then share a WAL flush and a
 * head row lock instead of queueing for one each. An entry recorded inside an enclosing transaction is
 * appended by the same statement in that transaction, so it commits or rolls back with what it describes.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Connection } from '../store/connection';
import { appendAuditRows, countRecentAuditRows, NewAuditRow } from '../store/audit-log';
import { canonicalContent } from './chain';
import { auditEventOf } from './event';
import type { AuditAction, AuditEntry, AuditTrail } from './types';
import { patientsSeen } from './patients';
import { storedCompartments } from '../store/compartments';

/** Entries per statement; a longer queue is written by the next batch. */
const MAX_BATCH = 500;

interface Waiting {
  row: NewAuditRow;
  done: (err?: unknown) => void;
  /** When the entry was handed in (ms since the epoch), for the audit lag in /metrics. */
  since: number;
}

export class AuditLog implements AuditTrail {
  private queue: Waiting[] = [];
  /** The batch being appended now: handed in, not yet chained. */
  private appending: Waiting[] = [];
  private writing = false;

  /** `server`: the server's own connection (its pool), whose entries are group-committed. */
  constructor(private readonly server: Connection) {}

  patientsSeen(resources: readonly Resource[]): Promise<string[]> {
    return patientsSeen((refs) => storedCompartments(this.server, refs), resources);
  }

  append(entry: AuditEntry): Promise<void> {
    return this.record(this.server, entry);
  }

  record(on: Connection, entry: AuditEntry): Promise<void> {
    const row = rowOf(entry);
    if (on !== this.server) return appendAuditRows(on, [row]);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, done: (err) => (err === undefined ? resolve() : reject(err)), since: Date.now() });
      if (!this.writing) void this.writeQueued();
    });
  }

  /** Entries handed in but not yet chained into the trail, and how long the oldest of them has waited (the audit lag). */
  backlog(now = Date.now()): { entries: number; oldestSeconds: number } {
    const oldest = this.appending[0] ?? this.queue[0];
    return { entries: this.appending.length + this.queue.length, oldestSeconds: oldest ? (now - oldest.since) / 1000 : 0 };
  }

  countRecent(on: Connection, clientId: string, action: AuditAction, window: string): Promise<number> {
    return countRecentAuditRows(on, clientId, action, window);
  }

  /** The single writer: takes whatever waits, appends it, repeats until nothing waits. */
  private async writeQueued(): Promise<void> {
    this.writing = true;
    while (this.queue.length) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.appending = batch;
      try {
        await appendAuditRows(this.server, batch.map((w) => w.row));
        for (const w of batch) w.done();
      } catch (err) {
        for (const w of batch) w.done(err ?? new Error('audit append failed'));
      } finally {
        this.appending = [];
      }
    }
    this.writing = false;
  }
}

function rowOf(entry: AuditEntry): NewAuditRow {
  const recorded = new Date().toISOString();
  const ctx = entry.ctx;
  const patientIds = [...new Set(entry.patientIds)];
  const columns = {
    recorded,
    client_id: ctx?.clientId ?? entry.clientId ?? null,
    role: ctx?.role ?? null,
    organization: ctx?.organization ?? null,
    purpose_of_use: ctx?.purposeOfUse ?? null,
    patient_ids: patientIds,
    action: entry.action,
    outcome: entry.outcome,
    remote_address: entry.remoteAddress ?? ctx?.remoteAddress ?? null,
    event: JSON.stringify(auditEventOf({ ...entry, patientIds }, recorded)),
  };
  return { ...columns, content: canonicalContent(columns) };
}
