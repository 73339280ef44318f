/**
 * Nothing is dropped without a word: after a message is mapped, every field it sent that no rule looked at is
 * reported as a warning naming segment and field (ERR severity W in the ACK; the inbox keeps the list). What the
 * mapping consulted is recorded by the parser itself (`ParsedSegment.consulted`), so the report cannot drift from the
 * tables. The only silence is for positions that carry no data, listed here with the reason.
 */
import type { MappingIssue } from '../types';
import type { ParsedMessage, ParsedSegment } from './parse';

/** MSH is the transport's: the ACK and the inbox read it (ingest/ack.ts), not the mapping. */
const TRANSPORT_SEGMENTS = new Set(['MSH']);

/** Positions that only number or order segments inside the message; they carry no clinical data. */
export const NOT_DATA: Record<string, { fields: number[]; why: string }> = {
  PID: { fields: [1], why: 'set ID' },
  PV1: { fields: [1], why: 'set ID' },
  NK1: { fields: [1], why: 'set ID' },
  DB1: { fields: [1], why: 'set ID' },
  AL1: { fields: [1], why: 'set ID' },
  IAM: { fields: [1], why: 'set ID' },
  IN1: { fields: [1], why: 'set ID' },
  DG1: { fields: [1], why: 'set ID' },
  NTE: { fields: [1], why: 'set ID' },
  OBX: { fields: [1], why: 'set ID' },
  OBR: { fields: [1], why: 'set ID' },
  SPM: { fields: [1], why: 'set ID (the specimen key when SPM-2 is empty is read through it)' },
  TQ1: { fields: [1], why: 'set ID' },
  ZI1: { fields: [1], why: 'set ID' },
  RXA: { fields: [1, 2], why: 'give and administration sub-ID counters, 0/1 in every JAHIS message' },
};

export function unmappedIssues(message: ParsedMessage, expectedSegments: string[]): MappingIssue[] {
  const found = new Map<string, { segment: ParsedSegment; field: number; count: number }>();
  for (const segment of message.segments) {
    // Segments the table does not expect are reported already (100); the header is the transport's.
    if (TRANSPORT_SEGMENTS.has(segment.name) || !expectedSegments.includes(segment.name)) {
      continue;
    }
    const unread = sentFields(segment).filter((field) => !NOT_DATA[segment.name]?.fields.includes(field) && !segment.consulted.has(field));
    for (const field of unread) {
      const key = `${segment.name}-${field}`;
      const earlier = found.get(key);
      if (earlier) {
        earlier.count++;
      } else {
        found.set(key, { segment, field, count: 1 });
      }
    }
  }
  return [...found.values()].map(({ segment, field, count }) => ({
    severity: 'warning',
    code: '0',
    segment: segment.name,
    segmentSequence: segment.sequence,
    field,
    message: `${segment.name}-${field} is not mapped by Tonet${count > 1 ? ` (${count} segments)` : ''}; the message keeps it in the inbox`,
  }));
}

/** Field numbers with a value, read without marking them consulted. */
function sentFields(segment: ParsedSegment): number[] {
  const fields = segment.segment.fields;
  const sent: number[] = [];
  for (let field = 1; field < fields.length; field++) {
    if ((segment.segment.getField(field)?.toString() ?? '') !== '') {
      sent.push(field);
    }
  }
  return sent;
}
