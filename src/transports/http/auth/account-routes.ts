/**
 * The network office's account administration: create, list, suspend, reactivate, unlock and offboard the
 * people who log in. Only an administrator (the office) may; every change is audited with who made it.
 */
import type { FastifyInstance } from 'fastify';
import type { AuditTrail } from '../../../audit/types';
import { notFound } from '../../../core/errors';
import { authenticate } from '../app';
import type { Account, AccountStore, FacilityAssignment, NewAccount } from '../../../auth/accounts';
import type { TokenService } from '../../../auth/tokens';
import { assertMayStart } from '../../../consent/interactions';

const CHANGES = {
  suspend: (accounts: AccountStore, id: string) => accounts.setStatus(id, 'suspended'),
  reactivate: (accounts: AccountStore, id: string) => accounts.setStatus(id, 'active'),
  offboard: (accounts: AccountStore, id: string) => accounts.setStatus(id, 'offboarded'),
  unlock: (accounts: AccountStore, id: string) => accounts.unlock(id),
} as const;

export function registerAccountRoutes(
  app: FastifyInstance,
  accounts: AccountStore,
  tokens: TokenService,
  audit: AuditTrail,
  revokeAccount: (accountId: string) => Promise<void>,
  /** The facilities the Practitioner's active PractitionerRoles name (practitioner-roles.ts). */
  facilitiesOf: (practitioner: string) => Promise<FacilityAssignment[]>
): void {
  const asAdmin = async (request: Parameters<typeof authenticate>[1]) => {
    const ctx = await authenticate(tokens, request);
    assertMayStart(ctx, 'manage-accounts');
    return ctx;
  };

  app.post('/admin/accounts', async (request, reply) => {
    const ctx = await asAdmin(request);
    const body = request.body as NewAccount;
    const fromDirectory = body?.kind === 'practitioner' && !body.facilities?.length && typeof body.practitioner === 'string';
    const { account, password, totp } = await accounts.create(fromDirectory ? { ...body, facilities: await facilitiesOf(body.practitioner!) } : body);
    await audit.append({ ctx, action: 'account-change', patientIds: [], entities: entitiesOf(account), outcome: '0', description: `account ${account.username} (${account.kind}) created`, remoteAddress: request.ip });
    return reply.status(201).send({ ...publicView(account), password, ...(totp ? { totpSecret: totp.secret, totpUri: totp.uri, recoveryCodes: totp.recoveryCodes } : {}) });
  });

  app.get('/admin/accounts', async (request) => {
    await asAdmin(request);
    return { accounts: (await accounts.list()).map(publicView) };
  });

  app.post('/admin/accounts/:id/:change', async (request) => {
    const ctx = await asAdmin(request);
    const { id, change } = request.params as { id: string; change: string };
    if (!Object.hasOwn(CHANGES, change)) throw notFound(`unknown change ${change}; one of ${Object.keys(CHANGES).join(', ')}`);
    const account = await CHANGES[change as keyof typeof CHANGES](accounts, id);
    // A suspended or offboarded person's logins and tokens end now, not when they expire.
    if (account.status !== 'active') await revokeAccount(account.id);
    await audit.append({ ctx, action: 'account-change', patientIds: [], entities: entitiesOf(account), outcome: '0', description: `account ${account.username}: ${change}`, remoteAddress: request.ip });
    return publicView(account);
  });
}

/** What the office sees of an account: never a hash or a secret. */
export function publicView(account: Account): Record<string, unknown> {
  return {
    id: account.id,
    username: account.username,
    kind: account.kind,
    name: account.displayName,
    practitioner: account.practitioner,
    patient: account.patient,
    facilities: account.facilities,
    status: account.status,
    totp: account.hasTotp,
    lockedUntil: account.lockedUntil?.toISOString(),
  };
}

function entitiesOf(account: Account): string[] {
  return [account.practitioner, account.patient].filter((e): e is string => e !== undefined);
}
