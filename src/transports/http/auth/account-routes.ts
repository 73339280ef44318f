/**
 * The network office's account administration over HTTP: create, list, suspend, reactivate, unlock and
 * offboard the people who log in. Who may, and the audit of every change, are the administration's
 * (auth/account-administration.ts); these routes adapt requests and shape answers.
 */
import type { FastifyInstance } from 'fastify';
import { authenticate } from '../app';
import type { Account, NewAccount } from '../../../auth/accounts';
import type { AccountAdministration } from '../../../auth/account-administration';
import type { TokenService } from '../../../auth/tokens';

export function registerAccountRoutes(app: FastifyInstance, tokens: TokenService, administration: AccountAdministration): void {
  app.post('/admin/accounts', async (request, reply) => {
    const ctx = await authenticate(tokens, request);
    const { account, password, totp } = await administration.create(ctx, request.body as NewAccount);
    return reply.status(201).send({ ...publicView(account), password, ...(totp ? { totpSecret: totp.secret, totpUri: totp.uri, recoveryCodes: totp.recoveryCodes } : {}) });
  });

  app.get('/admin/accounts', async (request) => {
    const ctx = await authenticate(tokens, request);
    return { accounts: (await administration.list(ctx)).map(publicView) };
  });

  app.post('/admin/accounts/:id/:change', async (request) => {
    const ctx = await authenticate(tokens, request);
    const { id, change } = request.params as { id: string; change: string };
    return publicView(await administration.change(ctx, id, change));
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
