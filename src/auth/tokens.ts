/**
 * Access tokens: HS256-signed JWTs carrying the client's role, facility and resident, so a request needs
 * no database look-up to know who is asking. The signing key comes from TONET_JWT_SECRET or is generated
 * once and kept in the database, so tokens survive a restart and work across several server processes.
 */
import { randomBytes } from 'node:crypto';
import { JwtError, signJwt, verifyJwt } from './jwt';
import type { Db } from '../db/database';
import { sql } from '../db/sql';
import { FhirError, unauthorized } from '../fhir/errors';
import type { Client } from './clients';
import { Role, ROLES } from './context';

const ISSUER = 'tonet';

export interface TokenClaims {
  clientId: string;
  name: string;
  role: Role;
  organization?: string;
  patient?: string;
}

export class TokenService {
  private constructor(
    private readonly key: Buffer,
    readonly lifetimeSeconds: number
  ) {}

  static async create(db: Db, configuredSecret: string | undefined, lifetimeSeconds: number): Promise<TokenService> {
    if (configuredSecret) return new TokenService(Buffer.from(configuredSecret, 'utf8'), lifetimeSeconds);
    const generated = randomBytes(32).toString('base64url');
    await db.query(sql`INSERT INTO server_setting (key, value) VALUES ('jwt_secret', ${generated}) ON CONFLICT (key) DO NOTHING`);
    const [row] = await db.query<{ value: string }>(sql`SELECT value FROM server_setting WHERE key = 'jwt_secret'`);
    return new TokenService(Buffer.from(row.value, 'utf8'), lifetimeSeconds);
  }

  issue(client: Client): string {
    const now = Math.floor(Date.now() / 1000);
    return signJwt(
      { sub: client.clientId, iss: ISSUER, iat: now, exp: now + this.lifetimeSeconds, name: client.name, role: client.role, org: client.organization, pat: client.patient },
      this.key
    );
  }

  verify(token: string): TokenClaims {
    try {
      const payload = verifyJwt(token, this.key);
      if (payload.iss !== ISSUER) throw unauthorized('Token was not issued by Tonet');
      const role = payload.role as Role;
      if (!payload.sub || !ROLES.includes(role)) throw unauthorized('Token has no valid subject or role');
      return {
        clientId: payload.sub,
        name: String(payload.name ?? payload.sub),
        role,
        organization: typeof payload.org === 'string' ? payload.org : undefined,
        patient: typeof payload.pat === 'string' ? payload.pat : undefined,
      };
    } catch (err) {
      if (err instanceof JwtError && err.expired) throw unauthorized('Access token expired');
      if (err instanceof FhirError) throw err;
      throw unauthorized('Invalid access token');
    }
  }
}
