/**
 * The HL7 v2 decoder, parser and mappers on mutated messages (every NHO sample, with bytes flipped, cut,
 * inserted and segments reordered, in UTF-8 and as random bytes): they never throw, and every refusal names a
 * reason. The ACK built from the result is always an ACK.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { buildAck, readHeader } from '../../src/ingest/ack';
import { decodeHl7, mapHl7v2 } from '../../src/mapping/hl7v2';
import { fixturePath } from '../fixtures';
import { applyEdit, byteEdit, type ByteEdit } from './mutate';
import { options } from './runs';

const FACILITY = { code: '1312345670', organizationReference: 'Organization/toro' };
const ROOT = fixturePath('ssmix2-nho', 'sampleData', '999');
const samples: Buffer[] = (fs.readdirSync(ROOT, { recursive: true }) as string[])
  .map((f) => path.join(ROOT, f))
  .filter((f) => fs.statSync(f).isFile())
  .map((f) => fs.readFileSync(f));

function mutate(sample: Buffer, edits: ByteEdit[]): Buffer {
  let bytes: Buffer = Buffer.from(sample);
  for (const edit of edits) {
    if (edit.kind < 3) bytes = applyEdit(bytes, edit);
    else {
      // Swap two segments: the mappers must not trust segment order.
      const segments = bytes.toString('latin1').split('\r');
      const a = (bytes.length ? edit.at % bytes.length : 0) % segments.length;
      const b = (a + edit.length) % segments.length;
      [segments[a], segments[b]] = [segments[b], segments[a]];
      bytes = Buffer.from(segments.join('\r'), 'latin1');
    }
  }
  return bytes;
}

const edit = byteEdit(4);

function mapsOrRefuses(bytes: Buffer): void {
  const text = decodeHl7(bytes);
  const result = mapHl7v2(text, FACILITY);
  const errors = result.issues.filter((i) => i.severity === 'error');
  for (const issue of result.issues) expect(issue.message.length).toBeGreaterThan(0);
  if (errors.length) expect(result.bundle.entry ?? []).toHaveLength(0);
  const ack = buildAck(readHeader(text), errors.length ? 'AE' : 'AA', result.issues, 'ACK1', new Date(0));
  expect(ack.split('\r')[1]).toMatch(/^MSA/);
}

test('mutated NHO samples map or are refused with reasons, never an exception', () => {
  fc.assert(fc.property(fc.constantFrom(...samples), fc.array(edit, { minLength: 1, maxLength: 8 }), (sample, edits) => mapsOrRefuses(mutate(sample, edits))), options);
});

test('arbitrary bytes and arbitrary text behind an MSH are refused with reasons, never an exception', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => mapsOrRefuses(Buffer.from(bytes))), options);
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.constantFrom('|', '^', '~', '\\', '&', '\r'), (tail, separator) => mapsOrRefuses(Buffer.from(`MSH|^~\\&${separator}${tail}`, 'utf8'))), options);
});
