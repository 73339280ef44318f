/**
 * Bytes → text for HL7 v2 messages as SS-MIX2 stores and MLLP delivers them.
 * SS-MIX2 text is ISO-2022-JP (ASCII with JIS X 0208 runs between ESC $ B and ESC ( B); newer senders use UTF-8.
 */

const MLLP_START = 0x0b;
const MLLP_END = 0x1c;
const ESC = 0x1b;

/** MSH-18 spellings that announce JIS X 0208 (ISO IR 87); real SS-MIX2 files use all of these. */
const ISO_2022_JP_CHARSET = /ISO[ _]?IR[ _]?87|ISO[ _]?2022/i;

/**
 * JIS 0x215D (minus) decodes to U+2212 on Node 20 and to U+FF0D on Node 24. Folding both to U+FF0D makes stored text
 * compare and search equal whichever runtime decoded it.
 */
const MINUS_VARIANTS = /[\u2212\uFF0D]/g;
const CANONICAL_MINUS = '\uFF0D';

export function decodeHl7(bytes: Buffer): string {
  const body = stripFraming(bytes);
  const text = new TextDecoder(isIso2022Jp(body) ? 'iso-2022-jp' : 'utf-8').decode(body);
  return normaliseSegmentEnds(text).replace(MINUS_VARIANTS, CANONICAL_MINUS);
}

/** Removes the MLLP start byte and every FS (0x1C): SS-MIX2 files end in CR FS, MLLP frames in FS CR. */
function stripFraming(bytes: Buffer): Buffer {
  const start = bytes[0] === MLLP_START ? 1 : 0;
  let end = bytes.length;
  while (end > start && (bytes[end - 1] === MLLP_END || bytes[end - 1] === 0x0d || bytes[end - 1] === 0x0a)) {
    end--;
  }
  const kept = bytes.subarray(start, end);
  return kept.includes(MLLP_END) ? Buffer.from(kept.filter((b) => b !== MLLP_END)) : kept;
}

/** An escape byte can only come from ISO-2022-JP; the MSH-18 check covers files whose first kanji run comes late. */
function isIso2022Jp(body: Buffer): boolean {
  if (body.includes(ESC)) {
    return true;
  }
  const header = body.subarray(0, body.indexOf(0x0d) === -1 ? body.length : body.indexOf(0x0d)).toString('latin1');
  const charset = header.split('|')[17] ?? '';
  return ISO_2022_JP_CHARSET.test(charset);
}

/** HL7 ends segments with CR; files edited on other systems carry LF or CRLF, sometimes mixed. */
function normaliseSegmentEnds(text: string): string {
  return text.replace(/\r\n?|\n/g, '\r');
}
