/**
 * Once per test run: the server's and the console's builds when their sources changed (builds.ts), and two
 * embedded databases dumped to files, one just made by initdb and one with every migration applied. Each
 * test file's server then starts from a dump instead of running initdb (seconds each) and the migrations.
 * With DATABASE_URL set, every test file makes a PostgreSQL database of its own instead.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedDatabase, openEmbeddedDatabase } from '../../src/store/db/embedded';
import { ensureConsoleBuilt, ensureServerBuilt } from './builds';

export const TEMPLATE_ENV = 'TONET_TEST_PGLITE_TEMPLATE';
/** The database as initdb left it, for the migration tests. */
export const EMPTY_TEMPLATE_ENV = 'TONET_TEST_PGLITE_EMPTY';

export default async function globalSetup(): Promise<void> {
  ensureServerBuilt();
  ensureConsoleBuilt();
  if (process.env.DATABASE_URL) return;
  const db = await openEmbeddedDatabase({});
  await dumpTo(db, EMPTY_TEMPLATE_ENV, 'empty');
  await db.migrate();
  await dumpTo(db, TEMPLATE_ENV, 'template');
  await db.close();
}

async function dumpTo(db: EmbeddedDatabase, env: string, name: string): Promise<void> {
  const file = path.join(os.tmpdir(), `tonet-pglite-${name}-${process.pid}.tar.gz`);
  fs.writeFileSync(file, Buffer.from(await (await db.dump()).arrayBuffer()));
  process.env[env] = file;
}
