/**
 * The people who log in, as stored: person_account (identity, facilities, password and recovery-code
 * hashes, TOTP secret and the time step of its last accepted code, status and lockout count) and
 * person_passkey (each WebAuthn credential's public key and signature counter). What the fields mean — kinds, facility roles, when an account locks — is auth's
 * (src/auth/accounts.ts, passkeys.ts); this module only keeps and finds them.
 */
import type { Db } from './db/database';
import { sql } from '../core/sql';
import { jsonColumn } from './json-column';

export interface PersonRecord {
  id: string;
  username: string;
  /** practitioner, resident or office (auth/accounts.ts ACCOUNT_KINDS) */
  kind: string;
  displayName: string;
  /** "Practitioner/<id>" */
  practitioner?: string;
  /** "Patient/<id>" of a resident */
  patient?: string;
  facilities: Array<{ organization: string; role: string }>;
  passwordHash: string;
  totpSecret?: string;
  recoveryHashes: string[];
  status: 'active' | 'suspended' | 'offboarded';
  failedLogins: number;
  /** Set once the account locked; may lie in the past (the lock has run out). */
  lockedUntil?: Date;
}

export type NewPersonRecord = Pick<PersonRecord, 'id' | 'username' | 'kind' | 'displayName' | 'practitioner' | 'patient' | 'facilities' | 'passwordHash'>;

interface AccountRow {
  id: string;
  username: string;
  kind: string;
  display_name: string;
  practitioner: string | null;
  patient: string | null;
  facilities: PersonRecord['facilities'] | string;
  password_hash: string;
  totp_secret: string | null;
  recovery_hashes: string[] | string;
  status: PersonRecord['status'];
  failed_logins: number;
  locked_until: Date | string | null;
}

export class PersonAccounts {
  constructor(private readonly db: Db) {}

  /** Adds the account; false (and nothing written) when the username is taken. */
  async insert(person: NewPersonRecord): Promise<boolean> {
    const inserted = await this.db.query(sql`INSERT INTO person_account (id, username, kind, display_name, practitioner, patient, facilities, password_hash)
      VALUES (${person.id}, ${person.username}, ${person.kind}, ${person.displayName}, ${person.practitioner ?? null}, ${person.patient ?? null}, ${JSON.stringify(person.facilities)}::jsonb, ${person.passwordHash})
      ON CONFLICT (username) DO NOTHING RETURNING id`);
    return inserted.length > 0;
  }

  async byId(id: string): Promise<PersonRecord | undefined> {
    const [row] = await this.db.query<AccountRow>(sql`SELECT * FROM person_account WHERE id = ${id}`);
    return row ? personOf(row) : undefined;
  }

  async byUsername(username: string): Promise<PersonRecord | undefined> {
    const [row] = await this.db.query<AccountRow>(sql`SELECT * FROM person_account WHERE username = ${username}`);
    return row ? personOf(row) : undefined;
  }

  async list(): Promise<PersonRecord[]> {
    return (await this.db.query<AccountRow>(sql`SELECT * FROM person_account ORDER BY username`)).map(personOf);
  }

  /** A factor was shown: the failure count starts again and any lock ends. */
  async clearFailures(id: string): Promise<void> {
    await this.db.query(sql`UPDATE person_account SET failed_logins = 0, locked_until = NULL WHERE id = ${id}`);
  }

  /** Counts a failed factor in one statement (so parallel guesses all count); locks for lockSeconds once the count reaches maxFailures. Answers whether it is now locked. */
  async countFailure(id: string, maxFailures: number, lockSeconds: number): Promise<{ locked: boolean }> {
    const [updated] = await this.db.query<{ locked_until: Date | string | null }>(sql`UPDATE person_account
      SET failed_logins = failed_logins + 1,
          locked_until = CASE WHEN failed_logins + 1 >= ${maxFailures} THEN now() + make_interval(secs => ${lockSeconds}) ELSE locked_until END
      WHERE id = ${id} RETURNING locked_until`);
    return { locked: Boolean(updated?.locked_until) };
  }

  /**
   * Spends a TOTP code's time step: true when it is later than the last one accepted, which it then becomes.
   * Checked and written in one statement, so of two logins racing with one code exactly one is answered true.
   */
  async acceptTotpStep(id: string, step: number): Promise<boolean> {
    const accepted = await this.db.query(sql`UPDATE person_account SET totp_last_step = ${step}
      WHERE id = ${id} AND (totp_last_step IS NULL OR totp_last_step < ${step}) RETURNING id`);
    return accepted.length > 0;
  }

  /** Spends a recovery code (by its hash): true only for the one caller that took it out of the account's list. */
  async spendRecoveryHash(id: string, hash: string): Promise<boolean> {
    const spent = await this.db.query(sql`UPDATE person_account SET recovery_hashes = recovery_hashes - ${hash}::text
      WHERE id = ${id} AND recovery_hashes @> jsonb_build_array(${hash}::text) RETURNING id`);
    return spent.length > 0;
  }

  /** Puts a TOTP secret in force with fresh recovery codes; acceptedStep is the step of a code already shown for it, if any. */
  async setTotp(id: string, secret: string, recoveryHashes: string[], acceptedStep: number | null): Promise<void> {
    await this.db.query(sql`UPDATE person_account SET totp_secret = ${secret}, totp_last_step = ${acceptedStep}, recovery_hashes = ${JSON.stringify(recoveryHashes)}::jsonb, changed_at = now() WHERE id = ${id}`);
  }

  /** Sets the status unless the account is offboarded already (that is final); undefined when it is, or there is no such account. */
  async setStatus(id: string, status: PersonRecord['status']): Promise<PersonRecord | undefined> {
    const [row] = await this.db.query<AccountRow>(sql`UPDATE person_account SET status = ${status}, changed_at = now() WHERE id = ${id} AND status <> 'offboarded' RETURNING *`);
    return row ? personOf(row) : undefined;
  }

  /** Forgets every second factor of the account: its passkeys, TOTP secret and recovery codes. */
  async dropSecondFactors(id: string): Promise<void> {
    await this.db.query(sql`DELETE FROM person_passkey WHERE account_id = ${id}`);
    await this.db.query(sql`UPDATE person_account SET totp_secret = NULL, totp_last_step = NULL, recovery_hashes = '[]'::jsonb WHERE id = ${id}`);
  }

  async unlock(id: string): Promise<PersonRecord | undefined> {
    const [row] = await this.db.query<AccountRow>(sql`UPDATE person_account SET failed_logins = 0, locked_until = NULL, changed_at = now() WHERE id = ${id} RETURNING *`);
    return row ? personOf(row) : undefined;
  }
}

export interface PasskeyRecord {
  credentialId: string;
  accountId: string;
  /** COSE public key, base64url */
  publicKey: string;
  counter: number;
  transports: string[];
}

interface PasskeyRow {
  credential_id: string;
  account_id: string;
  public_key: string;
  counter: string | number;
  transports: string[] | string;
}

export class PersonPasskeys {
  constructor(private readonly db: Db) {}

  async count(accountId: string): Promise<number> {
    const [row] = await this.db.query<{ n: string }>(sql`SELECT count(*) AS n FROM person_passkey WHERE account_id = ${accountId}`);
    return Number(row.n);
  }

  /** The account's passkeys, oldest first. */
  async of(accountId: string): Promise<PasskeyRecord[]> {
    const rows = await this.db.query<PasskeyRow>(sql`SELECT * FROM person_passkey WHERE account_id = ${accountId} ORDER BY created_at`);
    return rows.map((row) => ({ credentialId: row.credential_id, accountId: row.account_id, publicKey: row.public_key, counter: Number(row.counter), transports: jsonColumn(row.transports) }));
  }

  async insert(passkey: PasskeyRecord): Promise<void> {
    await this.db.query(sql`INSERT INTO person_passkey (credential_id, account_id, public_key, counter, transports)
      VALUES (${passkey.credentialId}, ${passkey.accountId}, ${passkey.publicKey}, ${passkey.counter}, ${JSON.stringify(passkey.transports)}::jsonb)`);
  }

  async setCounter(credentialId: string, counter: number): Promise<void> {
    await this.db.query(sql`UPDATE person_passkey SET counter = ${counter} WHERE credential_id = ${credentialId}`);
  }
}

function personOf(row: AccountRow): PersonRecord {
  return {
    id: row.id,
    username: row.username,
    kind: row.kind,
    displayName: row.display_name,
    practitioner: row.practitioner ?? undefined,
    patient: row.patient ?? undefined,
    facilities: jsonColumn(row.facilities),
    passwordHash: row.password_hash,
    totpSecret: row.totp_secret ?? undefined,
    recoveryHashes: jsonColumn(row.recovery_hashes),
    status: row.status,
    failedLogins: row.failed_logins,
    lockedUntil: row.locked_until ? new Date(row.locked_until) : undefined,
  };
}
