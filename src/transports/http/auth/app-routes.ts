/**
 * The network office registers third-party SMART apps: a public app (PKCE only, for browsers and phones) or
 * a confidential one (with a secret, shown once). Apps are OpenID Connect clients of the provider under /oidc.
 * A vendor's system that prefers keys to shared secrets registers as a SMART Backend Service: its public
 * keys (`jwks`, or a `jwks_uri` the provider fetches), and the role and facility it acts as, as for
 * /admin/clients; it then asks /oidc/token for system/ scopes with a signed client assertion.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AuditTrail } from '../../../audit/types';
import { badRequest, notFound } from '../../../core/errors';
import { authenticate } from '../app';
import type { NewClient } from '../../../auth/clients';
import type { RegisteredApps } from '../../../auth/oidc/provider';
import type { Role } from '../../../core/context';
import type { TokenService } from '../../../auth/tokens';
import { assertMayStart } from '../../../consent/interactions';

interface NewApp {
  name?: unknown;
  redirect_uris?: unknown;
  confidential?: unknown;
  jwks?: unknown;
  jwks_uri?: unknown;
  role?: unknown;
  organization?: unknown;
}

/** A key gives no one the office's powers, nor a resident's: systems act for a facility or for research. */
const BACKEND_ROLES: Role[] = ['gateway', 'clinician', 'emergency', 'researcher'];

export function registerAppRoutes(
  app: FastifyInstance,
  tokens: TokenService,
  audit: AuditTrail,
  apps: RegisteredApps,
  validateClient: (input: NewClient) => void
): void {
  app.post('/admin/apps', async (request, reply) => {
    const ctx = await authenticate(tokens, request);
    assertMayStart(ctx, 'manage-apps');
    const body = (request.body ?? {}) as NewApp;
    if (typeof body.name !== 'string' || !body.name.trim()) throw badRequest('name is required', ['name']);
    if (body.jwks !== undefined || body.jwks_uri !== undefined) {
      const clientId = `svc-${randomBytes(9).toString('base64url')}`;
      const metadata = backendServiceMetadata(clientId, body as NewApp & { name: string }, validateClient);
      await apps.register(metadata);
      await audit.append({ ctx, action: 'account-change', patientIds: [], entities: [], outcome: '0', description: `backend service ${clientId} (${metadata.client_name}, ${metadata.tonet_role}) registered`, remoteAddress: request.ip });
      return reply.status(201).send({ client_id: clientId, token_endpoint_auth_method: 'private_key_jwt', role: metadata.tonet_role, organization: metadata.tonet_organization });
    }
    const redirectUris = Array.isArray(body.redirect_uris) ? body.redirect_uris : [];
    if (redirectUris.length === 0 || !redirectUris.every((uri) => typeof uri === 'string' && URL.canParse(uri) && !uri.includes('#'))) {
      throw badRequest('redirect_uris must list absolute URLs without a fragment', ['redirect_uris']);
    }
    const clientId = `app-${randomBytes(9).toString('base64url')}`;
    const clientSecret = body.confidential === true ? randomBytes(32).toString('base64url') : undefined;
    await apps.register({
      client_id: clientId,
      client_name: body.name.trim(),
      redirect_uris: redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: clientSecret ? 'client_secret_basic' : 'none',
      ...(clientSecret ? { client_secret: clientSecret } : {}),
    });
    await audit.append({ ctx, action: 'account-change', patientIds: [], entities: [], outcome: '0', description: `app ${clientId} (${body.name.trim()}) registered`, remoteAddress: request.ip });
    return reply.status(201).send({ client_id: clientId, ...(clientSecret ? { client_secret: clientSecret } : {}), redirect_uris: redirectUris });
  });

  /** Ends an app or backend service: its registration, its logins' grants and every token it holds, at once. */
  app.post('/admin/apps/:id/deactivate', async (request) => {
    const ctx = await authenticate(tokens, request);
    assertMayStart(ctx, 'manage-apps');
    const { id } = request.params as { id: string };
    if (!/^(app|svc)-/.test(id) || !(await apps.remove(id))) throw notFound(`no registered app ${id}`);
    await audit.append({ ctx, action: 'account-change', patientIds: [], entities: [], outcome: '0', description: `app ${id} deactivated`, remoteAddress: request.ip });
    return { client_id: id, active: false };
  });
}

/** The provider's metadata for a backend service; errors name the field. */
function backendServiceMetadata(clientId: string, body: NewApp & { name: string }, validateClient: (input: NewClient) => void): Record<string, unknown> & { client_id: string } {
  if (body.jwks !== undefined && body.jwks_uri !== undefined) throw badRequest('give jwks or jwks_uri, not both', ['jwks']);
  const keys = (body.jwks as { keys?: unknown } | undefined)?.keys;
  if (body.jwks !== undefined && (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => k && typeof k === 'object' && !('d' in k)))) {
    throw badRequest('jwks must be {"keys": [public JWKs]} with no private parts', ['jwks']);
  }
  if (body.jwks_uri !== undefined && (typeof body.jwks_uri !== 'string' || !URL.canParse(body.jwks_uri) || !/^https?:$/.test(new URL(body.jwks_uri).protocol))) {
    throw badRequest('jwks_uri must be an absolute http(s) URL', ['jwks_uri']);
  }
  if (!BACKEND_ROLES.includes(body.role as Role)) throw badRequest(`a backend service's role is one of ${BACKEND_ROLES.join(', ')}`, ['role']);
  const organization = typeof body.organization === 'string' ? body.organization : undefined;
  validateClient({ name: body.name, role: body.role as string, organization });
  return {
    client_id: clientId,
    client_name: body.name.trim(),
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'private_key_jwt',
    ...(body.jwks !== undefined ? { jwks: { keys } } : { jwks_uri: body.jwks_uri }),
    tonet_role: body.role,
    ...(organization ? { tonet_organization: organization } : {}),
  };
}
