/**
 * People who log in: practitioners (a Practitioner working at one or more facilities, each with a job role),
 * residents (bound to their regional Patient) and network-office staff. Passwords and recovery codes are kept
 * only as salted scrypt hashes; a TOTP secret is kept to check codes. Five wrong passwords or codes in a row
 * lock the account for a quarter of an hour (an office user can unlock it sooner).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import type { Db } from '../store/db/database';
import { sql } from '../core/sql';
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

interface AccountRow {
  id: string;
  username: string;
  kind: AccountKind;
  display_name: string;
  practitioner: string | null;
  patient: string | null;
  facilities: FacilityAssignment[] | string;
  password_hash: string;
  totp_secret: string | null;
  recovery_hashes: string[] | string;
  status: Account['status'];
  failed_logins: number;
  locked_until: Date | string | null;
}

export type CheckResult = { ok: true; account: Account } | { ok: false; reason: 'unknown' | 'locked' | 'inactive' | 'wrong'; account?: Account };

export class AccountStore {
  constructor(private readonly db: Db) {}

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
    const [taken] = await this.db.query(sql`SELECT 1 FROM person_account WHERE username = ${input.username}`);
    if (taken) throw conflict(`username ${input.username} is taken`);
    await this.db.query(sql`INSERT INTO person_account (id, username, kind, display_name, practitioner, patient, facilities, password_hash)
      VALUES (${id}, ${input.username}, ${input.kind}, ${input.name.trim()}, ${input.practitioner ?? null}, ${input.patient ?? null}, ${JSON.stringify(input.facilities ?? [])}::jsonb, ${await hashSecret(password)})`);
    const account = (await this.byId(id))!;
    if (input.totp !== true) return { account, password };
    const { secret, uri } = this.newTotpSecret(account);
    const recoveryCodes = (await this.confirmTotp(id, secret, currentTotpCode(secret, account.username)))!;
    return { account: (await this.byId(id))!, password, totp: { secret, uri, recoveryCodes } };
  }

  async byId(id: string): Promise<Account | undefined> {
    const [row] = await this.db.query<AccountRow>(sql`SELECT * FROM person_account WHERE id = ${id}`);
    return row ? accountOf(row) : undefined;
  }

  async byUsername(username: string): Promise<Account | undefined> {
    const [row] = await this.db.query<AccountRow>(sql`SELECT * FROM person_account WHERE username = ${username}`);
    return row ? accountOf(row) : undefined;
  }

  async list(): Promise<Account[]> {
    return (await this.db.query<AccountRow>(sql`SELECT * FROM person_account ORDER BY username`)).map(accountOf);
  }

  /** The first factor. Counts failures; a locked, suspended or offboarded account is refused whatever the password. */
  async checkPassword(username: string, password: string): Promise<CheckResult> {
    const [row] = await this.db.query<AccountRow>(sql`SELECT * FROM person_account WHERE username = ${username}`);
    if (!row) {
      // Hash anyway so that an unknown username takes as long as a wrong password.
      await verifySecret(password, 'scrypt$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
      return { ok: false, reason: 'unknown' };
    }
    return this.checkFactor(row, () => verifySecret(password, row.password_hash));
  }

  /** The second factor: a TOTP code (one step either side for clock drift) or an unused recovery code, which is then spent. */
  async checkSecondFactor(id: string, code: string): Promise<CheckResult> {
    const [row] = await this.db.query<AccountRow>(sql`SELECT * FROM person_account WHERE id = ${id}`);
    if (!row) return { ok: false, reason: 'unknown' };
    return this.checkFactor(row, async () => {
      const trimmed = code.replace(/\s+/g, '');
      if (row.totp_secret && /^\d{6}$/.test(trimmed)) return totpOf(row.totp_secret, row.username).validate({ token: trimmed, window: 1 }) !== null;
      const recoveryHashes = jsonOf(row.recovery_hashes);
      for (const [index, hash] of recoveryHashes.entries()) {
        if (await verifySecret(trimmed, hash)) {
          const rest = recoveryHashes.filter((_, i) => i !== index);
          await this.db.query(sql`UPDATE person_account SET recovery_hashes = ${JSON.stringify(rest)}::jsonb WHERE id = ${row.id}`);
          return true;
        }
      }
      return false;
    });
  }

  /** Another second factor (a passkey), under the same status, lockout and failure count as the code. */
  async checkFactorOf(id: string, check: () => Promise<boolean>): Promise<CheckResult> {
    const [row] = await this.db.query<AccountRow>(sql`SELECT * FROM person_account WHERE id = ${id}`);
    if (!row) return { ok: false, reason: 'unknown' };
    return this.checkFactor(row, check);
  }

  private async checkFactor(row: AccountRow, check: () => Promise<boolean>): Promise<CheckResult> {
    const account = accountOf(row);
    if (account.status !== 'active') return { ok: false, reason: 'inactive', account };
    if (account.lockedUntil && account.lockedUntil.getTime() > Date.now()) return { ok: false, reason: 'locked', account };
    if (await check()) {
      await this.db.query(sql`UPDATE person_account SET failed_logins = 0, locked_until = NULL WHERE id = ${row.id}`);
      return { ok: true, account };
    }
    const [updated] = await this.db.query<{ failed_logins: number; locked_until: Date | string | null }>(sql`UPDATE person_account
      SET failed_logins = failed_logins + 1,
          locked_until = CASE WHEN failed_logins + 1 >= ${MAX_FAILED_LOGINS} THEN now() + make_interval(secs => ${LOCKOUT_SECONDS}) ELSE locked_until END
      WHERE id = ${row.id} RETURNING failed_logins, locked_until`);
    return { ok: false, reason: updated.locked_until ? 'locked' : 'wrong', account };
  }

  /** Starts TOTP enrolment: a new secret (not yet in force) and its otpauth:// URI for an authenticator app. */
  newTotpSecret(account: Account): { secret: string; uri: string } {
    const secret = new OTPAuth.Secret({ size: 20 }).base32;
    return { secret, uri: totpOf(secret, account.username).toString() };
  }

  /** Puts a TOTP secret in force once the person has shown a code from it; returns ten fresh recovery codes, shown once. */
  async confirmTotp(id: string, secret: string, code: string): Promise<string[] | undefined> {
    const account = await this.byId(id);
    if (!account || totpOf(secret, account.username).validate({ token: code.replace(/\s+/g, ''), window: 1 }) === null) return undefined;
    const recoveryCodes = Array.from({ length: 10 }, () => randomBytes(5).toString('hex'));
    const hashes = await Promise.all(recoveryCodes.map(hashSecret));
    await this.db.query(sql`UPDATE person_account SET totp_secret = ${secret}, recovery_hashes = ${JSON.stringify(hashes)}::jsonb, changed_at = now() WHERE id = ${id}`);
    return recoveryCodes;
  }

  async setStatus(id: string, status: Account['status']): Promise<Account> {
    const [row] = await this.db.query<AccountRow>(sql`UPDATE person_account SET status = ${status}, changed_at = now() WHERE id = ${id} AND status <> 'offboarded' RETURNING *`);
    if (!row) throw (await this.byId(id)) ? conflict('an offboarded account stays offboarded') : notFound(`no account ${id}`);
    if (status === 'offboarded') {
      await this.db.query(sql`DELETE FROM person_passkey WHERE account_id = ${id}`);
      await this.db.query(sql`UPDATE person_account SET totp_secret = NULL, recovery_hashes = '[]'::jsonb WHERE id = ${id}`);
    }
    return accountOf(row);
  }

  async unlock(id: string): Promise<Account> {
    const [row] = await this.db.query<AccountRow>(sql`UPDATE person_account SET failed_logins = 0, locked_until = NULL, changed_at = now() WHERE id = ${id} RETURNING *`);
    if (!row) throw notFound(`no account ${id}`);
    return accountOf(row);
  }
}

/** Only for the demo region and tests: the current code of an account's authenticator. */
export function currentTotpCode(secret: string, username: string): string {
  return totpOf(secret, username).generate();
}

function totpOf(secret: string, username: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer: TOTP_ISSUER, label: username, algorithm: 'SHA1', digits: 6, period: 30, secret: OTPAuth.Secret.fromBase32(secret) });
}

function accountOf(row: AccountRow): Account {
  const lockedUntil = row.locked_until ? new Date(row.locked_until) : undefined;
  return {
    id: row.id,
    username: row.username,
    kind: row.kind,
    displayName: row.display_name,
    practitioner: row.practitioner ?? undefined,
    patient: row.patient ?? undefined,
    facilities: jsonOf(row.facilities),
    status: row.status,
    hasTotp: row.totp_secret !== null,
    lockedUntil: lockedUntil && lockedUntil.getTime() > Date.now() ? lockedUntil : undefined,
  };
}

/** A jsonb column as the drivers hand it over (parsed by pg, a string from some PGlite paths). */
function jsonOf<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}
