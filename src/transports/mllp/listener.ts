/**
 * MLLP listener (HL7 v2 over TCP: <VT> message <FS><CR>). Each connection is served in order: the messages
 * that have arrived are stored together, in one transaction, and each is acknowledged after that commit.
 * The socket is paused while messages are being stored, so a flooding sender is slowed by TCP
 * back-pressure instead of filling our memory. What a hostile or broken peer could hold is bounded: the number
 * of connections, the bytes of one frame, the time a connection may stay silent and the time one frame may
 * take to arrive (a sender trickling a byte at a time holds a connection no longer than that).
 */
import net from 'node:net';
import type { Logger } from '../../core/logger';
import type { Hl7Ingest } from '../../ingest/pipeline';

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;

/**
 * The most queued messages of one connection stored in one transaction: enough to spare a pipelining
 * sender most commits, few enough that one transaction's locks and rows stay small.
 */
const BATCH_MESSAGES = 32;

/** How much of a frame too large to take is kept in the inbox, so the refusal can be reviewed. */
const KEPT_HEAD_BYTES = 64 * 1024;

export interface MllpLimits {
  maxFrameBytes: number;
  maxConnections: number;
  /** A connection with no traffic (and no message being stored) for this long is closed. */
  idleTimeoutMs: number;
  /** A frame must arrive whole within this long from its start byte. */
  frameTimeoutMs: number;
}

export interface MllpServer {
  port: number;
  close(): Promise<void>;
}

export function frame(message: Buffer | string): Buffer {
  const body = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  return Buffer.concat([Buffer.from([VT]), body, Buffer.from([FS, CR])]);
}

export class FrameTooLarge extends Error {
  constructor(
    readonly limit: number,
    /** The first bytes of the frame, for the inbox. */
    readonly head: Buffer
  ) {
    super(`MLLP frame larger than ${limit} bytes`);
  }
}

/**
 * One frame's content, or what is refused instead of a message: `cut` when a new start byte ended a frame
 * before its end bytes came; `outside` for text that came outside any frame (a sender that forgot the start
 * byte), up to the first 64 KB of it.
 */
export interface Frame {
  bytes: Buffer;
  refused?: 'cut' | 'outside';
}

type RefusedFrame = Required<Frame>;

/** Why each refused frame was not processed, as its ACK and inbox record say. */
const REFUSAL: Record<RefusedFrame['refused'], (bytes: Buffer) => string> = {
  cut: () => 'The MLLP frame was ended by a new start byte (VT) before its end bytes (FS CR); the message was not processed',
  outside: (bytes) => `${bytes.length} bytes came outside an MLLP frame (no start byte VT before them); they were kept and not processed`,
};

/**
 * Splits a byte stream into MLLP frames. Linear in the bytes received: each chunk is scanned once and the
 * parts of an unfinished frame are joined once, when its end arrives (never re-copied per chunk). Text
 * outside a frame is handed out as `outside` when the next frame starts (or by `rest()` when the stream
 * ends), so it is kept for review instead of vanishing; line breaks between frames are no text. At most
 * maxFrameBytes of an unfinished frame are held, and the first 64 KB of text outside one. A start byte inside a
 * frame means the sender gave that frame up and began another (HL7 text never holds VT): what came before it
 * is handed out as cut, to be refused with a reason rather than mistaken for part of the next message — and a
 * doubled start byte begins one frame.
 */
export class FrameReader {
  private parts: Buffer[] = [];
  private size = 0;
  private inFrame = false;
  private outsideParts: Buffer[] = [];
  private outsideSize = 0;
  /** A frame just ended with FS at the end of a chunk: its CR may open the next chunk. */
  private trailerDue = false;
  /** Frames begun so far, the one in progress included: which frame a timer watches. */
  private begun = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** The ordinal of the frame that has started and not yet ended, if one has. */
  get partialFrame(): number | undefined {
    return this.inFrame ? this.begun : undefined;
  }

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let position = 0;
    if (this.trailerDue && chunk[0] === CR) position = 1;
    this.trailerDue = false;
    while (position < chunk.length) {
      if (!this.inFrame) {
        const start = chunk.indexOf(VT, position);
        this.keepOutside(chunk.subarray(position, start < 0 ? chunk.length : start));
        if (start < 0) break;
        const outside = this.rest();
        if (outside) frames.push(outside);
        this.inFrame = true;
        this.begun++;
        position = start + 1;
        continue;
      }
      const end = chunk.indexOf(FS, position);
      const restart = chunk.indexOf(VT, position);
      const cut = restart >= 0 && (end < 0 || restart < end);
      const stop = cut ? restart : end;
      this.keep(chunk.subarray(position, stop < 0 ? chunk.length : stop));
      if (stop < 0) break;
      const bytes = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
      // A frame given up before any text (a doubled start byte, a stray line break) is no message.
      if (!cut || /\S/.test(bytes.toString('latin1'))) frames.push(cut ? { bytes, refused: 'cut' } : { bytes });
      this.parts = [];
      this.size = 0;
      position = stop + 1;
      // A cut frame's start byte opens the next frame at once.
      this.inFrame = cut;
      if (cut) this.begun++;
      if (!cut && chunk[position] === CR) position++;
      else if (!cut && position === chunk.length) this.trailerDue = true;
    }
    return frames;
  }

  /** The text received outside a frame since the last frame, if any (also when the stream ends). */
  rest(): RefusedFrame | undefined {
    if (!this.outsideSize) return undefined;
    const bytes = Buffer.concat(this.outsideParts, this.outsideSize);
    this.outsideParts = [];
    this.outsideSize = 0;
    // A stray end byte (a sender that writes FS twice) or a line break between frames is framing, not text.
    return /[^\s\x1c]/.test(bytes.toString('latin1')) ? { bytes, refused: 'outside' } : undefined;
  }

  private keepOutside(part: Buffer): void {
    const room = KEPT_HEAD_BYTES - this.outsideSize;
    if (room <= 0 || !part.length) return;
    const kept = part.length > room ? part.subarray(0, room) : part;
    this.outsideParts.push(kept);
    this.outsideSize += kept.length;
  }

  private keep(part: Buffer): void {
    if (this.size + part.length > this.maxFrameBytes) {
      const head = Buffer.concat([...this.parts, part]).subarray(0, KEPT_HEAD_BYTES);
      this.parts = [];
      this.size = 0;
      this.inFrame = false;
      throw new FrameTooLarge(this.maxFrameBytes, Buffer.from(head));
    }
    if (part.length) {
      this.parts.push(part);
      this.size += part.length;
    }
  }
}

export function startMllpServer(ingest: Hl7Ingest, port: number, host: string, logger: Logger, limits: MllpLimits): Promise<MllpServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    if (sockets.size >= limits.maxConnections) {
      logger.warn({ remote: socket.remoteAddress, connections: sockets.size }, 'MLLP connection cap reached; refusing a connection');
      socket.destroy();
      return;
    }
    sockets.add(socket);
    const reader = new FrameReader(limits.maxFrameBytes);
    const pending: Frame[] = [];
    let busy = false;
    let frameTimer: NodeJS.Timeout | undefined;
    let timedFrame: number | undefined;

    const close = (reason: string) => {
      logger.warn({ remote: socket.remoteAddress, reason }, 'closing MLLP connection');
      socket.destroy();
    };
    // The timeout is each frame's own, from its start byte: a sender streaming a backlog has a frame open at
    // the end of almost every chunk, and one timer kept across them cut it off after a minute of healthy
    // traffic. It also stops while the socket is paused (the server is storing what came), as the sender
    // cannot deliver then.
    const stopFrameTimer = () => {
      clearTimeout(frameTimer);
      frameTimer = undefined;
      timedFrame = undefined;
    };
    const watchFrame = () => {
      const open = socket.isPaused() ? undefined : reader.partialFrame;
      if (open === timedFrame) return;
      stopFrameTimer();
      if (open === undefined) return;
      timedFrame = open;
      frameTimer = setTimeout(() => close(`a frame did not arrive whole within ${limits.frameTimeoutMs} ms`), limits.frameTimeoutMs);
    };

    const drain = async () => {
      // Only whole frames are work: a frame still arriving keeps its timer running.
      if (busy || !pending.length) return;
      busy = true;
      socket.pause();
      stopFrameTimer();
      while (pending.length && !socket.destroyed) {
        if (pending[0].refused) {
          // Refused and kept, so the sender hears which message was given up and the office can see it.
          const refused = await keepRefused(pending.shift() as RefusedFrame).catch((err) => {
            logger.error({ err }, 'could not keep a refused MLLP frame');
            return undefined;
          });
          if (!refused) return close('a refused frame could not be kept');
          if (refused.ack !== undefined) socket.write(frame(Buffer.from(refused.ack, 'utf8')));
          continue;
        }
        // What the sender has queued is stored in one commit (a sender waiting for each ACK sends one at a time).
        const whole = pending.findIndex((f) => f.refused);
        const messages = pending.splice(0, Math.min(whole < 0 ? pending.length : whole, BATCH_MESSAGES)).map((f) => f.bytes);
        const results = await ingest.receiveAll(messages, { transport: 'mllp' }).catch((err) => {
          // A database that refuses writes is answered AR, saying why; the sender holds the messages.
          const answered = ingest.notKept(messages, 'mllp', err);
          logger[answered ? 'warn' : 'error']({ err }, 'MLLP messages failed');
          return answered;
        });
        // Not kept, so not acknowledged: closing makes the sender resend them, which loses nothing.
        if (!results) return close('the messages could not be kept');
        // Enhanced mode's MSH-15 may ask for no accept ACK (NE; ER for a success; SU for a refusal).
        for (const result of results) if (result.ack !== undefined) socket.write(frame(Buffer.from(result.ack, 'utf8')));
      }
      busy = false;
      if (socket.destroyed) return;
      socket.resume();
      watchFrame();
    };

    const keepRefused = ({ bytes, refused }: RefusedFrame) => {
      if (refused === 'outside') logger.warn({ remote: socket.remoteAddress, bytes: bytes.length }, 'MLLP bytes outside a frame kept in the inbox');
      return ingest.refuse(bytes, [{ severity: 'error', code: '102', message: REFUSAL[refused](bytes) }], { transport: 'mllp' });
    };

    const refuseTooLarge = async (err: FrameTooLarge) => {
      socket.pause();
      socket.removeAllListeners('data');
      const kept = await ingest
        .refuse(err.head, [{ severity: 'error', code: '102', message: `${err.message}; its first ${err.head.length} bytes are kept` }], { transport: 'mllp' })
        .catch((failure) => logger.error({ err: failure }, 'could not keep a refused MLLP frame'));
      if (kept?.ack !== undefined && !socket.destroyed) socket.end(frame(kept.ack));
      else close(err.message);
    };

    socket.setTimeout(limits.idleTimeoutMs);
    socket.on('timeout', () => {
      // Storing a message is not idleness: the sender is waiting for our ACK.
      if (busy) socket.setTimeout(limits.idleTimeoutMs);
      else close(`idle for ${limits.idleTimeoutMs} ms`);
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        pending.push(...reader.push(chunk));
      } catch (err) {
        if (err instanceof FrameTooLarge) return void refuseTooLarge(err);
        throw err;
      } finally {
        watchFrame();
      }
      void drain();
    });
    // Text after the last frame is kept too; the sender has stopped sending, so no ACK tells it why.
    socket.on('end', () => {
      const outside = reader.rest();
      if (outside) void keepRefused(outside).catch((err) => logger.error({ err }, 'could not keep bytes received outside an MLLP frame'));
    });
    socket.on('error', (err) => logger.debug({ err: err.message }, 'MLLP socket error'));
    socket.on('close', () => {
      stopFrameTimer();
      sockets.delete(socket);
    });
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
