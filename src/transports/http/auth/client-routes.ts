/**
 * The network office's client registry: create, list, deactivate and rotate the OAuth clients that systems
 * (gateways, facility systems, researchers) use. Only an administrator may; every change is audited with
 * who made it. A secret is answered once, at creation or rotation, and is stored only as a digest.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditTrail } from '../../../audit/types';
import { badRequest } from '../../../core/errors';
import { authenticate } from '../app';
import type { ClientRecord, ClientStore, NewClient } from '../../../auth/clients';
import type { RequestContext } from '../../../core/context';
import type { TokenService } from '../../../auth/tokens';
import { assertMayStart } from '../../../consent/interactions';

const CHANGES = {
  deactivate: async (clients: ClientStore, id: string) => ({ client: await clients.deactivate(id) }),
  rotate: (clients: ClientStore, id: string) => clients.rotate(id),
} as const;

export function registerClientRoutes(app: FastifyInstance, clients: ClientStore, tokens: TokenService, audit: AuditTrail): void {
  const asAdmin = async (request: FastifyRequest) => {
    const ctx = await authenticate(tokens, request);
    assertMayStart(ctx, 'manage-clients');
    return ctx;
  };
  const recordChange = (ctx: RequestContext, request: FastifyRequest, description: string) =>
    audit.append({ ctx, action: 'account-change', patientIds: [], entities: [], outcome: '0', description, remoteAddress: request.ip });

  app.post('/admin/clients', async (request, reply) => {
    const ctx = await asAdmin(request);
    const body = request.body as NewClient | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('Body must be JSON {name, role, organization?, patient?}');
    const created = await clients.create(body);
    await recordChange(ctx, request, `client ${created.clientId} (${body.role}) created`);
    return reply.status(201).send({ client_id: created.clientId, client_secret: created.clientSecret, role: body.role, organization: body.organization, patient: body.patient });
  });

  app.get('/admin/clients', async (request) => {
    await asAdmin(request);
    return { clients: (await clients.list()).map(publicView) };
  });

  app.post('/admin/clients/:id/:change', async (request, reply) => {
    const ctx = await asAdmin(request);
    const { id, change } = request.params as { id: string; change: string };
    if (!Object.hasOwn(CHANGES, change)) {
      return reply.callNotFound();
    }
    const changed: { client: ClientRecord; clientSecret?: string } = await CHANGES[change as keyof typeof CHANGES](clients, id);
    await recordChange(ctx, request, `client ${id}: ${change}`);
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
