/**
 * ACKs are built whatever separators the sender chose: MSH-2 is the sender's, so a letter as the component
 * separator is a character like any other (it was put in a regular expression: `B` threw, `d` ate digits).
 */
import { buildAck, readHeader } from '../../src/ingest/ack';

const issue = { severity: 'error' as const, code: '101' as const, segment: 'PID', segmentSequence: 1, field: 3, message: 'PID-3 is required' };

test.each([
  ['B', 'PIDB1B3'],
  ['d', 'PIDd1d3'],
  ['^', 'PID^1^3'],
])('component separator %s: ERR-2 names the segment, its sequence and the field', (separator, location) => {
  const header = readHeader(`MSH|${separator}~\\&|HIS|1312345670|GW|RCV|20250101||ADT${separator}A08|C1|P|2.5`);
  const ack = buildAck(header, 'AE', [issue], 'ACK1', new Date(0));
  const err = ack.split('\r').find((segment) => segment.startsWith('ERR')) as string;
  expect(err.split('|')[2]).toBe(location);
  expect(ack).toMatch(/^MSH\|/);
  expect(ack.split('\r')[1]).toBe('MSA|AE|C1|Application error');
});
