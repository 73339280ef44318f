/**
 * Decoding of DICOM text values by Specific Character Set (0008,0005), PS3.5 §6.1.
 * Japanese files use ISO 2022 code extension: escape sequences switch between ASCII / JIS X 0201 romaji (G0),
 * JIS X 0208 kanji and kana (G0, two bytes) and JIS X 0201 half-width katakana (G1, bytes 0xA1–0xDF).
 * Only JIS X 0208 needs a real decoder; Node's `iso-2022-jp` TextDecoder provides it.
 */

/** Single-byte and UTF encodings without code extension: DICOM defined term → WHATWG encoding label. */
const ENCODING_BY_TERM: Readonly<Record<string, string>> = {
  'ISO_IR 6': 'latin1',
  'ISO_IR 100': 'latin1',
  'ISO_IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO_IR 148': 'iso-8859-9',
  'ISO_IR 166': 'windows-874',
  'ISO_IR 192': 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

type G0 = 'ascii' | 'jis-x-0208' | 'unsupported';
type G1 = 'katakana' | 'latin1' | 'none';

interface CodeState {
  g0: G0;
  g1: G1;
}

/** Escape sequences (the bytes after ESC) and the code element they invoke. */
const ESCAPES: readonly { bytes: readonly number[]; apply: (state: CodeState) => CodeState }[] = [
  { bytes: [0x28, 0x42], apply: (state) => ({ ...state, g0: 'ascii' }) }, // ESC ( B  ISO 646 (IR 6)
  // ESC ( J  JIS X 0201 romaji (IR 14): differs from ASCII only in ¥ and ‾, which DICOM writers use as \ and ~
  { bytes: [0x28, 0x4a], apply: (state) => ({ ...state, g0: 'ascii' }) },
  { bytes: [0x24, 0x42], apply: (state) => ({ ...state, g0: 'jis-x-0208' }) }, // ESC $ B  JIS X 0208 (IR 87)
  { bytes: [0x24, 0x28, 0x44], apply: (state) => ({ ...state, g0: 'unsupported' }) }, // ESC $ ( D  JIS X 0212 (IR 159)
  { bytes: [0x29, 0x49], apply: (state) => ({ ...state, g1: 'katakana' }) }, // ESC ) I  JIS X 0201 katakana (IR 13)
  { bytes: [0x2d, 0x41], apply: (state) => ({ ...state, g1: 'latin1' }) }, // ESC - A  ISO 8859-1 upper half (IR 100)
];

const ESC = 0x1b;

/** The code elements in force at the start of a value, from the first Specific Character Set term. */
function initialState(firstTerm: string): CodeState {
  if (firstTerm === 'ISO 2022 IR 13') return { g0: 'ascii', g1: 'katakana' };
  if (firstTerm === 'ISO 2022 IR 100') return { g0: 'ascii', g1: 'latin1' };
  return { g0: 'ascii', g1: 'none' };
}

/** Splits (0008,0005) into its terms; an empty first term means the default repertoire (ISO IR 6). */
export function parseSpecificCharacterSet(value: string | undefined): string[] {
  return (value ?? '').split('\\').map((term) => term.trim());
}

export function decodeText(bytes: Uint8Array, specificCharacterSet: readonly string[]): string {
  const usesCodeExtension = specificCharacterSet.some((term) => term.startsWith('ISO 2022'));
  if (usesCodeExtension) return decodeIso2022(bytes, initialState(specificCharacterSet[0] ?? ''));
  const firstTerm = specificCharacterSet[0] ?? '';
  if (firstTerm === 'ISO_IR 13') return decodeSingleBytes(bytes, { g0: 'ascii', g1: 'katakana' });
  return new TextDecoder(ENCODING_BY_TERM[firstTerm] ?? 'latin1').decode(bytes);
}

function decodeIso2022(bytes: Uint8Array, initial: CodeState): string {
  let state = initial;
  let runStart = 0;
  let text = '';
  let position = 0;
  while (position < bytes.length) {
    if (bytes[position] !== ESC) {
      position += 1;
      continue;
    }
    text += decodeRun(bytes.subarray(runStart, position), state);
    const escape = ESCAPES.find((candidate) => candidate.bytes.every((byte, offset) => bytes[position + 1 + offset] === byte));
    // An escape we do not know leaves the following run undecodable rather than misread.
    state = escape ? escape.apply(state) : { ...state, g0: 'unsupported' };
    position += 1 + (escape?.bytes.length ?? 0);
    runStart = position;
  }
  return text + decodeRun(bytes.subarray(runStart), state);
}

function decodeRun(run: Uint8Array, state: CodeState): string {
  if (run.length === 0) return '';
  if (state.g0 === 'jis-x-0208') {
    return new TextDecoder('iso-2022-jp').decode(Uint8Array.from([ESC, 0x24, 0x42, ...run, ESC, 0x28, 0x42]));
  }
  if (state.g0 === 'unsupported') return '\uFFFD';
  return decodeSingleBytes(run, state);
}

/** G0 as ASCII; G1 bytes as half-width katakana (0xA1–0xDF → U+FF61–U+FF9F) or ISO 8859-1. */
function decodeSingleBytes(run: Uint8Array, state: CodeState): string {
  let text = '';
  for (const byte of run) {
    if (byte < 0x80) text += String.fromCharCode(byte);
    else if (state.g1 === 'katakana' && byte >= 0xa1 && byte <= 0xdf) text += String.fromCharCode(0xff61 + byte - 0xa1);
    else if (state.g1 === 'latin1') text += String.fromCharCode(byte);
    else text += '\uFFFD';
  }
  return text;
}
