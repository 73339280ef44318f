/**
 * The audit log: appends entries to the hash-chained `audit_event` table under the single `audit_head` row.
 *
 * Entries recorded on the server's own database are group-committed: one writer at a time appends every
 * entry waiting at that moment in ONE statement (hashes chained within the batch, the head advanced once),
 * and each request is answered only after its batch committed. Sixteen clients then share a WAL flush and a
 * head row lock instead of queueing for one each. An entry recorded inside an enclosing transaction is
 * appended by the same statement in that transaction, so it commits or rolls back with what it describes.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Database, Db } from '../store/db/database';
import { sql } from '../core/sql';
import { canonicalContent, ChainedRow } from './chain';
import { auditEventOf } from './event';
import type { AuditAction, AuditEntry, AuditTrail } from './types';
import { patientsSeen } from './patients';
import { storedCompartments } from '../store/compartments';

/** Entries per statement; a longer queue is written by the next batch. */
const MAX_BATCH = 500;

interface Waiting {
  row: ChainedRow;
  done: (err?: unknown) => void;
  /** When the entry was handed in (ms since the epoch), for the audit lag in /metrics. */
  since: number;
}

export class AuditLog implements AuditTrail {
  private queue: Waiting[] = [];
  /** The batch being appended now: handed in, not yet chained. */
  private appending: Waiting[] = [];
  private writing = false;

  constructor(private readonly db: Database) {}

  patientsSeen(resources: readonly Resource[]): Promise<string[]> {
    return patientsSeen((refs) => storedCompartments(this.db, refs), resources);
  }

  append(entry: AuditEntry): Promise<void> {
    return this.record(this.db, entry);
  }

  record(db: Db, entry: AuditEntry): Promise<void> {
    const row = rowOf(entry);
    if (db !== this.db) return appendRows(db, [row]);
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

  async countRecent(db: Db, clientId: string, action: AuditAction, window: string): Promise<number> {
    const [row] = await db.query<{ n: string }>(sql`SELECT count(*)::text AS n FROM audit_event
      WHERE client_id = ${clientId} AND action = ${action} AND recorded > now() - ${window}::interval`);
    return Number(row.n);
  }

  /** The single writer: takes whatever waits, appends it, repeats until nothing waits. */
  private async writeQueued(): Promise<void> {
    this.writing = true;
    while (this.queue.length) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.appending = batch;
      try {
        await appendRows(this.db, batch.map((w) => w.row));
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

/**
 * Appends rows in order with one statement. The head row is locked first (FOR UPDATE reads its latest
 * committed version), the chain is computed from it row by row, and the head is moved to the last row.
 * The rows travel as one JSON array (a text array per column made `pg` escape every character of each
 * event), so the statement's text never changes and it is prepared once per connection: planning it
 * cost about as much PostgreSQL time as running it.
 */
async function appendRows(db: Db, rows: ChainedRow[]): Promise<void> {
  const entries = JSON.stringify(rows.map((r, i) => ({ ...r, n: i + 1, content: canonicalContent(r) })));
  const appended = await db.query<{ appended: string }>(sql`
    WITH RECURSIVE
      entry AS (
        SELECT * FROM json_to_recordset(${entries}::json) AS e(n bigint, content text, recorded timestamptz, client_id text, role text,
          organization text, purpose_of_use text, patient_ids json, action text, outcome text, remote_address text, event text)
      ),
      head AS (SELECT seq, hash FROM audit_head FOR UPDATE),
      chain (n, seq, prev_hash, hash) AS (
        SELECT 0::bigint, seq, hash, hash FROM head
        UNION ALL
        SELECT e.n, c.seq + 1, c.hash, encode(sha256(convert_to(c.hash || E'\n' || (c.seq + 1)::text || E'\n' || e.content, 'UTF8')), 'hex')
        FROM chain c JOIN entry e ON e.n = c.n + 1
      ),
      inserted AS (
        INSERT INTO audit_event (seq, recorded, client_id, role, organization, purpose_of_use, patient_ids, action, outcome, remote_address, event, prev_hash, hash)
        SELECT c.seq, e.recorded, e.client_id, e.role, e.organization, e.purpose_of_use, ARRAY(SELECT json_array_elements_text(e.patient_ids)),
          e.action, e.outcome, e.remote_address, e.event, c.prev_hash, c.hash
        FROM chain c JOIN entry e ON e.n = c.n
        RETURNING 1
      ),
      last AS (SELECT seq, prev_hash, hash FROM chain WHERE n > 0 ORDER BY n DESC LIMIT 1),
      advanced AS (UPDATE audit_head h SET seq = last.seq, prev_hash = last.prev_hash, hash = last.hash FROM last RETURNING 1)
    SELECT count(*)::text AS appended FROM inserted`.prepared());
  // Without the head row nothing would be inserted; an unrecorded access must not pass as recorded.
  if (Number(appended[0]?.appended) !== rows.length) throw new Error('audit_head is missing: the audit trail cannot be appended to');
}

function rowOf(entry: AuditEntry): ChainedRow {
  const recorded = new Date().toISOString();
  const ctx = entry.ctx;
  const patientIds = [...new Set(entry.patientIds)];
  return {
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
}
