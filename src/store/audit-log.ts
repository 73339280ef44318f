/**
 * The audit chain as it is kept: its head (the last row's seq and hash) and its rows in seq order, read for
 * the chain's verification (audit/verify.ts). Columns come out as stored, so the verifier hashes exactly
 * what the append hashed; `recorded` as an ISO string, whichever driver read it.
 */
import type { Db } from './db/database';
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
