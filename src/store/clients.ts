/**
 * The auth_client table: every OAuth client with its role, facility or resident, secret hash and token
 * generation. Every change NOTIFYs the client's id on `tonet_client` in its own transaction, so each
 * process can forget what it remembered of that client when the change commits (auth/clients.ts keeps
 * that memory and the rules; this module keeps the rows).
 */
import type { Database, Db } from './db/database';
import { sql } from '../core/sql';
import type { Role } from '../core/context';

const CHANNEL = 'tonet_client';

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

/** An active client as a token is issued to it: who it is, its secret hash, its current token generation. */
export interface ClientCredentials {
  clientId: string;
  name: string;
  role: Role;
  organization?: string;
  patient?: string;
  secretHash: string;
  generation: number;
}

export type NewClientRecord = Pick<ClientCredentials, 'clientId' | 'name' | 'role' | 'organization' | 'patient' | 'secretHash'>;

export type DeactivateOutcome = { outcome: 'deactivated'; client: ClientRecord } | { outcome: 'unknown' | 'inactive' | 'last-admin' };
export type RotateOutcome = { outcome: 'rotated'; client: ClientRecord } | { outcome: 'unknown' | 'inactive' };

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

export class AuthClients {
  constructor(private readonly db: Database) {}

  /** Calls onChange with the id of every client any process changes, from now until the returned stop. */
  listen(onChange: (clientId: string | undefined) => void, onError: (err: Error) => void): Promise<() => Promise<void>> {
    return this.db.listen(CHANNEL, onChange, onError);
  }

  async insert(client: NewClientRecord): Promise<void> {
    await this.changing(client.clientId, (tx) =>
      tx.query(sql`INSERT INTO auth_client (client_id, name, role, organization, patient, secret_hash)
        VALUES (${client.clientId}, ${client.name}, ${client.role}, ${client.organization ?? null}, ${client.patient ?? null}, ${client.secretHash})`)
    );
  }

  /** Inserts the client, or replaces the name, role and secret of the one with its id and makes it active again. */
  async upsert(client: NewClientRecord): Promise<void> {
    await this.changing(client.clientId, (tx) =>
      tx.query(sql`INSERT INTO auth_client (client_id, name, role, organization, patient, secret_hash)
        VALUES (${client.clientId}, ${client.name}, ${client.role}, ${client.organization ?? null}, ${client.patient ?? null}, ${client.secretHash})
        ON CONFLICT (client_id) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role, secret_hash = EXCLUDED.secret_hash, active = true, deactivated_at = NULL`)
    );
  }

  async countActive(role: Role): Promise<number> {
    const [row] = await this.db.query<{ n: string }>(sql`SELECT count(*) AS n FROM auth_client WHERE role = ${role} AND active`);
    return Number(row.n);
  }

  /** Every client, oldest first. */
  async list(): Promise<ClientRecord[]> {
    const rows = await this.db.query<ClientRow>(sql`SELECT client_id, name, role, organization, patient, active, created_at, secret_rotated_at, deactivated_at
      FROM auth_client ORDER BY created_at, client_id`);
    return rows.map(recordOf);
  }

  /** Deactivates the client and moves its token generation on, unless it is unknown, inactive already, or the last active administrator. */
  async deactivate(clientId: string): Promise<DeactivateOutcome> {
    return this.changing(clientId, async (tx): Promise<DeactivateOutcome> => {
      // The client and every administrator, locked in one order, so two offices deactivating each other's
      // administrators at once cannot both succeed (nor deadlock).
      const locked = await tx.query<{ client_id: string; active: boolean; role: Role }>(
        sql`SELECT client_id, active, role FROM auth_client WHERE client_id = ${clientId} OR role = 'admin' ORDER BY client_id FOR UPDATE`
      );
      const current = locked.find((c) => c.client_id === clientId);
      if (!current) return { outcome: 'unknown' };
      if (!current.active) return { outcome: 'inactive' };
      if (current.role === 'admin' && !locked.some((c) => c.client_id !== clientId && c.role === 'admin' && c.active)) return { outcome: 'last-admin' };
      const [row] = await tx.query<ClientRow>(sql`UPDATE auth_client SET active = false, deactivated_at = now(), token_generation = token_generation + 1
        WHERE client_id = ${clientId}
        RETURNING client_id, name, role, organization, patient, active, created_at, secret_rotated_at, deactivated_at`);
      return { outcome: 'deactivated', client: recordOf(row) };
    });
  }

  /** Replaces an active client's secret hash and moves its token generation on. */
  async rotate(clientId: string, secretHash: string): Promise<RotateOutcome> {
    return this.changing(clientId, async (tx): Promise<RotateOutcome> => {
      const [current] = await tx.query<{ active: boolean }>(sql`SELECT active FROM auth_client WHERE client_id = ${clientId} FOR UPDATE`);
      if (!current) return { outcome: 'unknown' };
      if (!current.active) return { outcome: 'inactive' };
      const [row] = await tx.query<ClientRow>(sql`UPDATE auth_client SET secret_hash = ${secretHash}, secret_rotated_at = now(), token_generation = token_generation + 1
        WHERE client_id = ${clientId}
        RETURNING client_id, name, role, organization, patient, active, created_at, secret_rotated_at, deactivated_at`);
      return { outcome: 'rotated', client: recordOf(row) };
    });
  }

  /** The token generation of an active client; null when it is inactive or unknown. */
  async activeGeneration(clientId: string): Promise<number | null> {
    const [row] = await this.db.query<{ token_generation: number }>(sql`SELECT token_generation FROM auth_client WHERE client_id = ${clientId} AND active`);
    return row ? row.token_generation : null;
  }

  async activeCredentials(clientId: string): Promise<ClientCredentials | undefined> {
    const [row] = await this.db.query<{ client_id: string; name: string; role: Role; organization: string | null; patient: string | null; secret_hash: string; token_generation: number }>(
      sql`SELECT client_id, name, role, organization, patient, secret_hash, token_generation FROM auth_client WHERE client_id = ${clientId} AND active`
    );
    if (!row) return undefined;
    return { clientId: row.client_id, name: row.name, role: row.role, organization: row.organization ?? undefined, patient: row.patient ?? undefined, secretHash: row.secret_hash, generation: row.token_generation };
  }

  /** Runs a change to one client in a transaction that tells every process of it when it commits. */
  private changing<T>(clientId: string, change: (tx: Db) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      const result = await change(tx);
      await tx.query(sql`SELECT pg_notify(${CHANNEL}, ${clientId})`);
      return result;
    });
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
