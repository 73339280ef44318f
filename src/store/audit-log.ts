/**
 * The audit chain as it is kept: rows appended under the single `audit_head` row, hashes chained by the
 * appending statement itself; its head (the last row's seq and hash) and its rows in seq order, read for
 * the chain's verification (audit/verify.ts). Columns come out as stored, so the verifier hashes exactly
 * what the append hashed; `recorded` as an ISO string, whichever driver read it.
 */
import type { Db } from './db/database';
import { Connection, databaseOf } from './connection';
import { sql } from '../core/sql';

export interface AuditChainHead {
  seq: string;
  hash: string;
}

export interface StoredAuditRow {
  seq: string;
  recorded: string;
  client_id: string | null;
  role: string | null;
  organization: string | null;
  purpose_of_use: string | null;
  patient_ids: string[];
  action: string;
  outcome: string;
  remote_address: string | null;
  event: string;
  prev_hash: string;
  hash: string;
}

/** A row to append: its columns, and `content`, the canonical text its hash covers (audit/chain.ts canonicalContent). */
export type NewAuditRow = Omit<StoredAuditRow, 'seq' | 'prev_hash' | 'hash'> & { content: string };

/**
 * Appends rows in order with one statement, on the connection given (a transaction's, so that they commit
 * with what they describe). The head row is locked first (FOR UPDATE reads its latest committed version),
 * the chain is computed from it row by row, and the head is moved to the last row. The rows travel as one
 * JSON array (a text array per column made `pg` escape every character of each event), so the statement's
 * text never changes and it is prepared once per connection: planning it cost about as much PostgreSQL time
 * as running it. The hash must match chainHash in audit/chain.ts.
 */
export async function appendAuditRows(on: Connection, rows: readonly NewAuditRow[]): Promise<void> {
  const entries = JSON.stringify(rows.map((r, i) => ({ ...r, n: i + 1 })));
  const appended = await databaseOf(on).query<{ appended: string }>(sql`
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

/** How many entries of an action a client left in the last `window` (a PostgreSQL interval), as the connection sees them. */
export async function countRecentAuditRows(on: Connection, clientId: string, action: string, window: string): Promise<number> {
  const [row] = await databaseOf(on).query<{ n: string }>(sql`SELECT count(*)::text AS n FROM audit_event
    WHERE client_id = ${clientId} AND action = ${action} AND recorded > now() - ${window}::interval`);
  return Number(row.n);
}

export class AuditChain {
  constructor(private readonly db: Db) {}

  async head(): Promise<AuditChainHead | undefined> {
    const [head] = await this.db.query<AuditChainHead>(sql`SELECT seq::text AS seq, hash FROM audit_head`);
    return head;
  }

  /** At most `limit` rows from seq `from` to seq `through`, both included, in seq order. */
  async rows(from: bigint, through: string, limit: number): Promise<StoredAuditRow[]> {
    const rows = await this.db.query<Omit<StoredAuditRow, 'recorded'> & { recorded: Date | string }>(sql`
      SELECT seq::text AS seq, recorded, client_id, role, organization, purpose_of_use, patient_ids, action, outcome, remote_address, event, prev_hash, hash
      FROM audit_event e WHERE e.seq >= ${String(from)}::bigint AND e.seq <= ${through}::bigint ORDER BY e.seq LIMIT ${limit}`);
    return rows.map((row) => ({ ...row, recorded: new Date(row.recorded).toISOString() }));
  }
}
