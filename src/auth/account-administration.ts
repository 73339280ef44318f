/**
 * The network office's account administration: create, list, suspend, reactivate, unlock and offboard the
 * people who log in. Only an administrator (the office) may; every change records its own audit entry with
 * who made it.
 */
import type { AuditTrail } from '../audit/types';
import { assertMayStart } from '../consent/interactions';
import type { RequestContext } from '../core/context';
import { notFound } from '../core/errors';
import type { Account, AccountStore, FacilityAssignment, IssuedTotp, NewAccount } from './accounts';

const CHANGES = {
  suspend: (accounts: AccountStore, id: string) => accounts.setStatus(id, 'suspended'),
  reactivate: (accounts: AccountStore, id: string) => accounts.setStatus(id, 'active'),
  offboard: (accounts: AccountStore, id: string) => accounts.setStatus(id, 'offboarded'),
  unlock: (accounts: AccountStore, id: string) => accounts.unlock(id),
} as const;

export class AccountAdministration {
  constructor(
    private readonly accounts: AccountStore,
    private readonly audit: AuditTrail,
    /** Ends the person's logins and tokens (the provider's grants). */
    private readonly revokeAccount: (accountId: string) => Promise<void>,
    /** The facilities the Practitioner's active PractitionerRoles name (practitioner-roles.ts). */
    private readonly facilitiesOf: (practitioner: string) => Promise<FacilityAssignment[]>
  ) {}

  /** A practitioner's account that lists no facilities takes them from the directory. */
  async create(ctx: RequestContext, input: NewAccount): Promise<{ account: Account; password: string; totp?: IssuedTotp }> {
    assertMayStart(ctx, 'manage-accounts');
    const fromDirectory = input?.kind === 'practitioner' && !input.facilities?.length && typeof input.practitioner === 'string';
    const created = await this.accounts.create(fromDirectory ? { ...input, facilities: await this.facilitiesOf(input.practitioner!) } : input);
    const { account } = created;
    await this.recordChange(ctx, account, `account ${account.username} (${account.kind}) created`);
    return created;
  }

  async list(ctx: RequestContext): Promise<Account[]> {
    assertMayStart(ctx, 'manage-accounts');
    return this.accounts.list();
  }

  /** One of suspend, reactivate, offboard, unlock; a suspended or offboarded person's logins and tokens end now, not when they expire. */
  async change(ctx: RequestContext, id: string, change: string): Promise<Account> {
    assertMayStart(ctx, 'manage-accounts');
    if (!Object.hasOwn(CHANGES, change)) throw notFound(`unknown change ${change}; one of ${Object.keys(CHANGES).join(', ')}`);
    const account = await CHANGES[change as keyof typeof CHANGES](this.accounts, id);
    if (account.status !== 'active') await this.revokeAccount(account.id);
    await this.recordChange(ctx, account, `account ${account.username}: ${change}`);
    return account;
  }

  private recordChange(ctx: RequestContext, account: Account, description: string): Promise<void> {
    const entities = [account.practitioner, account.patient].filter((e): e is string => e !== undefined);
    return this.audit.append({ ctx, action: 'account-change', patientIds: [], entities, outcome: '0', description, remoteAddress: ctx.remoteAddress });
  }
}
