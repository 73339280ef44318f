/**
 * The audit log: appends entries to the hash-chained `audit_event` table. One statement advances the single
 * `audit_head` row and inserts the event, so concurrent appends wait only for that row lock (held to the end
 * of the enclosing transaction when an entry is recorded inside one) and never read a stale previous hash.
 */
import type { Database, Db } from '../db/database';
import { sql } from '../db/sql';
import { canonicalContent, ChainedRow } from './chain';
import { auditEventOf } from './event';
import type { AuditEntry, AuditTrail } from './types';

export class AuditLog implements AuditTrail {
  constructor(private readonly db: Database) {}

  append(entry: AuditEntry): Promise<void> {
    return this.record(this.db, entry);
  }

  async record(db: Db, entry: AuditEntry): Promise<void> {
    const row = rowOf(entry);
    const content = canonicalContent(row);
    const inserted = await db.query<{ seq: string }>(sql`
      WITH head AS (
        UPDATE audit_head h SET seq = h.seq + 1, prev_hash = h.hash,
          hash = encode(sha256(convert_to(h.hash || E'\n' || (h.seq + 1)::text || E'\n' || ${content}::text, 'UTF8')), 'hex')
        RETURNING h.seq, h.prev_hash, h.hash
      )
      INSERT INTO audit_event (seq, recorded, client_id, role, organization, purpose_of_use, patient_ids, action, outcome, remote_address, event, prev_hash, hash)
      SELECT head.seq, ${row.recorded}::timestamptz, ${row.client_id}::text, ${row.role}::text, ${row.organization}::text, ${row.purpose_of_use}::text,
        ${row.patient_ids}::text[], ${row.action}, ${row.outcome}, ${row.remote_address}::text, ${row.event}, head.prev_hash, head.hash
      FROM head
      RETURNING seq::text AS seq`);
    // Without the head row nothing would be inserted; an unrecorded access must not pass as recorded.
    if (inserted.length !== 1) throw new Error('audit_head is missing: the audit trail cannot be appended to');
  }
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
