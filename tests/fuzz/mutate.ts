/**
 * Byte mutations shared by the fuzz properties: a byte overwritten, a run cut out, a run inserted. `window`
 * keeps edits within a file's first bytes, where a format keeps its structure (a DICOM header, not its pixels).
 */
import fc from 'fast-check';

export interface ByteEdit {
  at: number;
  kind: number;
  byte: number;
  length: number;
}

export const byteEdit = (kinds = 3) => fc.record({ at: fc.nat(), kind: fc.integer({ min: 0, max: kinds - 1 }), byte: fc.integer({ min: 0, max: 255 }), length: fc.integer({ min: 1, max: 64 }) });

export function applyEdit(bytes: Buffer, { at, kind, byte, length }: ByteEdit, window = bytes.length): Buffer {
  const span = Math.min(window, bytes.length);
  const i = span ? at % span : 0;
  if (kind === 0) {
    const copy = Buffer.from(bytes);
    if (copy.length) copy[i] = byte;
    return copy;
  }
  if (kind === 1) return Buffer.concat([bytes.subarray(0, i), bytes.subarray(Math.min(bytes.length, i + length))]);
  return Buffer.concat([bytes.subarray(0, i), Buffer.alloc(length % 16, byte), bytes.subarray(i)]);
}

/** Inserts `text` at a position of `bytes`. */
export function insertAt(bytes: Buffer, at: number, text: string | Buffer): Buffer {
  const i = bytes.length ? at % bytes.length : 0;
  return Buffer.concat([bytes.subarray(0, i), typeof text === 'string' ? Buffer.from(text, 'utf8') : text, bytes.subarray(i)]);
}
