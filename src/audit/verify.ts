/**
 * Walks the audit chain from the first row in bounded chunks and recomputes every hash. Finds a changed row
 * (its hash no longer matches), a removed row (a gap in seq or a broken prev_hash) and a cut-off tail (the
 * head names a later row than the last one present).
 */
import type { AuditChain } from '../store/audit-log';
import { canonicalContent, chainHash, GENESIS_HASH } from './chain';

export interface VerifyResult {
  ok: boolean;
  /** Rows checked and found intact. */
  checked: number;
  /** The first seq that does not match, and why. */
  firstBadSeq?: string;
  reason?: string;
}

const CHUNK = 1000;

export async function verifyAuditChain(chain: AuditChain, onProgress: (checked: number, total: number) => void = () => undefined, chunkSize = CHUNK): Promise<VerifyResult> {
  // Rows committed after this point are left for the next run; those before it are all visible to the chunks below.
  const head = await chain.head();
  if (!head) return { ok: false, checked: 0, firstBadSeq: '1', reason: 'the chain head (its last seq and hash) is missing' };
  const total = Number(head.seq);
  let expectedSeq = 1n;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  const bad = (seq: bigint | string, reason: string): VerifyResult => ({ ok: false, checked, firstBadSeq: String(seq), reason });

  while (expectedSeq <= BigInt(head.seq)) {
    const rows = await chain.rows(expectedSeq, head.seq, chunkSize);
    if (!rows.length) return bad(expectedSeq, `row ${expectedSeq} is missing (the head is at ${head.seq})`);
    for (const row of rows) {
      if (BigInt(row.seq) !== expectedSeq) return bad(expectedSeq, `row ${expectedSeq} is missing`);
      if (row.prev_hash !== prevHash) return bad(row.seq, 'prev_hash does not match the hash of the row before');
      const hash = chainHash(prevHash, row.seq, canonicalContent(row));
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
