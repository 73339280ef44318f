/**
 * Once per test run: an embedded database with every migration applied, dumped to a file. Each test file's
 * server then starts from that dump instead of running initdb and the migrations again (seconds each).
 * With DATABASE_URL set, every test file makes a PostgreSQL database of its own instead.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEmbeddedDatabase } from '../../src/store/db/embedded';

export const TEMPLATE_ENV = 'TONET_TEST_PGLITE_TEMPLATE';

export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) return;
  const db = await openEmbeddedDatabase({});
  await db.migrate();
  const dump = await db.dump();
  const file = path.join(os.tmpdir(), `tonet-pglite-template-${process.pid}.tar.gz`);
  fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  await db.close();
  process.env[TEMPLATE_ENV] = file;
}
