/**
 * Access tokens: ES256-signed JWTs carrying the caller's role, facility and resident, so a request needs no
 * database look-up to know who is asking, and other services can check them against the published JWKS.
 * The signing key comes from TONET_SIGNING_KEY (a private P-256 JWK) or is generated once and kept in the
 * database, so tokens survive a restart and work across several server processes. The client-credentials
 * endpoint and the OpenID Connect provider sign with this one key and one issuer; this is the one verifier.
 */
import type { ServerSettings } from '../store/server-settings';
import { FhirError, unauthorized } from '../core/errors';
import type { Client } from './clients';
import { Role, ROLES } from '../core/context';
import { JwtError, SigningKey } from './jwt';

export interface TokenClaims {
  clientId: string;
  name: string;
  role: Role;
  organization?: string;
  patient?: string;
  /** The person acting ("Practitioner/<id>", "Patient/<id>" or "Account/<id>") when a person logged in through an app. */
  person?: string;
  personName?: string;
  grantId?: string;
  scopes?: string[];
  /**
   * The client's token generation when the token was issued (client-credentials tokens only): deactivating
   * the client or rotating its secret moves the generation on, which ends every token issued before.
   */
  generation?: number;
  /** A SMART Backend Service's token (from the provider, signed-assertion clients): good while the service stays registered. */
  backendService?: boolean;
}

/** Tokens kept verified at once; past this the oldest is dropped and checked again when it returns. */
const VERIFIED_TOKENS_KEPT = 2_000;

export class TokenService {
  /**
   * Tokens whose signature and claims were checked, with what they claim and when they expire. A client
   * sends the same token with every request, and checking an ES256 signature cost 0.2 ms of CPU each time
   * (a quarter of a read's). Keyed by the whole token, so only those exact bytes hit; the expiry is checked
   * at every use, and standing (revocation, logout) is asked at every request as before.
   */
  private readonly verified = new Map<string, { claims: TokenClaims; exp: number }>();
  /** Whether an OpenID Connect grant still stands; set by the provider once it exists. */
  private grantStands: (grantId: string) => Promise<boolean> = async () => false;
  /** Whether a client is active and still at this token generation; set by the composition root. */
  private clientStands: (clientId: string, generation: number) => Promise<boolean> = async () => false;
  /** Whether a backend service is still registered with the provider; set by the provider. */
  private serviceStands: (clientId: string) => Promise<boolean> = async () => false;

  private constructor(
    readonly key: SigningKey,
    readonly issuer: string,
    readonly lifetimeSeconds: number
  ) {}

  static async create(settings: ServerSettings, configuredKey: string | undefined, issuer: string, lifetimeSeconds: number): Promise<TokenService> {
    if (configuredKey) return new TokenService(new SigningKey(JSON.parse(configuredKey)), issuer, lifetimeSeconds);
    const kept = await settings.keptOrFirst('signing_jwk', JSON.stringify(SigningKey.generate().privateJwk));
    return new TokenService(new SigningKey(JSON.parse(kept)), issuer, lifetimeSeconds);
  }

  issue(client: Client): string {
    const now = Math.floor(Date.now() / 1000);
    return this.key.sign({
      sub: client.clientId,
      client_id: client.clientId,
      iss: this.issuer,
      iat: now,
      exp: now + this.lifetimeSeconds,
      name: client.name,
      role: client.role,
      org: client.organization,
      pat: client.patient,
      gen: client.generation,
    });
  }

  checkGrantsWith(grantStands: (grantId: string) => Promise<boolean>): void {
    this.grantStands = grantStands;
  }

  checkServicesWith(serviceStands: (clientId: string) => Promise<boolean>): void {
    this.serviceStands = serviceStands;
  }

  checkClientsWith(clientStands: (clientId: string, generation: number) => Promise<boolean>): void {
    this.clientStands = clientStands;
  }

  /**
   * A signature and an expiry are not enough: a person's token is good only while its grant stands (logout,
   * revocation and suspension end it at once), a client's only while the client is active and its secret
   * has not been rotated since. Every transport (REST, GraphQL, WebSocket, MLLP) asks here.
   */
  async assertStanding(claims: TokenClaims): Promise<void> {
    if (claims.grantId) {
      if (!(await this.grantStands(claims.grantId))) throw unauthorized('Access token revoked or its login has ended');
      return;
    }
    if (claims.backendService) {
      if (!(await this.serviceStands(claims.clientId))) throw unauthorized('Access token revoked: its backend service is no longer registered');
      return;
    }
    if (!(await this.clientStands(claims.clientId, claims.generation ?? 0))) throw unauthorized('Access token revoked: its client was deactivated or its secret rotated');
  }

  /** verify, then assertStanding: what a transport calls with the token it was given. */
  async verifyStanding(token: string): Promise<TokenClaims> {
    const claims = this.verify(token);
    await this.assertStanding(claims);
    return claims;
  }

  verify(token: string): TokenClaims {
    const kept = this.verified.get(token);
    if (kept && kept.exp > Math.floor(Date.now() / 1000)) return { ...kept.claims };
    if (kept) this.verified.delete(token);
    const { claims, exp } = this.verifySignature(token);
    if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, { claims, exp });
    return { ...claims };
  }

  private verifySignature(token: string): { claims: TokenClaims; exp: number } {
    try {
      const payload = this.key.verify(token);
      if (payload.iss !== this.issuer) throw unauthorized('Token was not issued by Tonet');
      const role = payload.role as Role;
      const clientId = typeof payload.client_id === 'string' ? payload.client_id : payload.sub;
      if (!clientId || !payload.sub || !ROLES.includes(role)) throw unauthorized('Token has no valid subject or role');
      const claims: TokenClaims = {
        clientId,
        name: String(payload.name ?? payload.sub),
        role,
        organization: typeof payload.org === 'string' ? payload.org : undefined,
        patient: typeof payload.pat === 'string' ? payload.pat : undefined,
        person: typeof payload.person === 'string' ? payload.person : undefined,
        personName: typeof payload.person_name === 'string' ? payload.person_name : undefined,
        grantId: typeof payload.gid === 'string' ? payload.gid : undefined,
        // Tokens from the provider (a person's, or a backend service's) carry SMART scopes; /oauth2/token's do not.
        scopes: typeof payload.scope === 'string' ? payload.scope.split(' ') : undefined,
        generation: typeof payload.gen === 'number' ? payload.gen : undefined,
        backendService: payload.svc === true,
      };
      if (claims.scopes) Object.freeze(claims.scopes);
      return { claims, exp: payload.exp as number };
    } catch (err) {
      if (err instanceof JwtError && err.expired) throw unauthorized('Access token expired');
      if (err instanceof FhirError) throw err;
      throw unauthorized('Invalid access token');
    }
  }
}
