/**
 * NDJSON request bodies (application/fhir+ndjson, Bulk Data): read line by line as the client sends them, so
 * a load of a region's history is never held in memory whole, and the server's body limit still holds.
 */
import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { tooLarge } from '../../core/errors';

export const NDJSON_TYPES = ['application/fhir+ndjson', 'application/ndjson', 'application/x-ndjson'];

/** The body's lines without their line ends; past `limit` bytes the body is dropped and reading fails with 413. */
export class NdjsonLines implements AsyncIterable<string> {
  constructor(
    private readonly body: IncomingMessage,
    private readonly limit: number
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    const decoder = new StringDecoder('utf8');
    let bytes = 0;
    let pending = '';
    for await (const chunk of this.body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > this.limit) {
        this.body.destroy();
        throw tooLarge(`Request body exceeds the limit of ${this.limit} bytes`);
      }
      const lines = (pending + decoder.write(chunk)).split('\n');
      pending = lines.pop() as string;
      for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
    pending += decoder.end();
    if (pending) yield pending.endsWith('\r') ? pending.slice(0, -1) : pending;
  }
}

/** A parser for Fastify: the lines, unread; a declared length over the limit is refused before anything is read. */
export function ndjsonParser(limit: number) {
  return (request: { headers: IncomingMessage['headers'] }, body: IncomingMessage, done: (err: Error | null, value?: unknown) => void): void => {
    const declared = Number(request.headers['content-length']);
    if (declared > limit) return done(tooLarge(`Request body exceeds the limit of ${limit} bytes`));
    done(null, new NdjsonLines(body, limit));
  };
}
