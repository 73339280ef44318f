/**
 * OAuth clients: every system or person that talks to Tonet is one, with a role and (except admin and
 * researcher) a facility or a resident. Secrets are stored only as salted scrypt hashes.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Db } from '../db/database';
import { sql } from '../db/sql';
import { badRequest } from '../fhir/errors';
import { Role, ROLES } from './context';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

export interface Client {
  clientId: string;
  name: string;
  role: Role;
  organization?: string;
  patient?: string;
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

export function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

export class ClientStore {
  constructor(private readonly db: Db) {}

  /** Checks the shape of a new client; whether its organization or patient exists is the caller's concern. */
  validate(input: NewClient): void {
    if (!input || typeof input.name !== 'string' || !input.name.trim()) throw badRequest('name is required', ['name']);
    if (!ROLES.includes(input.role as Role)) throw badRequest(`role must be one of ${ROLES.join(', ')}`, ['role']);
    const role = input.role as Role;
    if (input.organization !== undefined && !/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(input.organization)) throw badRequest('organization must be "Organization/<id>"', ['organization']);
    if (input.patient !== undefined && !/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(input.patient)) throw badRequest('patient must be "Patient/<id>"', ['patient']);
    if ((role === 'gateway' || role === 'clinician' || role === 'emergency') && !input.organization) throw badRequest(`a ${role} client belongs to a facility: organization is required`, ['organization']);
    if (role === 'resident' && !input.patient) throw badRequest('a resident client is bound to a Patient: patient is required', ['patient']);
    if ((role === 'admin' || role === 'researcher') && (input.organization || input.patient)) throw badRequest(`a ${role} client belongs to no facility or patient`);
  }

  async create(input: NewClient, clientId = `tonet-${randomBytes(9).toString('base64url')}`, secret = newSecret()): Promise<{ clientId: string; clientSecret: string }> {
    this.validate(input);
    await this.db.query(sql`INSERT INTO auth_client (client_id, name, role, organization, patient, secret_hash)
      VALUES (${clientId}, ${input.name}, ${input.role}, ${input.organization ?? null}, ${input.patient ?? null}, ${await hashSecret(secret)})`);
    return { clientId, clientSecret: secret };
  }

  /** Creates or updates a client with a known id and secret (the bootstrap administrator). */
  async upsert(input: NewClient, clientId: string, secret: string): Promise<void> {
    this.validate(input);
    await this.db.query(sql`INSERT INTO auth_client (client_id, name, role, organization, patient, secret_hash)
      VALUES (${clientId}, ${input.name}, ${input.role}, ${input.organization ?? null}, ${input.patient ?? null}, ${await hashSecret(secret)})
      ON CONFLICT (client_id) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role, secret_hash = EXCLUDED.secret_hash, active = true`);
  }

  async countByRole(role: Role): Promise<number> {
    const [row] = await this.db.query<{ n: string }>(sql`SELECT count(*) AS n FROM auth_client WHERE role = ${role} AND active`);
    return Number(row.n);
  }

  /** The client, when the secret is right; undefined otherwise (the caller answers 401 without saying which part failed). */
  async authenticate(clientId: string, secret: string): Promise<Client | undefined> {
    const [row] = await this.db.query<{ client_id: string; name: string; role: Role; organization: string | null; patient: string | null; secret_hash: string }>(
      sql`SELECT client_id, name, role, organization, patient, secret_hash FROM auth_client WHERE client_id = ${clientId} AND active`
    );
    if (!row || !(await verifySecret(secret, row.secret_hash))) return undefined;
    return { clientId: row.client_id, name: row.name, role: row.role, organization: row.organization ?? undefined, patient: row.patient ?? undefined };
  }
}
