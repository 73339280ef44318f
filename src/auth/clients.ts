/**
 * OAuth clients: every system or person that talks to Tonet is one, with a role and (except admin and
 * researcher) a facility or a resident. Secrets are stored only as salted scrypt hashes.
 *
 * A client's tokens carry its token generation. Deactivating the client or rotating its secret moves the
 * generation on, so tokens issued before stop working at once, not when they expire (tokens.ts asks
 * `stands` on every request). A rotation ends the old tokens too: a secret is rotated because it may have
 * leaked, and a token obtained with a leaked secret is as leaked as the secret.
 *
 * That check would cost a database round trip per request, so each process remembers the answers while it
 * listens for client changes: every write to a client NOTIFYs its id in the writing transaction, and every
 * process (this one at once, others when the commit's notification arrives, milliseconds later) forgets
 * what it knew of that client. Without a working LISTEN nothing is remembered and every request asks.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { AuthClients, ClientRecord } from '../store/clients';
import type { GuessAttempts } from '../store/guess-attempts';
import { badRequest, conflict, notFound } from '../core/errors';
import { Role, ROLES } from '../core/context';

export type { ClientRecord } from '../store/clients';

/**
 * Wrong secrets a client id may be tried with from one address in the window before that address is told
 * to wait. Per address, so that someone guessing elsewhere cannot lock a hospital's gateway out; per client,
 * so that a guesser cannot spread attempts over many clients from one address without each counting.
 */
export const MAX_FAILED_SECRETS = 10;
export const SECRET_GUESS_WINDOW = '15 minutes';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

export interface Client {
  clientId: string;
  name: string;
  role: Role;
  organization?: string;
  patient?: string;
  /** Moves on at every deactivation and rotation; a token of an older generation is refused. */
  generation: number;
}

export interface NewClient {
  name: string;
  role: string;
  organization?: string;
  patient?: string;
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(secret, salt, 32);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(secret, Buffer.from(salt, 'base64'), expected.length);
  return timingSafeEqual(actual, expected);
}

/**
 * 32 base64url characters, never starting with "-": a secret that did (one in 64) was read as an option by
 * every command line that takes `--client-secret <secret>`, the README's own among them.
 */
export function newSecret(): string {
  for (;;) {
    const secret = randomBytes(24).toString('base64url');
    if (!secret.startsWith('-')) return secret;
  }
}

export class ClientStore {
  /** Client id → its current token generation, or null when it is inactive or unknown; kept only while listening. */
  private readonly standing = new Map<string, number | null>();
  private listening = false;
  /** Moves on at every change heard of, so an answer read before a change is not remembered after it. */
  private changes = 0;

  constructor(
    private readonly clients: AuthClients,
    private readonly secretGuesses: GuessAttempts
  ) {}

  /** Remembers `stands` answers from now on, forgetting a client whenever any process changes it. */
  async listenForChanges(onError: (err: Error) => void): Promise<() => Promise<void>> {
    const unlisten = await this.clients.listen((clientId) => this.forget(clientId), (err) => {
      this.stopRemembering();
      onError(err);
    });
    this.listening = true;
    return async () => {
      this.stopRemembering();
      await unlisten();
    };
  }

  /** Checks the shape of a new client; whether its organization or patient exists is the caller's concern. */
  validate(input: NewClient): void {
    if (!input || typeof input.name !== 'string' || !input.name.trim()) throw badRequest('name is required', ['name']);
    if (!ROLES.includes(input.role as Role)) throw badRequest(`role must be one of ${ROLES.join(', ')}`, ['role']);
    const role = input.role as Role;
    if (input.organization !== undefined && !/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(input.organization)) throw badRequest('organization must be "Organization/<id>"', ['organization']);
    if (input.patient !== undefined && !/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(input.patient)) throw badRequest('patient must be "Patient/<id>"', ['patient']);
    if ((role === 'gateway' || role === 'clinician' || role === 'clerk' || role === 'emergency') && !input.organization) throw badRequest(`a ${role} client belongs to a facility: organization is required`, ['organization']);
    if (role === 'resident' && !input.patient) throw badRequest('a resident client is bound to a Patient: patient is required', ['patient']);
    if ((role === 'admin' || role === 'researcher') && (input.organization || input.patient)) throw badRequest(`a ${role} client belongs to no facility or patient`);
  }

  async create(input: NewClient, clientId = `tonet-${randomBytes(9).toString('base64url')}`, secret = newSecret()): Promise<{ clientId: string; clientSecret: string }> {
    this.validate(input);
    const secretHash = await hashSecret(secret);
    await this.changing(clientId, () => this.clients.insert({ clientId, name: input.name, role: input.role as Role, organization: input.organization, patient: input.patient, secretHash }));
    return { clientId, clientSecret: secret };
  }

  /** Creates or updates a client with a known id and secret (the bootstrap administrator). */
  async upsert(input: NewClient, clientId: string, secret: string): Promise<void> {
    this.validate(input);
    const secretHash = await hashSecret(secret);
    await this.changing(clientId, () => this.clients.upsert({ clientId, name: input.name, role: input.role as Role, organization: input.organization, patient: input.patient, secretHash }));
  }

  async countByRole(role: Role): Promise<number> {
    return this.clients.countActive(role);
  }

  /** Every client, oldest first. */
  async list(): Promise<ClientRecord[]> {
    return this.clients.list();
  }

  /**
   * Deactivates a client: it can no longer get tokens, and the ones it holds stop working now. The last
   * active administrator is kept, or nobody could manage the network any more.
   */
  async deactivate(clientId: string): Promise<ClientRecord> {
    const changed = await this.changing(clientId, () => this.clients.deactivate(clientId));
    if (changed.outcome === 'deactivated') return changed.client;
    if (changed.outcome === 'unknown') throw notFound(`no client ${clientId}`);
    if (changed.outcome === 'inactive') throw conflict(`client ${clientId} is already deactivated`);
    throw conflict(`client ${clientId} is the last active administrator; create another before deactivating it`);
  }

  /** A new secret for an active client, answered once; the old secret and every token issued with it stop working. */
  async rotate(clientId: string): Promise<{ client: ClientRecord; clientSecret: string }> {
    const secret = newSecret();
    const secretHash = await hashSecret(secret);
    const changed = await this.changing(clientId, () => this.clients.rotate(clientId, secretHash));
    if (changed.outcome === 'rotated') return { client: changed.client, clientSecret: secret };
    if (changed.outcome === 'unknown') throw notFound(`no client ${clientId}`);
    throw conflict(`client ${clientId} is deactivated; its secret cannot be rotated`);
  }

  /** Whether the client is active and still at this token generation (remembered while listening, else one primary-key look-up). */
  async stands(clientId: string, generation: number): Promise<boolean> {
    const known = this.listening ? this.standing.get(clientId) : undefined;
    if (known !== undefined) return known === generation;
    const changesBefore = this.changes;
    const current = await this.clients.activeGeneration(clientId);
    if (this.listening && this.changes === changesBefore) this.standing.set(clientId, current);
    return current === generation;
  }

  /** Runs a change to one client (the store tells every process of it when it commits). */
  private async changing<T>(clientId: string, change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } finally {
      // This process forgets at once, without waiting for its own notification.
      this.forget(clientId);
    }
  }

  private forget(clientId: string | undefined): void {
    this.changes++;
    if (clientId === undefined) this.standing.clear();
    else this.standing.delete(clientId);
  }

  private stopRemembering(): void {
    this.listening = false;
    this.changes++;
    this.standing.clear();
  }

  /**
   * The client, when the secret is right; 'wrong' otherwise (the caller answers 401 without saying which
   * part failed); 'throttled' when this client id has been guessed at from this address too often lately,
   * right secret or not — the secret is not even checked, so a guesser learns nothing by going on.
   */
  async authenticate(clientId: string, secret: string, fromAddress: string): Promise<Client | 'wrong' | 'throttled'> {
    const guessKey = `${clientId} from ${fromAddress}`;
    const attempt = await this.secretGuesses.claim(guessKey, MAX_FAILED_SECRETS, SECRET_GUESS_WINDOW);
    if (attempt === undefined) return 'throttled';
    const stored = await this.clients.activeCredentials(clientId);
    if (!stored || !(await verifySecret(secret, stored.secretHash))) return 'wrong';
    await this.secretGuesses.succeeded(guessKey, attempt);
    const { secretHash: _checked, ...client } = stored;
    return client;
  }
}
