/**
 * Whether the database holds every migration this build ships: the readiness probe's question, answered
 * from the version table the migrator keeps. A database that cannot be asked throws, as any query does.
 */
import type { Db } from './db/database';
import { migrationVersions, VERSION_TABLE } from './db/migrate';
import { raw, sql } from '../core/sql';

/** The shipped migration versions the database has not applied, oldest first; empty when it is current. */
export async function pendingMigrations(db: Db, shipped: number[] = migrationVersions()): Promise<number[]> {
  const [{ recorded }] = await db.query<{ recorded: boolean }>(sql`SELECT to_regclass(${VERSION_TABLE}) IS NOT NULL AS recorded`);
  if (!recorded) return shipped;
  const applied = new Set((await db.query<{ version: string }>(sql`SELECT version::text AS version FROM ${raw(VERSION_TABLE)}`)).map((r) => Number(r.version)));
  return shipped.filter((v) => !applied.has(v));
}
