/**
 * oidc-provider's storage (its Adapter interface) on Tonet's database: one row per session, interaction,
 * grant, code and token, so several server processes share them and a revoked token is gone for all at once.
 * Expired rows are treated as absent and removed when the same model is written again.
 */
import type { Db } from './db/database';
import { sql } from '../core/sql';
import { jsonColumn } from './json-column';

export interface OidcPayload {
  grantId?: string;
  uid?: string;
  userCode?: string;
  consumed?: number;
  [key: string]: unknown;
}

/** The oidc_payload table: the provider's Adapter class per model, and the removals that span models. */
export class OidcPayloads {
  constructor(private readonly db: Db) {}

  /** The class oidc-provider constructs once per model ("Session", "Grant", "Client", …). */
  adapter(): new (model: string) => OidcModelStore {
    return databaseAdapter(this.db);
  }

  /**
   * Removes a registered app or backend service: its registration and every grant (with its codes and
   * tokens) made for it, so its tokens stop working at once. Returns whether it was registered.
   */
  async removeClient(clientId: string): Promise<boolean> {
    const removed = await this.db.query(sql`DELETE FROM oidc_payload WHERE model = 'Client' AND id = ${clientId} RETURNING id`);
    const grants = await this.db.query<{ id: string }>(sql`SELECT id FROM oidc_payload WHERE model = 'Grant' AND payload->>'clientId' = ${clientId}`);
    for (const { id } of grants) await this.revokeGrant(id);
    return removed.length > 0;
  }

  /** Ends every session, grant and token of an account (suspension, offboarding). */
  async revokeAllOf(accountId: string): Promise<void> {
    const grants = await this.db.query<{ id: string }>(sql`SELECT id FROM oidc_payload WHERE model = 'Grant' AND payload->>'accountId' = ${accountId}`);
    for (const { id } of grants) await this.revokeGrant(id);
    await this.db.query(sql`DELETE FROM oidc_payload WHERE model = 'Session' AND payload->>'accountId' = ${accountId}`);
  }

  private async revokeGrant(grantId: string): Promise<void> {
    await this.db.query(sql`DELETE FROM oidc_payload WHERE grant_id = ${grantId} OR (model = 'Grant' AND id = ${grantId})`);
  }
}

/** One model's rows, as oidc-provider's Adapter interface names the calls. */
export interface OidcModelStore {
  upsert(id: string, payload: OidcPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<OidcPayload | undefined>;
  findByUid(uid: string): Promise<OidcPayload | undefined>;
  findByUserCode(userCode: string): Promise<OidcPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

function databaseAdapter(db: Db) {
  return class DatabaseAdapter implements OidcModelStore {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: OidcPayload, expiresIn?: number): Promise<void> {
      const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
      await db.query(sql`INSERT INTO oidc_payload (model, id, payload, grant_id, uid, user_code, expires_at)
        VALUES (${this.model}, ${id}, ${JSON.stringify(payload)}::jsonb, ${payload.grantId ?? null}, ${payload.uid ?? null}, ${payload.userCode ?? null}, ${expiresAt})
        ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, uid = EXCLUDED.uid,
          user_code = EXCLUDED.user_code, expires_at = EXCLUDED.expires_at`);
      await db.query(sql`DELETE FROM oidc_payload WHERE model = ${this.model} AND expires_at < now() - interval '1 hour'`);
    }

    find(id: string): Promise<OidcPayload | undefined> {
      return this.one(sql`id = ${id}`);
    }

    findByUid(uid: string): Promise<OidcPayload | undefined> {
      return this.one(sql`uid = ${uid}`);
    }

    findByUserCode(userCode: string): Promise<OidcPayload | undefined> {
      return this.one(sql`user_code = ${userCode}`);
    }

    async consume(id: string): Promise<void> {
      await db.query(sql`UPDATE oidc_payload SET consumed_at = now() WHERE model = ${this.model} AND id = ${id}`);
    }

    async destroy(id: string): Promise<void> {
      await db.query(sql`DELETE FROM oidc_payload WHERE model = ${this.model} AND id = ${id}`);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db.query(sql`DELETE FROM oidc_payload WHERE grant_id = ${grantId} OR (model = 'Grant' AND id = ${grantId})`);
    }

    private async one(where: ReturnType<typeof sql>): Promise<OidcPayload | undefined> {
      const [row] = await db.query<{ payload: OidcPayload | string; consumed_at: Date | string | null }>(
        sql`SELECT payload, consumed_at FROM oidc_payload WHERE model = ${this.model} AND ${where} AND (expires_at IS NULL OR expires_at > now())`
      );
      if (!row) return undefined;
      const payload = jsonColumn(row.payload);
      return row.consumed_at ? { ...payload, consumed: Math.floor(new Date(row.consumed_at).getTime() / 1000) } : payload;
    }
  };
}
