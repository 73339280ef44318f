/**
 * WebAuthn passkeys (@simplewebauthn/server) as a person's second factor: registered once the person has
 * shown both factors at a login, then used instead of the authenticator app's code. Tonet keeps each
 * credential's public key and signature counter (a counter that goes backwards means a cloned
 * authenticator: refused). The relying party is Tonet's public origin (TONET_BASE_URL): passkeys need HTTPS
 * and a domain name there (or `localhost`), never a bare IP address.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Db } from '../store/db/database';
import { sql } from '../core/sql';
import type { Account } from './accounts';

interface PasskeyRow {
  credential_id: string;
  account_id: string;
  public_key: string;
  counter: string | number;
  transports: string[] | string;
}

type Transport = NonNullable<PublicKeyCredentialCreationOptionsJSON['excludeCredentials']>[number]['transports'];

export class Passkeys {
  readonly rpID: string;
  readonly origin: string;

  constructor(
    private readonly db: Db,
    baseUrl: string
  ) {
    const url = new URL(baseUrl);
    this.rpID = url.hostname;
    this.origin = url.origin;
  }

  async count(accountId: string): Promise<number> {
    const [row] = await this.db.query<{ n: string }>(sql`SELECT count(*) AS n FROM person_passkey WHERE account_id = ${accountId}`);
    return Number(row.n);
  }

  /** Options for the browser to create a passkey; the caller keeps the challenge until the answer comes. */
  async registrationOptions(account: Account): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.rows(account.id);
    return generateRegistrationOptions({
      rpName: 'Tonet',
      rpID: this.rpID,
      userName: account.username,
      userDisplayName: account.displayName,
      userID: new TextEncoder().encode(account.id),
      attestationType: 'none',
      excludeCredentials: existing.map((row) => ({ id: row.credential_id, transports: transportsOf(row) })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
  }

  /** Stores the new passkey when the browser's answer proves it was made for this challenge and origin. */
  async register(account: Account, expectedChallenge: string, response: RegistrationResponseJSON): Promise<boolean> {
    const result = await verifyRegistrationResponse({ response, expectedChallenge, expectedOrigin: this.origin, expectedRPID: this.rpID, requireUserVerification: false }).catch(() => undefined);
    if (!result?.verified) return false;
    const { credential } = result.registrationInfo;
    await this.db.query(sql`INSERT INTO person_passkey (credential_id, account_id, public_key, counter, transports)
      VALUES (${credential.id}, ${account.id}, ${Buffer.from(credential.publicKey).toString('base64url')}, ${credential.counter}, ${JSON.stringify(credential.transports ?? [])}::jsonb)`);
    return true;
  }

  async authenticationOptions(accountId: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const rows = await this.rows(accountId);
    return generateAuthenticationOptions({ rpID: this.rpID, allowCredentials: rows.map((row) => ({ id: row.credential_id, transports: transportsOf(row) })), userVerification: 'preferred' });
  }

  /** Whether the answer was signed by one of the account's passkeys for this challenge; advances its counter. */
  async authenticate(accountId: string, expectedChallenge: string, response: AuthenticationResponseJSON): Promise<boolean> {
    const row = (await this.rows(accountId)).find((r) => r.credential_id === response?.id);
    if (!row) return false;
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: this.origin,
      expectedRPID: this.rpID,
      credential: { id: row.credential_id, publicKey: Buffer.from(row.public_key, 'base64url'), counter: Number(row.counter), transports: transportsOf(row) },
      requireUserVerification: false,
    }).catch(() => undefined);
    if (!result?.verified) return false;
    await this.db.query(sql`UPDATE person_passkey SET counter = ${result.authenticationInfo.newCounter} WHERE credential_id = ${row.credential_id}`);
    return true;
  }

  private rows(accountId: string): Promise<PasskeyRow[]> {
    return this.db.query<PasskeyRow>(sql`SELECT * FROM person_passkey WHERE account_id = ${accountId} ORDER BY created_at`);
  }
}

function transportsOf(row: PasskeyRow): Transport {
  return (typeof row.transports === 'string' ? JSON.parse(row.transports) : row.transports) as Transport;
}
