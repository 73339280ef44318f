/**
 * MLLP framing over a real TCP socket: streams of frames whose start and end bytes are missing, doubled or
 * stray, whose content is a valid message, random bytes, text behind an MSH or a frame over the size limit,
 * written in chunks split anywhere. Then the sender resynchronises (an end byte) and sends one last message.
 * Every answer is an ACK; every AE or AR says why in ERR; every valid message framed as MLLP says, after
 * whatever came before it, is accepted; the last message is answered within seconds (no hang) unless an
 * oversized frame closed the connection with its AR; and the server still serves a new connection.
 */
import net from 'node:net';
import fc from 'fast-check';
import { ackCode, createFacility, MllpClient } from '../ingest/support';
import { labResultMessage } from '../support/hl7-messages';
import { startTestServer, TestServer } from '../support/server';
import { optionsFor } from './runs';

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;
const MAX_FRAME_BYTES = 16 * 1024;
const ANSWER_WITHIN_MS = 10_000;

let server: TestServer;
let gatewayToken: string;
beforeAll(async () => {
  server = await startTestServer({ MLLP_MAX_FRAME_BYTES: String(MAX_FRAME_BYTES) });
  gatewayToken = await server.clientToken({ role: 'gateway', organization: await createFacility(server) });
});
afterAll(async () => server?.close());

/** A few distinct valid messages: each is stored once, and answered AA as a duplicate after that. */
const validMessage = (n: number) =>
  labResultMessage({ controlId: `FUZZ-OK-${n}`, patientId: `FUZZ-${n}`, orderNumber: `FZ${n}`, code: '3D046000001920402', name: 'HbA1c', value: `${6 + n / 10}`, unit: '%', range: '4.6-6.2', observedAt: '202501011000', token: gatewayToken });
const SENTINEL = 'FUZZ-OK-9';

type Content = { kind: 'valid'; n: number } | { kind: 'bytes'; bytes: Uint8Array } | { kind: 'msh'; text: string } | { kind: 'oversized' };
const content: fc.Arbitrary<Content> = fc.oneof(
  fc.record({ kind: fc.constant('valid' as const), n: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({ kind: fc.constant('msh' as const), text: fc.string({ unit: 'grapheme', maxLength: 200 }) }),
  fc.constant({ kind: 'oversized' as const })
);
const START = ['VT', 'none', 'VT VT'] as const;
const END = ['FS CR', 'FS', 'none', 'FS CR FS CR', 'CR'] as const;
const framed = fc.record({ content, start: fc.constantFrom(...START), end: fc.constantFrom(...END) }, { requiredKeys: ['content', 'start', 'end'] });

function bytesOf(c: Content): Buffer {
  if (c.kind === 'valid') return Buffer.from(validMessage(c.n), 'utf8');
  // Content never holds the framing bytes themselves, so that where each frame starts and ends is the generator's choice.
  if (c.kind === 'bytes') return Buffer.from(c.bytes.filter((byte) => byte !== VT && byte !== FS));
  if (c.kind === 'msh') return Buffer.from(`MSH|^~\\&|X|Y|||20250101||ADT^A08|FUZZ-MSH|P|2.5\r${c.text.replace(/[\x0b\x1c]/g, '')}`, 'utf8');
  return Buffer.from(`MSH|^~\\&|X|Y|||20250101||ADT^A08|FUZZ-BIG|P|2.5\r${'Z'.repeat(MAX_FRAME_BYTES + 1024)}`, 'latin1');
}

const START_BYTES: Record<(typeof START)[number], number[]> = { VT: [VT], none: [], 'VT VT': [VT, VT] };
const END_BYTES: Record<(typeof END)[number], number[]> = { 'FS CR': [FS, CR], FS: [FS], none: [], 'FS CR FS CR': [FS, CR, FS, CR], CR: [CR] };

interface Peer {
  socket: net.Socket;
  acks: string[];
  /** Resolves when an ACK naming this control id arrived, or the server closed the connection. */
  until(controlId: string): Promise<'answered' | 'closed'>;
  closed: Promise<void>;
}

function connect(): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.mllpPort, '127.0.0.1');
    socket.setNoDelay(true);
    const acks: string[] = [];
    let buffer = Buffer.alloc(0);
    const waiting: (() => void)[] = [];
    let ended = false;
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let end = buffer.indexOf(FS); end >= 0; end = buffer.indexOf(FS)) {
        if (buffer[0] !== VT || buffer[end + 1] !== CR) throw new Error(`not an MLLP frame from the server: ${JSON.stringify(buffer.toString('latin1').slice(0, 80))}`);
        acks.push(buffer.subarray(1, end).toString('utf8'));
        buffer = buffer.subarray(end + 2);
      }
      waiting.splice(0).forEach((wake) => wake());
    });
    const closed = new Promise<void>((done) =>
      socket.on('close', () => {
        ended = true;
        waiting.splice(0).forEach((wake) => wake());
        done();
      })
    );
    const until = (controlId: string) =>
      new Promise<'answered' | 'closed'>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no ACK for ${controlId} within ${ANSWER_WITHIN_MS} ms; received ${acks.length} ACKs`)), ANSWER_WITHIN_MS);
        const check = () => {
          const answered = acks.some((ack) => msa(ack)[2] === controlId);
          if (answered || ended) {
            clearTimeout(timer);
            done(answered ? 'answered' : 'closed');
          } else waiting.push(check);
        };
        check();
      });
    socket.once('connect', () => resolve({ socket, acks, until, closed }));
    socket.once('error', reject);
  });
}

function msa(ack: string): string[] {
  return ack.split('\r').find((segment) => segment.startsWith('MSA'))?.split('|') ?? [];
}

/** Every answer is an ACK with a code; an AE or AR carries at least one ERR whose user message (ERR-8) says why. */
function expectWellFormedAck(ack: string): void {
  const segments = ack.split('\r').filter(Boolean);
  expect(segments[0]).toMatch(/^MSH\|/);
  const code = msa(ack)[1];
  expect(['AA', 'AE', 'AR']).toContain(code);
  if (code !== 'AA') {
    const errors = segments.filter((segment) => segment.startsWith('ERR|'));
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(error.split('|')[8]?.trim()).toBeTruthy();
  }
}

test('generated MLLP streams: every answer an ACK with reasons, well-framed messages accepted, no hang', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(framed, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 6 }), async (frames, cuts) => {
      const stream = Buffer.concat(frames.map((f) => Buffer.concat([Buffer.from(START_BYTES[f.start]), bytesOf(f.content), Buffer.from(END_BYTES[f.end])])));
      // A message framed as MLLP says (a start byte, doubled or not, the message, its end bytes) is accepted
      // whatever came before it, unless a frame over the limit ended the connection first.
      const expected: string[] = [];
      let open = false;
      let oversized = false;
      for (const f of frames) {
        if (f.start !== 'none') open = true;
        if (f.content.kind === 'oversized' && open) oversized = true;
        if (!oversized && f.start !== 'none' && f.content.kind === 'valid' && f.end.startsWith('FS')) expected.push(`FUZZ-OK-${f.content.n}`);
        if (f.end.startsWith('FS')) open = false;
      }

      const peer = await connect();
      const points = [...new Set(cuts.map((cut) => (stream.length ? cut % stream.length : 0)))].sort((a, b) => a - b);
      let from = 0;
      for (const point of [...points, stream.length]) {
        if (point > from) peer.socket.write(stream.subarray(from, point));
        from = point;
      }
      // The sender resynchronises: an end byte closes whatever frame is open, then one last message.
      peer.socket.write(Buffer.from([FS, CR]));
      peer.socket.write(Buffer.concat([Buffer.from([VT]), Buffer.from(validMessage(9), 'utf8'), Buffer.from([FS, CR])]));
      const outcome = await peer.until(SENTINEL);
      peer.socket.destroy();
      await peer.closed;

      for (const ack of peer.acks) expectWellFormedAck(ack);
      if (outcome === 'closed') {
        // Only a frame over the size limit closes the connection, and its AR says so.
        expect(peer.acks.some((ack) => msa(ack)[1] === 'AR' && /larger than/.test(ack))).toBe(true);
      } else {
        const acceptedIds = peer.acks.filter((ack) => msa(ack)[1] === 'AA').map((ack) => msa(ack)[2]);
        for (const id of expected) expect(acceptedIds).toContain(id);
        expect(acceptedIds).toContain(SENTINEL);
      }
    }),
    optionsFor(20)
  );
  // The listener still serves a well-behaved sender.
  const client = await MllpClient.connect(server.mllpPort);
  expect(ackCode(await client.send(Buffer.from(validMessage(0), 'utf8')))).toBe('AA');
  client.close();
});
