/**
 * Walks the audit chain from the first row in bounded chunks and recomputes every hash. Finds a changed row
 * (its hash no longer matches), a removed row (a gap in seq or a broken prev_hash) and a cut-off tail (the
 * head names a later row than the last one present).
 */
import type { Db } from '../store/db/database';
import { sql } from '../core/sql';
import { canonicalContent, chainHash, ChainedRow, GENESIS_HASH } from './chain';

export interface VerifyResult {
  ok: boolean;
  /** Rows checked and found intact. */
  checked: number;
  /** The first seq that does not match, and why. */
  firstBadSeq?: string;
  reason?: string;
}

const CHUNK = 1000;

export async function verifyAuditChain(db: Db, onProgress: (checked: number, total: number) => void = () => undefined, chunkSize = CHUNK): Promise<VerifyResult> {
  // Rows committed after this point are left for the next run; those before it are all visible to the chunks below.
  const [head] = await db.query<{ seq: string; hash: string }>(sql`SELECT seq::text AS seq, hash FROM audit_head`);
  if (!head) return { ok: false, checked: 0, firstBadSeq: '1', reason: 'audit_head is missing' };
  const total = Number(head.seq);
  let expectedSeq = 1n;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  const bad = (seq: bigint | string, reason: string): VerifyResult => ({ ok: false, checked, firstBadSeq: String(seq), reason });

  while (expectedSeq <= BigInt(head.seq)) {
    const rows = await db.query<Omit<ChainedRow, 'recorded'> & { seq: string; recorded: Date | string; prev_hash: string; hash: string }>(sql`
      SELECT seq::text AS seq, recorded, client_id, role, organization, purpose_of_use, patient_ids, action, outcome, remote_address, event, prev_hash, hash
      FROM audit_event e WHERE e.seq >= ${String(expectedSeq)}::bigint AND e.seq <= ${head.seq}::bigint ORDER BY e.seq LIMIT ${chunkSize}`);
    if (!rows.length) return bad(expectedSeq, `row ${expectedSeq} is missing (the head is at ${head.seq})`);
    for (const row of rows) {
      if (BigInt(row.seq) !== expectedSeq) return bad(expectedSeq, `row ${expectedSeq} is missing`);
      if (row.prev_hash !== prevHash) return bad(row.seq, 'prev_hash does not match the hash of the row before');
      const hash = chainHash(prevHash, row.seq, canonicalContent({ ...row, recorded: new Date(row.recorded).toISOString() }));
      if (hash !== row.hash) return bad(row.seq, 'content does not match its hash');
      prevHash = hash;
      expectedSeq++;
      checked++;
    }
    onProgress(checked, total);
  }
  if (prevHash !== head.hash) return bad(head.seq, 'the head hash does not match the last row');
  return { ok: true, checked };
}
