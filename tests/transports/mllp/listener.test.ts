/**
 * What one MLLP peer can hold is bounded, over real TCP: connections beyond the cap are closed, a silent
 * connection is closed after the idle timeout, a frame trickled in slower than the frame timeout is cut off,
 * a frame over the size limit is refused with an AR and kept (its head) in the inbox, a frame given up
 * for a new start byte is refused with an AR and kept, the next one served, and text outside any frame is
 * kept and, while the sender listens, answered with an AR saying why. Buffering is linear.
 */
import net from 'node:net';
import { FrameReader, frame, type Frame } from '../../../src/transports/mllp/listener';
import { labResultMessage } from '../../support/hl7-messages';
import { startTestServer, TestServer } from '../../support/server';
import { ackCode, createFacility, MllpClient } from '../../ingest/support';

let server: TestServer;
let gatewayToken: string;

beforeAll(async () => {
  server = await startTestServer({ MLLP_MAX_CONNECTIONS: '3', MLLP_IDLE_TIMEOUT: '1', MLLP_FRAME_TIMEOUT: '2', MLLP_MAX_FRAME_BYTES: '8192' });
  gatewayToken = await server.clientToken({ role: 'gateway', organization: await createFacility(server) });
});
afterAll(async () => server?.close());

interface Peer {
  socket: net.Socket;
  /** Everything the server sent, once it closed the connection. */
  closed: Promise<string>;
}

function connect(): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.mllpPort, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk) => received.push(chunk));
    const closed = new Promise<string>((done) => socket.on('close', () => done(Buffer.concat(received).toString('utf8'))));
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

function message(controlId: string, value = '7.0'): string {
  return labResultMessage({ controlId, patientId: 'LIMIT-1', orderNumber: `O-${controlId}`, code: '3D046000001920402', name: 'HbA1c', value, unit: '%', range: '4.6-6.2', observedAt: '202501011000', token: gatewayToken });
}

test('connections beyond the cap are closed at once; those within it are served', async () => {
  const kept = await Promise.all([connect(), connect(), connect()]);
  // Each kept connection sends a byte, so none of them is the one the server has not yet counted.
  for (const peer of kept) peer.socket.write(Buffer.from([0x20]));
  await new Promise((r) => setTimeout(r, 100));
  const extra = await connect();
  // Served, it would answer this message with an ACK; refused, it answers nothing.
  extra.socket.write(frame(message('CAP0')));
  expect(await extra.closed).toBe('');
  for (const peer of kept) peer.socket.destroy();
  await Promise.all(kept.map((p) => p.closed));

  const client = await MllpClient.connect(server.mllpPort);
  expect(ackCode(await client.send(Buffer.from(message('CAP1'))))).toBe('AA');
  client.close();
});

test('a silent connection is closed after the idle timeout', async () => {
  const peer = await connect();
  expect(await peer.closed).toBe('');
});

test('a frame trickled in byte by byte is cut off by the frame timeout, though never idle', async () => {
  const peer = await connect();
  const bytes = frame(message('SLOW1'));
  let sent = 0;
  const trickle = setInterval(() => {
    if (!peer.socket.destroyed && sent < bytes.length - 1) peer.socket.write(bytes.subarray(sent, ++sent));
  }, 200);
  const received = await peer.closed;
  clearInterval(trickle);
  expect(received).toBe('');
  expect(sent).toBeLessThan(bytes.length - 1);
});

test('a sender streaming frames, with one open at the end of every write, is served past the frame timeout', async () => {
  // Each frame arrives whole within 0.6 s, but for 4 s (twice the timeout) some frame is always open: the
  // timeout is each frame's own, not one kept while frames follow each other.
  const frames = Array.from({ length: 9 }, (_, i) => frame(message(`STREAM${i}`)));
  const peer = await connect();
  let acknowledged = '';
  peer.socket.on('data', (chunk: Buffer) => (acknowledged += chunk.toString('utf8')));
  const halves = frames.flatMap((f) => [f.subarray(0, f.length >> 1), f.subarray(f.length >> 1)]);
  // Write n: the second half of frame n-1 with the first half of frame n.
  for (let i = 0; i < halves.length; i += 2) {
    peer.socket.write(Buffer.concat([i ? halves[i - 1] : Buffer.alloc(0), halves[i]]));
    await new Promise((r) => setTimeout(r, 450));
  }
  peer.socket.write(halves[halves.length - 1]);
  // A sender waits for its ACKs before it hangs up.
  for (let i = 0; i < 100 && !peer.socket.destroyed && (acknowledged.match(/MSA\|AA\|STREAM\d/g) ?? []).length < frames.length; i++) await new Promise((r) => setTimeout(r, 100));
  expect(peer.socket.destroyed).toBe(false);
  peer.socket.destroy();
  expect(acknowledged.match(/MSA\|AA\|STREAM\d/g)).toHaveLength(frames.length);
}, 30_000);

test('a frame over the size limit is refused with AR, its head kept in the inbox, and the connection closed', async () => {
  const peer = await connect();
  const big = message('BIG1', '7'.repeat(20_000));
  peer.socket.write(frame(big));
  const ack = (await peer.closed).replace(/^\x0b|\x1c\r$/g, '');
  expect(ackCode(ack)).toBe('AR');
  expect(ack).toMatch(/MSA\|AR\|BIG1\|/);
  expect(ack).toMatch(/larger than 8192 bytes/);
  const inbox = await fetch(`${server.url}/admin/inbox?status=rejected`, { headers: { authorization: `Bearer ${server.adminToken}` } }).then((r) => r.json() as Promise<any>);
  expect(inbox.items[0]).toMatchObject({ transport: 'mllp', messageControlId: 'BIG1' });
});

test('the frame reader is linear: a 12 MB frame in 200,000 small chunks comes out whole', () => {
  const reader = new FrameReader(16 * 1024 * 1024);
  const body = Buffer.alloc(200_000 * 64, 0x41);
  const framed = frame(body);
  const out: Frame[] = [];
  for (let i = 0; i < framed.length; i += 64) out.push(...reader.push(framed.subarray(i, i + 64)));
  expect(out).toHaveLength(1);
  expect(out[0].bytes.equals(body)).toBe(true);
  expect(reader.partialFrame).toBeUndefined();
});

test('frames split anywhere, several to a chunk and with text between them, are read alike; the text is handed out as outside, line breaks and stray end bytes are not', () => {
  const stream = Buffer.concat([Buffer.from('noise'), frame('MSH|A'), frame('MSH|B'), Buffer.from('\r\n\x1c\r'), frame('MSH|C'), Buffer.from('MSH|tail')]);
  for (let cut = 1; cut < stream.length; cut++) {
    const reader = new FrameReader(1024);
    const frames = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))].map((f) => [f.bytes.toString(), f.refused === 'outside']);
    expect(frames).toEqual([['noise', true], ['MSH|A', false], ['MSH|B', false], ['MSH|C', false]]);
    expect(reader.rest()?.bytes.toString()).toBe('MSH|tail');
    expect(reader.rest()).toBeUndefined();
  }
});

test('text outside frames is kept up to its first 64 KB', () => {
  const reader = new FrameReader(1024);
  for (let i = 0; i < 100; i++) reader.push(Buffer.alloc(1024, 0x41));
  expect(reader.rest()?.bytes.length).toBe(64 * 1024);
});

async function rejectedInbox(): Promise<any[]> {
  const inbox = await fetch(`${server.url}/admin/inbox?status=rejected`, { headers: { authorization: `Bearer ${server.adminToken}` } }).then((r) => r.json() as Promise<any>);
  return inbox.items;
}

test('a message sent without its start byte is refused with AR naming why and kept; the framed one after it is served', async () => {
  const peer = await connect();
  const acks = new Promise<string[]>((done) => {
    let buffer = '';
    peer.socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      const frames = buffer.split('\x1c\r').filter(Boolean);
      if (frames.length === 2) done(frames.map((f) => f.replace(/^\x0b/, '')));
    });
  });
  // The first message has its end bytes but no start byte: a sender configured without MLLP's VT.
  peer.socket.write(Buffer.concat([Buffer.from(message('BARE1')), Buffer.from([0x1c, 0x0d]), frame(message('FRAMED1'))]));
  const [refused, served] = await acks;
  peer.socket.destroy();
  expect(refused).toMatch(/MSA\|AR\|BARE1\|/);
  expect(refused).toMatch(/outside an MLLP frame \(no start byte VT before them\)/);
  expect(served).toMatch(/MSA\|AA\|FRAMED1\|/);
  expect((await rejectedInbox()).find((item) => item.messageControlId === 'BARE1')).toMatchObject({ transport: 'mllp' });
});

test('text after the last frame, when the sender closes, is kept in the inbox', async () => {
  const peer = await connect();
  peer.socket.end(Buffer.from(message('TRAILING1')));
  await peer.closed;
  for (let i = 0; i < 100 && !(await rejectedInbox()).some((item) => item.messageControlId === 'TRAILING1'); i++) await new Promise((r) => setTimeout(r, 50));
  expect((await rejectedInbox()).find((item) => item.messageControlId === 'TRAILING1')).toMatchObject({ transport: 'mllp' });
});

test('a start byte inside a frame cuts it: what came before is handed out as cut, a doubled start byte begins one frame', () => {
  const stream = Buffer.concat([Buffer.from([0x0b]), frame('MSH|A'), Buffer.from([0x0b]), Buffer.from('MSH|half'), frame('MSH|B'), Buffer.from([0x0b, 0x0d]), frame('MSH|C')]);
  for (let cut = 1; cut < stream.length; cut++) {
    const reader = new FrameReader(1024);
    const frames = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))].map((f) => [f.bytes.toString(), f.refused === 'cut']);
    expect(frames).toEqual([['MSH|A', false], ['MSH|half', true], ['MSH|B', false], ['MSH|C', false]]);
  }
});

test('a frame given up for a new start byte is refused with AR and kept; the message after it is served', async () => {
  const peer = await connect();
  const given = message('CUT1');
  peer.socket.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(given.slice(0, given.indexOf('\r') + 30)), frame(message('CUT2'))]));
  const acks: string[] = [];
  await new Promise<void>((done) => {
    let buffer = '';
    peer.socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      const frames = buffer.split('\x1c\r').filter(Boolean);
      if (frames.length === 2) {
        acks.push(...frames.map((f) => f.replace(/^\x0b/, '')));
        done();
      }
    });
  });
  peer.socket.destroy();
  expect(acks.map((ack) => ack.split('\r')[1].split('|').slice(0, 3).join('|'))).toEqual(['MSA|AR|CUT1', 'MSA|AA|CUT2']);
  expect(acks[0]).toMatch(/ended by a new start byte/);
  const inbox = await fetch(`${server.url}/admin/inbox?status=rejected`, { headers: { authorization: `Bearer ${server.adminToken}` } }).then((r) => r.json() as Promise<any>);
  expect(inbox.items[0]).toMatchObject({ transport: 'mllp', messageControlId: 'CUT1' });
});
