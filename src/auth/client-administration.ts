/**
 * The network office's client registry: create, list, deactivate and rotate the OAuth clients that systems
 * (gateways, facility systems, researchers) use. Only an administrator may; every change records its own
 * audit entry with who made it. A secret is answered once, at creation or rotation.
 */
import type { AuditTrail } from '../audit/types';
import { assertMayStart } from '../consent/interactions';
import type { RequestContext } from '../core/context';
import { badRequest } from '../core/errors';
import type { ClientRecord, ClientStore, NewClient } from './clients';

const CHANGES = {
  deactivate: async (clients: ClientStore, id: string) => ({ client: await clients.deactivate(id) }),
  rotate: (clients: ClientStore, id: string) => clients.rotate(id),
} as const;

export class ClientAdministration {
  constructor(
    private readonly clients: ClientStore,
    private readonly audit: AuditTrail
  ) {}

  async create(ctx: RequestContext, input: NewClient): Promise<{ clientId: string; clientSecret: string }> {
    assertMayStart(ctx, 'manage-clients');
    if (!input || typeof input !== 'object' || Array.isArray(input)) throw badRequest('Body must be JSON {name, role, organization?, patient?}');
    const created = await this.clients.create(input);
    await this.recordChange(ctx, `client ${created.clientId} (${input.role}) created`);
    return created;
  }

  /** Every client, oldest first. */
  async list(ctx: RequestContext): Promise<ClientRecord[]> {
    assertMayStart(ctx, 'manage-clients');
    return this.clients.list();
  }

  /** Deactivates the client or rotates its secret (answered once); undefined when `change` is neither. */
  async change(ctx: RequestContext, id: string, change: string): Promise<{ client: ClientRecord; clientSecret?: string } | undefined> {
    assertMayStart(ctx, 'manage-clients');
    if (!Object.hasOwn(CHANGES, change)) return undefined;
    const changed: { client: ClientRecord; clientSecret?: string } = await CHANGES[change as keyof typeof CHANGES](this.clients, id);
    await this.recordChange(ctx, `client ${id}: ${change}`);
    return changed;
  }

  private recordChange(ctx: RequestContext, description: string): Promise<void> {
    return this.audit.append({ ctx, action: 'account-change', patientIds: [], entities: [], outcome: '0', description, remoteAddress: ctx.remoteAddress });
  }
}
