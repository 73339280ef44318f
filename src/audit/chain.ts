/**
 * The hash chain over audit_event rows: each row's hash is SHA-256 of the previous row's hash, the row's
 * position and its canonical content. Appends compute it in SQL (the previous hash is only known under the
 * head's row lock); `verify` recomputes it here, independently of anything stored in the database.
 */
import { createHash } from 'node:crypto';

/** The hash before the first row. */
export const GENESIS_HASH = '0'.repeat(64);

/** The columns a row's hash covers; `recorded` as an ISO instant. */
export interface ChainedRow {
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
}

/** Every column a reader filters on is covered, so hiding an event from someone's access log breaks the chain. */
export function canonicalContent(row: ChainedRow): string {
  return JSON.stringify([row.recorded, row.client_id, row.role, row.organization, row.purpose_of_use, row.patient_ids, row.action, row.outcome, row.remote_address, row.event]);
}

/** Must match the SQL in appendAuditRows (src/store/audit-log.ts): encode(sha256(convert_to(prev || E'\n' || seq || E'\n' || content, 'UTF8')), 'hex'). */
export function chainHash(prevHash: string, seq: string, content: string): string {
  return createHash('sha256').update(`${prevHash}\n${seq}\n${content}`, 'utf8').digest('hex');
}
