/**
 * multipart/related (RFC 2387 over RFC 2046 framing) as DICOMweb uses it: STOW-RS requests and WADO-RS
 * responses. Parts are binary DICOM files, so the body is searched as bytes, never decoded as text.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export interface MediaType {
  /** Lower-cased `type/subtype`. */
  mediaType: string;
  /** Parameter names lower-cased; quoted values unquoted. */
  parameters: Record<string, string>;
}

export interface BodyPart {
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: Buffer;
}

/** A Content-Type or Accept value: `type/subtype; name=value; name="quoted \" value"`. */
export function parseMediaType(value: string): MediaType {
  const semicolon = value.indexOf(';');
  const mediaType = (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  const parameters: Record<string, string> = {};
  const pattern = /;\s*([^=\s;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;
  const rest = semicolon < 0 ? '' : value.slice(semicolon);
  for (let match = pattern.exec(rest); match; match = pattern.exec(rest)) {
    parameters[match[1].toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3];
  }
  return { mediaType, parameters };
}

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;

/**
 * The parts between the first delimiter and the close delimiter. A preamble and an epilogue are ignored,
 * as RFC 2046 requires. Lines should end in CRLF; a bare LF is accepted too, because senders that build
 * bodies by hand get it wrong and a lost study is worse than a lenient parser.
 */
export function parseMultipart(body: Buffer, boundary: string): BodyPart[] {
  if (!boundary || boundary.length > 70) throw new MultipartError(`Invalid multipart boundary "${boundary}"`);
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const parts: BodyPart[] = [];
  let at = findDelimiter(body, delimiter, 0);
  if (at < 0) throw new MultipartError(`The body holds no "--${boundary}" delimiter`);
  for (;;) {
    let cursor = at + delimiter.length;
    if (body[cursor] === DASH && body[cursor + 1] === DASH) return parts;
    cursor = skipLinearWhitespace(body, cursor);
    const afterLine = endOfLine(body, cursor);
    if (afterLine < 0) throw new MultipartError('A multipart delimiter is not followed by a line break');
    const next = findDelimiter(body, delimiter, afterLine);
    if (next < 0) throw new MultipartError(`The multipart body ends without the close delimiter "--${boundary}--"`);
    parts.push(readPart(body.subarray(afterLine, contentEnd(body, afterLine, next))));
    at = next;
  }
}

export class MultipartError extends Error {}

/** One `multipart/related` body and the Content-Type that announces it. */
export function buildMultipart(parts: MultipartPart[], type: string): { contentType: string; body: Buffer } {
  const boundary = newBoundary();
  const chunks = parts.flatMap((part) => framed(boundary, part));
  chunks.push(closing(boundary));
  return { contentType: relatedType(type, boundary), body: Buffer.concat(chunks) };
}

/** The same framing for parts read one at a time (a whole study), so only one part is held in memory at once. */
export function streamMultipart(parts: AsyncIterable<MultipartPart>, type: string): { contentType: string; body: Readable } {
  const boundary = newBoundary();
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const part of parts) yield* framed(boundary, part);
    yield closing(boundary);
  }
  return { contentType: relatedType(type, boundary), body: Readable.from(chunks()) };
}

export interface MultipartPart {
  contentType: string;
  body: Buffer;
  headers?: Record<string, string>;
}

const newBoundary = () => `tonet-${randomBytes(12).toString('hex')}`;
const relatedType = (type: string, boundary: string) => `multipart/related; type="${type}"; boundary=${boundary}`;
const closing = (boundary: string) => Buffer.from(`--${boundary}--\r\n`, 'latin1');

function framed(boundary: string, part: MultipartPart): Buffer[] {
  const headers = { 'Content-Type': part.contentType, ...part.headers };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return [Buffer.from(`--${boundary}\r\n${head}\r\n`, 'latin1'), part.body, Buffer.from('\r\n', 'latin1')];
}

/** A delimiter counts only at the start of the body or of a line, and only when the boundary ends there. */
function findDelimiter(body: Buffer, delimiter: Buffer, from: number): number {
  for (let at = body.indexOf(delimiter, from); at >= 0; at = body.indexOf(delimiter, at + 1)) {
    const atLineStart = at === 0 || body[at - 1] === LF;
    const after = body[at + delimiter.length];
    const boundaryEnds = after === undefined || after === CR || after === LF || after === DASH || after === 0x20 || after === 0x09;
    if (atLineStart && boundaryEnds) return at;
  }
  return -1;
}

/** The line break before a delimiter belongs to the delimiter, not to the part's content. */
function contentEnd(body: Buffer, start: number, delimiterAt: number): number {
  let end = delimiterAt;
  if (end > start && body[end - 1] === LF) end--;
  if (end > start && body[end - 1] === CR) end--;
  return end;
}

function skipLinearWhitespace(body: Buffer, from: number): number {
  let at = from;
  while (body[at] === 0x20 || body[at] === 0x09) at++;
  return at;
}

/** The index after the CRLF (or LF) at `from`, or -1 when there is none there. */
function endOfLine(body: Buffer, from: number): number {
  if (body[from] === CR && body[from + 1] === LF) return from + 2;
  if (body[from] === LF) return from + 1;
  return -1;
}

function readPart(part: Buffer): BodyPart {
  const headers: Record<string, string> = {};
  let cursor = 0;
  for (;;) {
    const blank = endOfLine(part, cursor);
    if (blank >= 0) return { headers, body: part.subarray(blank) };
    const lineEnd = part.indexOf(LF, cursor);
    if (lineEnd < 0) throw new MultipartError('A multipart part has no blank line after its headers');
    const line = part.subarray(cursor, part[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd).toString('latin1');
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(`A multipart part has a malformed header line "${line.slice(0, 80)}"`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    cursor = lineEnd + 1;
  }
}
