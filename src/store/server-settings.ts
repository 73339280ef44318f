/**
 * Values the server keeps for itself across restarts and processes (the generated signing key): the
 * server_setting table, one text value per key.
 */
import type { Db } from './db/database';
import { sql } from '../core/sql';

export class ServerSettings {
  constructor(private readonly db: Db) {}

  /**
   * The value kept under key, keeping `proposed` first when there is none; several processes starting at
   * once all answer the one value that was written first.
   */
  async keptOrFirst(key: string, proposed: string): Promise<string> {
    await this.db.query(sql`INSERT INTO server_setting (key, value) VALUES (${key}, ${proposed}) ON CONFLICT (key) DO NOTHING`);
    const [row] = await this.db.query<{ value: string }>(sql`SELECT value FROM server_setting WHERE key = ${key}`);
    return row.value;
  }
}
