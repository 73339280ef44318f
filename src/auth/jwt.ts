/**
 * Compact ES256 JSON Web Tokens (RFC 7519, RFC 7518 §3.4) on node:crypto, synchronous so that a request is
 * authenticated without a round trip. Only what Tonet's own key signed is accepted: the ES256 header with
 * Tonet's key id, a valid signature, and an unexpired `exp`. Anyone may verify with the published JWKS.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify, JsonWebKey } from 'node:crypto';

export type JwtPayload = Record<string, unknown> & { sub?: string; iss?: string; exp?: number; iat?: number };

export class JwtError extends Error {
  constructor(
    message: string,
    readonly expired = false
  ) {
    super(message);
  }
}

/** One P-256 key pair: the private half signs, the public half is published as a JWK with its thumbprint as `kid`. */
export class SigningKey {
  readonly kid: string;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  constructor(readonly privateJwk: JsonWebKey) {
    if (privateJwk.kty !== 'EC' || privateJwk.crv !== 'P-256' || !privateJwk.d) throw new Error('the signing key must be a private P-256 JWK');
    this.privateKey = createPrivateKey({ key: privateJwk, format: 'jwk' });
    this.publicKey = createPublicKey(this.privateKey);
    // RFC 7638 thumbprint: the required members in lexicographic order.
    const canonical = JSON.stringify({ crv: privateJwk.crv, kty: privateJwk.kty, x: privateJwk.x, y: privateJwk.y });
    this.kid = createHash('sha256').update(canonical).digest('base64url');
  }

  static generate(): SigningKey {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return new SigningKey(privateKey.export({ format: 'jwk' }));
  }

  /** The public JWK, as published at the JWKS endpoint. */
  publicJwk(): JsonWebKey & { kid: string; use: string; alg: string } {
    const { kty, crv, x, y } = this.privateJwk;
    return { kty, crv, x, y, kid: this.kid, use: 'sig', alg: 'ES256' };
  }

  sign(payload: JwtPayload, type = 'JWT'): string {
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: type, kid: this.kid })).toString('base64url');
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    const signature = sign('sha256', Buffer.from(`${header}.${body}`), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${header}.${body}.${signature.toString('base64url')}`;
  }

  verify(token: string, nowSeconds = Math.floor(Date.now() / 1000)): JwtPayload {
    const parts = token.split('.');
    if (parts.length !== 3) throw new JwtError('malformed token');
    const [header, body, signature] = parts;
    let decodedHeader: { alg?: unknown; kid?: unknown };
    let payload: JwtPayload;
    try {
      decodedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw new JwtError('malformed token');
    }
    // The algorithm is fixed, never taken from the token (no "none", no HS256 with the public key as secret).
    if (decodedHeader.alg !== 'ES256' || decodedHeader.kid !== this.kid) throw new JwtError('unsupported token header');
    const valid = verify('sha256', Buffer.from(`${header}.${body}`), { key: this.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
    if (!valid) throw new JwtError('bad signature');
    if (typeof payload.exp !== 'number' || payload.exp <= nowSeconds) throw new JwtError('token expired', true);
    return payload;
  }
}
