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
 * LISTENs on `tonet_client`: every write to a client NOTIFYs its id in the writing transaction, and every
 * process (this one at once, others when the commit's notification arrives, milliseconds later) forgets
 * what it knew of that client. Without a working LISTEN nothing is remembered and every request asks.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Database, Db } from '../store/db/database';
import { sql } from '../core/sql';
import { badRequest, conflict, notFound } from '../core/errors';
import { Role, ROLES } from '../core/context';

const CHANNEL = 'tonet_client';

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

/** What the office sees of a client: never its secret or hash. */
export interface ClientRecord {
  clientId: string;
  name: string;
  role: Role;
  organization?: string;
  patient?: string;
  active: boolean;
  created: Date;
  secretRotated?: Date;
  deactivated?: Date;
}

export interface NewClient {
  name: string;
  role: string;
  organization?: string;
  patient?: string;
}

interface ClientRow {
  client_id: string;
  name: string;
  role: Role;
  organization: string | null;
  patient: string | null;
  active: boolean;
  created_at: Date;
  secret_rotated_at: Date | null;
  deactivated_at: Date | null;
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

export function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

export class ClientStore {
  /** Client id → its current token generation, or null when it is inactive or unknown; kept only while listening. */
  private readonly standing = new Map<string, number | null>();
  private listening = false;
  /** Moves on at every change heard of, so an answer read before a change is not remembered after it. */
  private changes = 0;

  constructor(private readonly db: Db) {}

  /** Remembers `stands` answers from now on, forgetting a client whenever any process changes it. */
  async listenForChanges(db: Database, onError: (err: Error) => void): Promise<() => Promise<void>> {
    const unlisten = await db.listen(CHANNEL, (clientId) => this.forget(clientId), (err) => {
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
    await this.changing(clientId, (tx) =>
      tx.query(sql`INSERT INTO auth_client (client_id, name, role, organization, patient, secret_hash)
        VALUES (${clientId}, ${input.name}, ${input.role}, ${input.organization ?? null}, ${input.patient ?? null}, ${secretHash})`)
    );
    return { clientId, clientSecret: secret };
  }

  /** Creates or updates a client with a known id and secret (the bootstrap administrator). */
  async upsert(input: NewClient, clientId: string, secret: string): Promise<void> {
    this.validate(input);
    const secretHash = await hashSecret(secret);
    await this.changing(clientId, (tx) =>
      tx.query(sql`INSERT INTO auth_client (client_id, name, role, organization, patient, secret_hash)
        VALUES (${clientId}, ${input.name}, ${input.role}, ${input.organization ?? null}, ${input.patient ?? null}, ${secretHash})
        ON CONFLICT (client_id) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role, secret_hash = EXCLUDED.secret_hash, active = true, deactivated_at = NULL`)
    );
  }

  async countByRole(role: Role): Promise<number> {
    const [row] = await this.db.query<{ n: string }>(sql`SELECT count(*) AS n FROM auth_client WHERE role = ${role} AND active`);
    return Number(row.n);
  }

  /** Every client, oldest first. */
  async list(): Promise<ClientRecord[]> {
    const rows = await this.db.query<ClientRow>(sql`SELECT client_id, name, role, organization, patient, active, created_at, secret_rotated_at, deactivated_at
      FROM auth_client ORDER BY created_at, client_id`);
    return rows.map(recordOf);
  }

  /**
   * Deactivates a client: it can no longer get tokens, and the ones it holds stop working now. The last
   * active administrator is kept, or nobody could manage the network any more.
   */
  async deactivate(clientId: string): Promise<ClientRecord> {
    return this.changing(clientId, async (tx) => {
      // The client and every administrator, locked in one order, so two offices deactivating each other's
      // administrators at once cannot both succeed (nor deadlock).
      const locked = await tx.query<{ client_id: string; active: boolean; role: Role }>(
        sql`SELECT client_id, active, role FROM auth_client WHERE client_id = ${clientId} OR role = 'admin' ORDER BY client_id FOR UPDATE`
      );
      const current = locked.find((c) => c.client_id === clientId);
      if (!current) throw notFound(`no client ${clientId}`);
      if (!current.active) throw conflict(`client ${clientId} is already deactivated`);
      if (current.role === 'admin' && !locked.some((c) => c.client_id !== clientId && c.role === 'admin' && c.active)) {
        throw conflict(`client ${clientId} is the last active administrator; create another before deactivating it`);
      }
      const [row] = await tx.query<ClientRow>(sql`UPDATE auth_client SET active = false, deactivated_at = now(), token_generation = token_generation + 1
        WHERE client_id = ${clientId}
        RETURNING client_id, name, role, organization, patient, active, created_at, secret_rotated_at, deactivated_at`);
      return recordOf(row);
    });
  }

  /** A new secret for an active client, answered once; the old secret and every token issued with it stop working. */
  async rotate(clientId: string): Promise<{ client: ClientRecord; clientSecret: string }> {
    const secret = newSecret();
    const secretHash = await hashSecret(secret);
    return this.changing(clientId, async (tx) => {
      const [current] = await tx.query<{ active: boolean }>(sql`SELECT active FROM auth_client WHERE client_id = ${clientId} FOR UPDATE`);
      if (!current) throw notFound(`no client ${clientId}`);
      if (!current.active) throw conflict(`client ${clientId} is deactivated; its secret cannot be rotated`);
      const [row] = await tx.query<ClientRow>(sql`UPDATE auth_client SET secret_hash = ${secretHash}, secret_rotated_at = now(), token_generation = token_generation + 1
        WHERE client_id = ${clientId}
        RETURNING client_id, name, role, organization, patient, active, created_at, secret_rotated_at, deactivated_at`);
      return { client: recordOf(row), clientSecret: secret };
    });
  }

  /** Whether the client is active and still at this token generation (remembered while listening, else one primary-key look-up). */
  async stands(clientId: string, generation: number): Promise<boolean> {
    const known = this.listening ? this.standing.get(clientId) : undefined;
    if (known !== undefined) return known === generation;
    const changesBefore = this.changes;
    const [row] = await this.db.query<{ token_generation: number }>(sql`SELECT token_generation FROM auth_client WHERE client_id = ${clientId} AND active`);
    const current = row ? row.token_generation : null;
    if (this.listening && this.changes === changesBefore) this.standing.set(clientId, current);
    return current === generation;
  }

  /** Runs a change to one client in a transaction that tells every process of it when it commits. */
  private async changing<T>(clientId: string, change: (tx: Db) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction(async (tx) => {
        const result = await change(tx);
        await tx.query(sql`SELECT pg_notify(${CHANNEL}, ${clientId})`);
        return result;
      });
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

  /** The client, when the secret is right; undefined otherwise (the caller answers 401 without saying which part failed). */
  async authenticate(clientId: string, secret: string): Promise<Client | undefined> {
    const [row] = await this.db.query<{ client_id: string; name: string; role: Role; organization: string | null; patient: string | null; secret_hash: string; token_generation: number }>(
      sql`SELECT client_id, name, role, organization, patient, secret_hash, token_generation FROM auth_client WHERE client_id = ${clientId} AND active`
    );
    if (!row || !(await verifySecret(secret, row.secret_hash))) return undefined;
    return { clientId: row.client_id, name: row.name, role: row.role, organization: row.organization ?? undefined, patient: row.patient ?? undefined, generation: row.token_generation };
  }
}

function recordOf(row: ClientRow): ClientRecord {
  return {
    clientId: row.client_id,
    name: row.name,
    role: row.role,
    organization: row.organization ?? undefined,
    patient: row.patient ?? undefined,
    active: row.active,
    created: new Date(row.created_at),
    secretRotated: row.secret_rotated_at ? new Date(row.secret_rotated_at) : undefined,
    deactivated: row.deactivated_at ? new Date(row.deactivated_at) : undefined,
  };
}
