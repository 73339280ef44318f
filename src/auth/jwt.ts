/**
 * Compact HS256 JSON Web Tokens (RFC 7519) on node:crypto. Only what Tonet issues is accepted:
 * the HS256 header, a valid signature, and an unexpired `exp`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type JwtPayload = Record<string, unknown> & { sub?: string; iss?: string; exp?: number; iat?: number };

export class JwtError extends Error {
  constructor(
    message: string,
    readonly expired = false
  ) {
    super(message);
  }
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export function signJwt(payload: JwtPayload, key: Buffer): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${HEADER}.${body}.${mac(`${HEADER}.${body}`, key)}`;
}

export function verifyJwt(token: string, key: Buffer, nowSeconds = Math.floor(Date.now() / 1000)): JwtPayload {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('malformed token');
  const [header, body, signature] = parts;
  if (header !== HEADER) throw new JwtError('unsupported token header');
  const expected = Buffer.from(mac(`${header}.${body}`, key));
  const actual = Buffer.from(signature);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw new JwtError('bad signature');
  let payload: JwtPayload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError('malformed payload');
  }
  if (typeof payload.exp !== 'number' || payload.exp <= nowSeconds) throw new JwtError('token expired', true);
  return payload;
}

function mac(input: string, key: Buffer): string {
  return createHmac('sha256', key).update(input).digest('base64url');
}
