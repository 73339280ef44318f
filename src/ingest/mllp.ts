/**
 * MLLP listener (HL7 v2 over TCP: <VT> message <FS><CR>). Each connection is served in order, one message
 * at a time: the socket is paused while a message is being stored, so a flooding sender is slowed by TCP
 * back-pressure instead of filling our memory.
 */
import net from 'node:net';
import type { Logger } from '../logger';
import type { Hl7Ingest } from './pipeline';

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;

export interface MllpServer {
  port: number;
  close(): Promise<void>;
}

export function frame(message: Buffer | string): Buffer {
  const body = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  return Buffer.concat([Buffer.from([VT]), body, Buffer.from([FS, CR])]);
}

/** Splits a byte stream into MLLP frames; keeps at most maxFrameBytes of an unfinished frame. */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes: number) {}

  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const frames: Buffer[] = [];
    for (;;) {
      const start = this.buffer.indexOf(VT);
      if (start < 0) {
        this.buffer = Buffer.alloc(0);
        break;
      }
      const end = this.buffer.indexOf(FS, start + 1);
      if (end < 0 || end + 1 >= this.buffer.length) {
        this.buffer = this.buffer.subarray(start);
        break;
      }
      frames.push(this.buffer.subarray(start + 1, end));
      this.buffer = this.buffer.subarray(end + (this.buffer[end + 1] === CR ? 2 : 1));
    }
    if (this.buffer.length > this.maxFrameBytes) throw new Error(`MLLP frame larger than ${this.maxFrameBytes} bytes`);
    return frames;
  }
}

export function startMllpServer(ingest: Hl7Ingest, port: number, host: string, logger: Logger, maxFrameBytes: number): Promise<MllpServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const reader = new FrameReader(maxFrameBytes);
    const pending: Buffer[] = [];
    let busy = false;

    const drain = async () => {
      if (busy) return;
      busy = true;
      socket.pause();
      while (pending.length) {
        const message = pending.shift() as Buffer;
        const result = await ingest.receive(message, { transport: 'mllp' }).catch((err) => {
          logger.error({ err }, 'MLLP message failed');
          return undefined;
        });
        if (result && !socket.destroyed) socket.write(frame(Buffer.from(result.ack, 'utf8')));
      }
      busy = false;
      if (!socket.destroyed) socket.resume();
    };

    socket.on('data', (chunk: Buffer) => {
      try {
        pending.push(...reader.push(chunk));
      } catch (err) {
        logger.warn({ err: (err as Error).message, remote: socket.remoteAddress }, 'closing MLLP connection');
        socket.destroy();
        return;
      }
      void drain();
    });
    socket.on('error', (err) => logger.debug({ err: err.message }, 'MLLP socket error'));
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as net.AddressInfo;
      logger.info({ port: address.port }, 'MLLP listening');
      resolve({
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.end();
            server.close(() => done());
            setTimeout(() => {
              for (const s of sockets) s.destroy();
            }, 2000).unref();
          }),
      });
    });
  });
}
