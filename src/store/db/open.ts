/** Chooses the database from the configuration: PostgreSQL when a URL is given, else PGlite embedded in the process. */
import type { Database, DatabaseOptions } from './database';
import { openEmbeddedDatabase } from './embedded';
import { openPostgresDatabase } from './postgres';

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgresDatabase(options.databaseUrl, options.poolSize ?? 16) : openEmbeddedDatabase(options);
}
