/**
 * Requests Node's HTTP parser refuses before Fastify sees them. curl and many HTTP clients send Japanese
 * search values as raw UTF-8 in the query string (`?name=やまだ`), which the parser rejects as an invalid URL
 * character; such a request is answered anyway, its target percent-encoded exactly as a careful client would
 * have sent it. Anything else the parser refuses gets an OperationOutcome, never Node's bare 400.
 */
import type { ConnectionError, FastifyInstance } from 'fastify';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { outcome } from '../../core/errors';

const HEADER_END = Buffer.from('\r\n\r\n');

interface ParsedHead {
  method: string;
  target: string;
  headers: Record<string, string>;
}

export function clientErrorHandler(app: () => FastifyInstance) {
  return (err: ConnectionError, socket: Socket): void => {
    if (!socket.writable) return;
    // Node hands the bytes read so far as a Buffer (Fastify's type describes its JSON form).
    const raw: unknown = err.rawPacket;
    const packet = Buffer.isBuffer(raw) ? raw : undefined;
    const head = err.code === 'HPE_INVALID_URL' && packet ? bodilessHead(packet) : undefined;
    if (!head) {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const detail = status === 431 ? 'Request headers are larger than the server accepts' : `Malformed HTTP request (${err.code ?? 'parse error'})`;
      writeResponse(socket, status, { 'content-type': 'application/fhir+json' }, JSON.stringify(outcome('error', status === 431 ? 'too-long' : 'structure', detail)));
      return;
    }
    app()
      .inject({ method: head.method as 'GET', url: head.target, headers: head.headers, remoteAddress: socket.remoteAddress })
      .then(
        (response) => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value === undefined || /^(connection|transfer-encoding|content-length|keep-alive)$/i.test(name)) continue;
            headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
          }
          writeResponse(socket, response.statusCode, headers, response.rawPayload);
        },
        () => writeResponse(socket, 500, { 'content-type': 'application/fhir+json' }, JSON.stringify(outcome('error', 'exception', 'Internal server error')))
      );
  };
}

/**
 * The request line and headers of a request that carries no body, with non-ASCII bytes of its target
 * percent-encoded; undefined when the head is incomplete or a body follows (those stay refused).
 */
export function bodilessHead(raw: Buffer): ParsedHead | undefined {
  const end = raw.indexOf(HEADER_END);
  if (end < 0) return undefined;
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  // Split on spaces only: read as latin1, UTF-8 bytes include 0x85 and 0xA0, which \s would take for spaces.
  const requestLine = /^([A-Z]+) ([^ ]+) HTTP\/1\.[01]$/.exec(lines[0]);
  if (!requestLine) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  if (headers['transfer-encoding'] || (headers['content-length'] && headers['content-length'] !== '0')) return undefined;
  return { method: requestLine[1], target: percentEncodeNonAscii(Buffer.from(requestLine[2], 'latin1')), headers };
}

function percentEncodeNonAscii(target: Buffer): string {
  let encoded = '';
  for (const byte of target) encoded += byte >= 0x80 ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  return encoded;
}

/** One answer, then the connection closes: the parser that refused the request cannot read another. */
function writeResponse(socket: Socket, status: number, headers: Record<string, string>, body: string | Buffer): void {
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), `content-length: ${payload.length}`, 'connection: close'];
  socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), payload]));
}
