/**
 * The network office's registry of SMART apps and backend services over HTTP. Who may, what a registration
 * holds and the audit of every change are the registration's (auth/app-registration.ts); these routes adapt
 * requests and shape answers. A confidential app's secret is answered once.
 */
import type { FastifyInstance } from 'fastify';
import { authenticate } from '../app';
import type { AppRegistration, NewApp } from '../../../auth/app-registration';
import type { TokenService } from '../../../auth/tokens';

export function registerAppRoutes(app: FastifyInstance, tokens: TokenService, registration: AppRegistration): void {
  app.post('/admin/apps', async (request, reply) => {
    const ctx = await authenticate(tokens, request);
    const registered = await registration.register(ctx, (request.body ?? {}) as NewApp);
    if (registered.kind === 'backend-service') {
      return reply.status(201).send({ client_id: registered.clientId, token_endpoint_auth_method: 'private_key_jwt', role: registered.role, organization: registered.organization });
    }
    return reply.status(201).send({ client_id: registered.clientId, ...(registered.clientSecret ? { client_secret: registered.clientSecret } : {}), redirect_uris: registered.redirectUris });
  });

  app.post('/admin/apps/:id/deactivate', async (request) => {
    const ctx = await authenticate(tokens, request);
    const { id } = request.params as { id: string };
    await registration.deactivate(ctx, id);
    return { client_id: id, active: false };
  });
}
