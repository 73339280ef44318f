/**
 * Identifier rules every mapper shares: the JP Core patient-ID system of a facility, and name-based UUIDs, which give
 * the same bundle ids for the same input so that re-sent messages, documents and instances stay idempotent.
 */
import { createHash } from 'node:crypto';

/** JP Core 医療機関の患者ID (facility patient ID): `urn:oid:1.2.392.100495.20.3.51.` + "1" + the 10-digit 医療機関コード. */
export function facilityPatientIdSystem(facilityCode: string): string {
  return `urn:oid:1.2.392.100495.20.3.51.1${facilityCode}`;
}

/** RFC 9562 UUID version 5 of `name` in `namespace` (itself a UUID). */
export function uuidV5(name: string, namespace: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
