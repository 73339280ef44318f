/**
 * Credentials never rest in the inbox. MLLP has no login of its own, so a gateway puts its access token in
 * MSH-8 (Security); FHS-8 and BHS-8 are the same field of a file or batch header. The token is needed once, to
 * authenticate the message, and would otherwise sit in `inbox_message.raw` for anyone who reads the inbox or a
 * database dump, still valid until it expires. The raw bytes are kept otherwise unchanged (they may be
 * Shift_JIS or ISO-2022-JP, so the message is not re-encoded): a security field's value is found as the ASCII
 * bytes it decoded to and cut out between its field separators.
 */
import { decodeHl7 } from '../mapping/hl7v2';

/** Segments whose 8th field is a security field. */
const SECURITY_SEGMENTS = new Set(['MSH', 'FHS', 'BHS']);

export function withoutCredentials(raw: Buffer): Buffer {
  let result = raw;
  let cursor = 0;
  for (const segment of decodeHl7(raw).split(/\r\n|\r|\n/)) {
    const name = segment.slice(0, 3);
    if (!SECURITY_SEGMENTS.has(name) || segment.length < 4) continue;
    const separator = segment[3];
    // fields[0] is the segment name and fields[1] the encoding characters (field 2), so field n is fields[n - 1].
    const security = segment.split(separator)[7];
    const segmentAt = result.indexOf(Buffer.from(name + separator, 'latin1'), cursor);
    if (segmentAt < 0) continue;
    cursor = segmentAt + 4;
    if (!security) continue;
    const field = Buffer.from(`${separator}${security}${separator}`, 'latin1');
    const at = result.indexOf(field, segmentAt);
    // A value that is not ASCII is not in the bytes as decoded; such a field is no token of ours.
    if (at < 0) continue;
    result = Buffer.concat([result.subarray(0, at + 1), result.subarray(at + field.length - 1)]);
  }
  return result;
}
