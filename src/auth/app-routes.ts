/**
 * The network office registers third-party SMART apps: a public app (PKCE only, for browsers and phones) or
 * a confidential one (with a secret, shown once). Apps are OpenID Connect clients of the provider under /oidc.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AuditTrail } from '../audit/types';
import { badRequest, forbidden } from '../fhir/errors';
import { authenticate } from '../http/app';
import type { TokenService } from './tokens';

interface NewApp {
  name?: unknown;
  redirect_uris?: unknown;
  confidential?: unknown;
}

export function registerAppRoutes(app: FastifyInstance, tokens: TokenService, audit: AuditTrail, registerApp: (metadata: Record<string, unknown> & { client_id: string }) => Promise<void>): void {
  app.post('/admin/apps', async (request, reply) => {
    const ctx = await authenticate(tokens, request);
    if (ctx.role !== 'admin') throw forbidden('Only the network office may register apps');
    const body = (request.body ?? {}) as NewApp;
    if (typeof body.name !== 'string' || !body.name.trim()) throw badRequest('name is required', ['name']);
    const redirectUris = Array.isArray(body.redirect_uris) ? body.redirect_uris : [];
    if (redirectUris.length === 0 || !redirectUris.every((uri) => typeof uri === 'string' && URL.canParse(uri) && !uri.includes('#'))) {
      throw badRequest('redirect_uris must list absolute URLs without a fragment', ['redirect_uris']);
    }
    const clientId = `app-${randomBytes(9).toString('base64url')}`;
    const clientSecret = body.confidential === true ? randomBytes(32).toString('base64url') : undefined;
    await registerApp({
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
}
