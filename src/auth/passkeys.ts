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
import type { PasskeyRecord, PersonPasskeys } from '../store/people';
import type { Account } from './accounts';

type Transport = NonNullable<PublicKeyCredentialCreationOptionsJSON['excludeCredentials']>[number]['transports'];

export class Passkeys {
  readonly rpID: string;
  readonly origin: string;

  constructor(
    private readonly passkeys: PersonPasskeys,
    baseUrl: string
  ) {
    const url = new URL(baseUrl);
    this.rpID = url.hostname;
    this.origin = url.origin;
  }

  async count(accountId: string): Promise<number> {
    return this.passkeys.count(accountId);
  }

  /** Options for the browser to create a passkey; the caller keeps the challenge until the answer comes. */
  async registrationOptions(account: Account): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.passkeys.of(account.id);
    return generateRegistrationOptions({
      rpName: 'Tonet',
      rpID: this.rpID,
      userName: account.username,
      userDisplayName: account.displayName,
      userID: new TextEncoder().encode(account.id),
      attestationType: 'none',
      excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: transportsOf(passkey) })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
  }

  /** Stores the new passkey when the browser's answer proves it was made for this challenge and origin. */
  async register(account: Account, expectedChallenge: string, response: RegistrationResponseJSON): Promise<boolean> {
    const result = await verifyRegistrationResponse({ response, expectedChallenge, expectedOrigin: this.origin, expectedRPID: this.rpID, requireUserVerification: false }).catch(() => undefined);
    if (!result?.verified) return false;
    const { credential } = result.registrationInfo;
    await this.passkeys.insert({
      credentialId: credential.id,
      accountId: account.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: credential.transports ?? [],
    });
    return true;
  }

  async authenticationOptions(accountId: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const passkeys = await this.passkeys.of(accountId);
    return generateAuthenticationOptions({ rpID: this.rpID, allowCredentials: passkeys.map((passkey) => ({ id: passkey.credentialId, transports: transportsOf(passkey) })), userVerification: 'preferred' });
  }

  /** Whether the answer was signed by one of the account's passkeys for this challenge; advances its counter. */
  async authenticate(accountId: string, expectedChallenge: string, response: AuthenticationResponseJSON): Promise<boolean> {
    const passkey = (await this.passkeys.of(accountId)).find((p) => p.credentialId === response?.id);
    if (!passkey) return false;
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: this.origin,
      expectedRPID: this.rpID,
      credential: { id: passkey.credentialId, publicKey: Buffer.from(passkey.publicKey, 'base64url'), counter: passkey.counter, transports: transportsOf(passkey) },
      requireUserVerification: false,
    }).catch(() => undefined);
    if (!result?.verified) return false;
    await this.passkeys.setCounter(passkey.credentialId, result.authenticationInfo.newCounter);
    return true;
  }
}

function transportsOf(passkey: PasskeyRecord): Transport {
  return passkey.transports as Transport;
}
