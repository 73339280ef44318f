/**
 * The network office's client registry over HTTP: create, list, deactivate and rotate OAuth clients. Who
 * may, and the audit of every change, are the administration's (auth/client-administration.ts); these routes
 * adapt requests and shape answers. A secret is answered once and is stored only as a digest.
 */
import type { FastifyInstance } from 'fastify';
import { authenticate } from '../app';
import type { ClientRecord, NewClient } from '../../../auth/clients';
import type { ClientAdministration } from '../../../auth/client-administration';
import type { TokenService } from '../../../auth/tokens';

export function registerClientRoutes(app: FastifyInstance, tokens: TokenService, administration: ClientAdministration): void {
  app.post('/admin/clients', async (request, reply) => {
    const ctx = await authenticate(tokens, request);
    const body = request.body as NewClient;
    const created = await administration.create(ctx, body);
    return reply.status(201).send({ client_id: created.clientId, client_secret: created.clientSecret, role: body.role, organization: body.organization, patient: body.patient });
  });

  app.get('/admin/clients', async (request) => {
    const ctx = await authenticate(tokens, request);
    return { clients: (await administration.list(ctx)).map(publicView) };
  });

  app.post('/admin/clients/:id/:change', async (request, reply) => {
    const ctx = await authenticate(tokens, request);
    const { id, change } = request.params as { id: string; change: string };
    const changed = await administration.change(ctx, id, change);
    if (!changed) return reply.callNotFound();
    return { ...publicView(changed.client), ...(changed.clientSecret ? { client_secret: changed.clientSecret } : {}) };
  });
}

/** What the office sees of a client. */
function publicView(client: ClientRecord): Record<string, unknown> {
  return {
    client_id: client.clientId,
    name: client.name,
    role: client.role,
    organization: client.organization,
    patient: client.patient,
    active: client.active,
    created: client.created.toISOString(),
    secret_rotated: client.secretRotated?.toISOString(),
    deactivated: client.deactivated?.toISOString(),
  };
}
