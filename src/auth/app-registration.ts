/**
 * The network office registers third-party SMART apps: a public app (PKCE only, for browsers and phones) or
 * a confidential one (with a secret, shown once). Apps are OpenID Connect clients of the provider under /oidc.
 * A vendor's system that prefers keys to shared secrets registers as a SMART Backend Service: its public
 * keys (`jwks`, or a `jwks_uri` the provider fetches), and the role and facility it acts as, as for
 * /admin/clients; it then asks /oidc/token for system/ scopes with a signed client assertion. Only the office
 * may; every registration and deactivation records its own audit entry with who made it.
 */
import { randomBytes } from 'node:crypto';
import type { AuditTrail } from '../audit/types';
import { assertMayStart } from '../consent/interactions';
import type { RequestContext, Role } from '../core/context';
import { badRequest, notFound } from '../core/errors';
import type { NewClient } from './clients';
import type { RegisteredApps } from './oidc/provider';

/** What the office posts: an app's name and redirect URIs, or a backend service's name, keys, role and facility. */
export interface NewApp {
  name?: unknown;
  redirect_uris?: unknown;
  confidential?: unknown;
  jwks?: unknown;
  jwks_uri?: unknown;
  role?: unknown;
  organization?: unknown;
}

export type RegisteredApp =
  | { kind: 'backend-service'; clientId: string; role: string; organization?: string }
  | { kind: 'app'; clientId: string; clientSecret?: string; redirectUris: string[] };

/** A key gives no one the office's powers, nor a resident's: systems act for a facility or for research. */
const BACKEND_ROLES: Role[] = ['gateway', 'clinician', 'emergency', 'researcher'];

export class AppRegistration {
  constructor(
    private readonly apps: RegisteredApps,
    private readonly audit: AuditTrail,
    /** The client registry's check of a role and facility (clients.ts), which a backend service passes too. */
    private readonly validateClient: (input: NewClient) => void
  ) {}

  /** A backend service when keys are given, else an app; errors name the field. */
  async register(ctx: RequestContext, input: NewApp): Promise<RegisteredApp> {
    assertMayStart(ctx, 'manage-apps');
    if (typeof input.name !== 'string' || !input.name.trim()) throw badRequest('name is required', ['name']);
    if (input.jwks !== undefined || input.jwks_uri !== undefined) {
      const clientId = `svc-${randomBytes(9).toString('base64url')}`;
      const metadata = backendServiceMetadata(clientId, input as NewApp & { name: string }, this.validateClient);
      await this.apps.register(metadata);
      await this.recordChange(ctx, `backend service ${clientId} (${metadata.client_name}, ${metadata.tonet_role}) registered`);
      return { kind: 'backend-service', clientId, role: metadata.tonet_role, organization: metadata.tonet_organization };
    }
    const redirectUris = Array.isArray(input.redirect_uris) ? input.redirect_uris : [];
    if (redirectUris.length === 0 || !redirectUris.every((uri) => typeof uri === 'string' && URL.canParse(uri) && !uri.includes('#'))) {
      throw badRequest('redirect_uris must list absolute URLs without a fragment', ['redirect_uris']);
    }
    const clientId = `app-${randomBytes(9).toString('base64url')}`;
    const clientSecret = input.confidential === true ? randomBytes(32).toString('base64url') : undefined;
    await this.apps.register({
      client_id: clientId,
      client_name: input.name.trim(),
      redirect_uris: redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: clientSecret ? 'client_secret_basic' : 'none',
      ...(clientSecret ? { client_secret: clientSecret } : {}),
    });
    await this.recordChange(ctx, `app ${clientId} (${input.name.trim()}) registered`);
    return { kind: 'app', clientId, clientSecret, redirectUris };
  }

  /** Ends an app or backend service: its registration, its logins' grants and every token it holds, at once. */
  async deactivate(ctx: RequestContext, clientId: string): Promise<void> {
    assertMayStart(ctx, 'manage-apps');
    if (!/^(app|svc)-/.test(clientId) || !(await this.apps.remove(clientId))) throw notFound(`no registered app ${clientId}`);
    await this.recordChange(ctx, `app ${clientId} deactivated`);
  }

  private recordChange(ctx: RequestContext, description: string): Promise<void> {
    return this.audit.append({ ctx, action: 'account-change', patientIds: [], entities: [], outcome: '0', description, remoteAddress: ctx.remoteAddress });
  }
}

/** The provider's metadata for a backend service; errors name the field. */
function backendServiceMetadata(
  clientId: string,
  input: NewApp & { name: string },
  validateClient: (input: NewClient) => void
): Record<string, unknown> & { client_id: string; client_name: string; tonet_role: string; tonet_organization?: string } {
  if (input.jwks !== undefined && input.jwks_uri !== undefined) throw badRequest('give jwks or jwks_uri, not both', ['jwks']);
  const keys = (input.jwks as { keys?: unknown } | undefined)?.keys;
  if (input.jwks !== undefined && (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => k && typeof k === 'object' && !('d' in k)))) {
    throw badRequest('jwks must be {"keys": [public JWKs]} with no private parts', ['jwks']);
  }
  if (input.jwks_uri !== undefined && (typeof input.jwks_uri !== 'string' || !URL.canParse(input.jwks_uri) || !/^https?:$/.test(new URL(input.jwks_uri).protocol))) {
    throw badRequest('jwks_uri must be an absolute http(s) URL', ['jwks_uri']);
  }
  if (!BACKEND_ROLES.includes(input.role as Role)) throw badRequest(`a backend service's role is one of ${BACKEND_ROLES.join(', ')}`, ['role']);
  const role = input.role as Role;
  const organization = typeof input.organization === 'string' ? input.organization : undefined;
  validateClient({ name: input.name, role, organization });
  return {
    client_id: clientId,
    client_name: input.name.trim(),
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'private_key_jwt',
    ...(input.jwks !== undefined ? { jwks: { keys } } : { jwks_uri: input.jwks_uri }),
    tonet_role: role,
    ...(organization ? { tonet_organization: organization } : {}),
  };
}
