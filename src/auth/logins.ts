/**
 * The steps of a person's login at the authorization server, as the account sees them: the password, the
 * second factor (a TOTP or recovery code, or a passkey), enrolling an authenticator app or registering a
 * passkey on the way, and the login's end. Each step records its own audit entry — every refusal and every
 * login as the login's client (the app it started from) and address, every new second factor as a change of
 * the account. The pages that ask for each step are the transport's (transports/http/oidc/interactions.ts).
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { AuditTrail } from '../audit/types';
import type { Account, AccountStore, CheckResult } from './accounts';
import type { Passkeys } from './passkeys';

/** Where a login comes from: the OpenID Connect client it was started for, and the person's address. */
export interface LoginAttempt {
  clientId: string | undefined;
  remoteAddress: string;
}

export class Logins {
  constructor(
    private readonly accounts: AccountStore,
    private readonly passkeys: Passkeys,
    private readonly audit: AuditTrail
  ) {}

  async checkPassword(attempt: LoginAttempt, username: string, password: string): Promise<CheckResult> {
    const result = await this.accounts.checkPassword(username, password);
    if (!result.ok) await this.refused(attempt, username, `password refused (${result.reason})`);
    return result;
  }

  /** A TOTP or recovery code, spent when accepted. */
  async checkCode(attempt: LoginAttempt, accountId: string, code: string): Promise<CheckResult> {
    const result = await this.accounts.checkSecondFactor(accountId, code);
    if (!result.ok) await this.refused(attempt, result.account?.username ?? accountId, `second factor refused (${result.reason})`);
    return result;
  }

  /** The browser's answer to the passkey challenge (undefined when it sent none that parses). */
  async checkPasskey(attempt: LoginAttempt, accountId: string, challenge: string, answer: AuthenticationResponseJSON | undefined): Promise<CheckResult> {
    const result = await this.accounts.checkFactorOf(accountId, async () => answer !== undefined && this.passkeys.authenticate(accountId, challenge, answer));
    if (!result.ok) await this.refused(attempt, result.account?.username ?? accountId, `passkey refused (${result.reason})`);
    return result;
  }

  /** Puts the authenticator app's secret in force once the person has shown its code; the recovery codes, or undefined when the code is not right. */
  async enrolTotp(attempt: LoginAttempt, accountId: string, secret: string, code: string): Promise<string[] | undefined> {
    const codes = await this.accounts.confirmTotp(accountId, secret, code);
    if (codes) await this.changed(attempt, `account ${accountId}: authenticator app enrolled`);
    return codes;
  }

  /** Whether the browser's answer made a passkey for this challenge, which is then kept. */
  async registerPasskey(attempt: LoginAttempt, account: Account, challenge: string, answer: RegistrationResponseJSON | undefined): Promise<boolean> {
    if (!answer || !(await this.passkeys.register(account, challenge, answer))) return false;
    await this.changed(attempt, `account ${account.username}: passkey registered`);
    return true;
  }

  /** The person is logged in with these RFC 8176 methods, at this facility when they work at one. */
  loggedIn(attempt: LoginAttempt, account: Account, amr: string[], organization: string | undefined): Promise<void> {
    return this.record(attempt, account.username, '0', `logged in (${amr.join('+')})${organization ? ` at ${organization}` : ''}`);
  }

  /** A step of the login refused (the password, a factor, the app, the launch): `who` is the username or account id. */
  refused(attempt: LoginAttempt, who: string, why: string): Promise<void> {
    return this.record(attempt, who, '4', why);
  }

  private record(attempt: LoginAttempt, who: string, outcome: '0' | '4', what: string): Promise<void> {
    return this.audit.append({
      clientId: attempt.clientId,
      action: outcome === '0' ? 'login' : 'login-failure',
      patientIds: [],
      entities: [],
      outcome,
      description: `login ${who} via ${attempt.clientId}: ${what}`,
      remoteAddress: attempt.remoteAddress,
    });
  }

  private changed(attempt: LoginAttempt, description: string): Promise<void> {
    return this.audit.append({ clientId: attempt.clientId, action: 'account-change', patientIds: [], entities: [], outcome: '0', description, remoteAddress: attempt.remoteAddress });
  }
}
