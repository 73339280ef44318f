/**
 * People who log in: practitioners (a Practitioner working at one or more facilities, each with a job role),
 * residents (bound to their regional Patient) and network-office staff. Passwords and recovery codes are kept
 * only as salted scrypt hashes; a TOTP secret is kept to check codes. Each code opens one login (RFC 6238
 * §5.2), so a code seen over a shoulder or phished after it was used opens nothing. Five wrong passwords or
 * codes in a row lock the account for a quarter of an hour (an office user can unlock it sooner).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import type { PersonAccounts, PersonRecord } from '../store/people';
import { badRequest, conflict, notFound } from '../core/errors';
import { hashSecret, verifySecret } from './clients';
import type { Role } from '../core/context';

export const ACCOUNT_KINDS = ['practitioner', 'resident', 'office'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/**
 * A practitioner's job at a facility, and what the consent service lets that job do: doctors and nurses treat
 * (clinician), desk staff (受付・医療事務 clerk) find and register patients and link cards but read no
 * clinical data, emergency crews see the emergency subset only.
 */
export const FACILITY_ROLES: Record<string, Role> = { doctor: 'clinician', nurse: 'clinician', clerk: 'clerk', emergency: 'emergency' };
export type FacilityRole = keyof typeof FACILITY_ROLES;

export interface FacilityAssignment {
  /** "Organization/<id>" */
  organization: string;
  role: FacilityRole;
}

export interface Account {
  id: string;
  username: string;
  kind: AccountKind;
  displayName: string;
  practitioner?: string;
  patient?: string;
  facilities: FacilityAssignment[];
  status: 'active' | 'suspended' | 'offboarded';
  hasTotp: boolean;
  lockedUntil?: Date;
}

export interface NewAccount {
  kind: string;
  username: string;
  name: string;
  password?: string;
  practitioner?: string;
  patient?: string;
  facilities?: FacilityAssignment[];
  /** Issue the account with an authenticator already set up (as the office hands out a token device): the secret and recovery codes are answered once. */
  totp?: boolean;
}

/** What is shown once when the office issues an account with its authenticator set up. */
export interface IssuedTotp {
  secret: string;
  uri: string;
  recoveryCodes: string[];
}

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_SECONDS = 15 * 60;
const TOTP_ISSUER = 'Tonet';
export const TOTP_PERIOD_SECONDS = 30;

export type CheckResult = { ok: true; account: Account } | { ok: false; reason: 'unknown' | 'locked' | 'inactive' | 'wrong'; account?: Account };

export class AccountStore {
  constructor(private readonly people: PersonAccounts) {}

  validate(input: NewAccount): void {
    if (!input || typeof input !== 'object') throw badRequest('Body must be JSON {kind, username, name, password?, practitioner?, patient?, facilities?}');
    if (!ACCOUNT_KINDS.includes(input.kind as AccountKind)) throw badRequest(`kind must be one of ${ACCOUNT_KINDS.join(', ')}`, ['kind']);
    if (typeof input.username !== 'string' || !/^[A-Za-z0-9._@-]{3,64}$/.test(input.username)) throw badRequest('username must be 3-64 letters, digits or ._@-', ['username']);
    if (typeof input.name !== 'string' || !input.name.trim()) throw badRequest('name is required', ['name']);
    if (input.password !== undefined && (typeof input.password !== 'string' || input.password.length < 10)) throw badRequest('password must have at least 10 characters', ['password']);
    if (input.kind === 'practitioner') {
      if (!/^Practitioner\/[A-Za-z0-9\-.]{1,64}$/.test(input.practitioner ?? '')) throw badRequest('a practitioner account names its Practitioner: "Practitioner/<id>"', ['practitioner']);
      if (!Array.isArray(input.facilities) || input.facilities.length === 0) throw badRequest('a practitioner works at one facility at least: facilities [{organization, role}], or active PractitionerRoles of the Practitioner', ['facilities']);
      for (const f of input.facilities) {
        if (!/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(f?.organization ?? '')) throw badRequest('facilities[].organization must be "Organization/<id>"', ['facilities']);
        if (!(f.role in FACILITY_ROLES)) throw badRequest(`facilities[].role must be one of ${Object.keys(FACILITY_ROLES).join(', ')}`, ['facilities']);
      }
    } else if (input.facilities?.length || input.practitioner) throw badRequest(`a ${input.kind} account has no facilities or Practitioner`);
    if (input.kind === 'resident' && !/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(input.patient ?? '')) throw badRequest('a resident account is bound to the regional Patient: "Patient/<id>"', ['patient']);
    if (input.kind !== 'resident' && input.patient) throw badRequest(`a ${input.kind} account is bound to no Patient`, ['patient']);
  }

  /** Creates the account; without a password one is generated and returned once. */
  async create(input: NewAccount): Promise<{ account: Account; password: string; totp?: IssuedTotp }> {
    this.validate(input);
    const password = input.password ?? randomBytes(12).toString('base64url');
    const id = randomUUID();
    const inserted = await this.people.insert({
      id,
      username: input.username,
      kind: input.kind,
      displayName: input.name.trim(),
      practitioner: input.practitioner,
      patient: input.patient,
      facilities: input.facilities ?? [],
      passwordHash: await hashSecret(password),
    });
    if (!inserted) throw conflict(`username ${input.username} is taken`);
    const account = (await this.byId(id))!;
    if (input.totp !== true) return { account, password };
    const { secret, uri } = this.newTotpSecret(account);
    // No code of this secret has been shown to anyone yet, so none is spent: the first login may use the current one.
    const recoveryCodes = await this.putTotpInForce(id, secret, null);
    return { account: (await this.byId(id))!, password, totp: { secret, uri, recoveryCodes } };
  }

  async byId(id: string): Promise<Account | undefined> {
    const person = await this.people.byId(id);
    return person ? accountOf(person) : undefined;
  }

  async byUsername(username: string): Promise<Account | undefined> {
    const person = await this.people.byUsername(username);
    return person ? accountOf(person) : undefined;
  }

  async list(): Promise<Account[]> {
    return (await this.people.list()).map(accountOf);
  }

  /** The first factor. Counts failures; a locked, suspended or offboarded account is refused whatever the password. */
  async checkPassword(username: string, password: string): Promise<CheckResult> {
    const person = await this.people.byUsername(username);
    if (!person) {
      // Hash anyway so that an unknown username takes as long as a wrong password.
      await verifySecret(password, 'scrypt$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
      return { ok: false, reason: 'unknown' };
    }
    return this.checkFactor(person, () => verifySecret(password, person.passwordHash));
  }

  /**
   * The second factor: a TOTP code (one step either side for clock drift) of a step later than the last one
   * accepted, or an unused recovery code; either is then spent. A spent code is answered as a wrong one, and
   * counts towards the lock as one.
   */
  async checkSecondFactor(id: string, code: string): Promise<CheckResult> {
    const person = await this.people.byId(id);
    if (!person) return { ok: false, reason: 'unknown' };
    return this.checkFactor(person, async () => {
      const trimmed = code.replace(/\s+/g, '');
      if (person.totpSecret && /^\d{6}$/.test(trimmed)) {
        const step = totpStepOf(person.totpSecret, person.username, trimmed);
        return step !== undefined && this.people.acceptTotpStep(person.id, step);
      }
      for (const hash of person.recoveryHashes) {
        if (await verifySecret(trimmed, hash)) return this.people.spendRecoveryHash(person.id, hash);
      }
      return false;
    });
  }

  /** Another second factor (a passkey), under the same status, lockout and failure count as the code. */
  async checkFactorOf(id: string, check: () => Promise<boolean>): Promise<CheckResult> {
    const person = await this.people.byId(id);
    if (!person) return { ok: false, reason: 'unknown' };
    return this.checkFactor(person, check);
  }

  private async checkFactor(person: PersonRecord, check: () => Promise<boolean>): Promise<CheckResult> {
    const account = accountOf(person);
    if (account.status !== 'active') return { ok: false, reason: 'inactive', account };
    if (account.lockedUntil && account.lockedUntil.getTime() > Date.now()) return { ok: false, reason: 'locked', account };
    if (await check()) {
      await this.people.clearFailures(person.id);
      return { ok: true, account };
    }
    const { locked } = await this.people.countFailure(person.id, MAX_FAILED_LOGINS, LOCKOUT_SECONDS);
    return { ok: false, reason: locked ? 'locked' : 'wrong', account };
  }

  /** Starts TOTP enrolment: a new secret (not yet in force) and its otpauth:// URI for an authenticator app. */
  newTotpSecret(account: Account): { secret: string; uri: string } {
    const secret = new OTPAuth.Secret({ size: 20 }).base32;
    return { secret, uri: totpOf(secret, account.username).toString() };
  }

  /** Puts a TOTP secret in force once the person has shown a code from it; returns ten fresh recovery codes, shown once. */
  async confirmTotp(id: string, secret: string, code: string): Promise<string[] | undefined> {
    const account = await this.byId(id);
    const step = account && totpStepOf(secret, account.username, code.replace(/\s+/g, ''));
    if (step === undefined) return undefined;
    // The code shown at enrolment is spent like one shown at a login.
    return this.putTotpInForce(id, secret, step);
  }

  private async putTotpInForce(id: string, secret: string, acceptedStep: number | null): Promise<string[]> {
    const recoveryCodes = Array.from({ length: 10 }, () => randomBytes(5).toString('hex'));
    const hashes = await Promise.all(recoveryCodes.map(hashSecret));
    await this.people.setTotp(id, secret, hashes, acceptedStep);
    return recoveryCodes;
  }

  async setStatus(id: string, status: Account['status']): Promise<Account> {
    const person = await this.people.setStatus(id, status);
    if (!person) throw (await this.byId(id)) ? conflict('an offboarded account stays offboarded') : notFound(`no account ${id}`);
    if (status === 'offboarded') await this.people.dropSecondFactors(id);
    return accountOf(person);
  }

  async unlock(id: string): Promise<Account> {
    const person = await this.people.unlock(id);
    if (!person) throw notFound(`no account ${id}`);
    return accountOf(person);
  }
}

/** The TOTP time step a moment falls in: periods of TOTP_PERIOD_SECONDS since 1970. */
export function totpStep(timestamp = Date.now()): number {
  return Math.floor(timestamp / (TOTP_PERIOD_SECONDS * 1000));
}

/** Only for tests, as a person's authenticator app: the code of an account's secret at a time step (the current one unless told). */
export function totpCode(secret: string, username: string, step = totpStep()): string {
  return totpOf(secret, username).generate({ timestamp: step * TOTP_PERIOD_SECONDS * 1000 });
}

/** The time step of a code that is right for the secret at the moment, or undefined when it is not right. */
function totpStepOf(secret: string, username: string, code: string, now = Date.now()): number | undefined {
  const delta = totpOf(secret, username).validate({ token: code, window: 1, timestamp: now });
  return delta === null ? undefined : totpStep(now) + delta;
}

function totpOf(secret: string, username: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer: TOTP_ISSUER, label: username, algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD_SECONDS, secret: OTPAuth.Secret.fromBase32(secret) });
}

function accountOf(person: PersonRecord): Account {
  const { lockedUntil } = person;
  return {
    id: person.id,
    username: person.username,
    kind: person.kind as AccountKind,
    displayName: person.displayName,
    practitioner: person.practitioner,
    patient: person.patient,
    facilities: person.facilities as FacilityAssignment[],
    status: person.status,
    hasTotp: person.totpSecret !== undefined,
    lockedUntil: lockedUntil && lockedUntil.getTime() > Date.now() ? lockedUntil : undefined,
  };
}
