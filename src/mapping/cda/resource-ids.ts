/**
 * Deterministic resource ids: a name-based UUID v5 (RFC 9562) of the document identity and the resource's key,
 * so the same CDA document always yields the same bundle and a re-sent letter maps to the same resources.
 */
import { createHash } from 'node:crypto';

/** RFC 9562 Appendix C "URL" namespace; the names we hash are URIs (`urn:oid:…`). */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

export function uuidV5(name: string, namespace: string = URL_NAMESPACE): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
