/**
 * Migrations run by postgrator from migrations/*.sql, on the embedded database or, with DATABASE_URL, on a
 * PostgreSQL database of this file's own: a fresh database gets every file once; a database TypeORM migrated
 * (Tonet 0.1) is carried over without running anything again; an edited or skipped file stops the run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Database } from '../../src/store/db/database';
import { openDatabase } from '../../src/store/db/open';
import { migrationsFolder } from '../../src/store/db/migrate';
import { raw, sql } from '../../src/core/sql';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { embeddedTemplate } from '../support/server';

const FILES = fs.readdirSync(migrationsFolder()).filter((f) => f.endsWith('.sql')).sort();
const VERSIONS = FILES.map((f) => f.split('.')[0]);

let opened: { db: Database; database?: TestDatabase }[] = [];

async function freshDatabase(): Promise<Database> {
  const database = process.env.DATABASE_URL ? await createTestDatabase(process.env.DATABASE_URL, 'tonet_migrate') : undefined;
  // On PGlite the database initdb made, from global-setup.ts's dump (initdb itself takes seconds).
  const db = await openDatabase({ databaseUrl: database?.url, embeddedTemplate: database ? undefined : embeddedTemplate('empty') });
  opened.push({ db, database });
  return db;
}

afterEach(async () => {
  for (const { db, database } of opened) {
    await db.close();
    await database?.drop();
  }
  opened = [];
});

async function recordedVersions(db: Database): Promise<string[]> {
  return (await db.query<{ version: string }>(sql`SELECT version::text AS version FROM tonet_schema_version WHERE version > 0 ORDER BY version`)).map((r) => r.version);
}

test('a fresh database gets every migration once, in order, and the tables they make', async () => {
  const db = await freshDatabase();
  const applied = await db.migrate();
  expect(applied.map((name) => name.split('-')[0])).toEqual(VERSIONS);
  expect(await recordedVersions(db)).toEqual(VERSIONS);
  expect(await db.migrate()).toEqual([]);
  const tables = (await db.query<{ name: string }>(sql`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`)).map((t) => t.name);
  expect(tables).toEqual(expect.arrayContaining(['resource', 'sp_token', 'inbox_message', 'audit_event', 'booking', 'person_account']));
  // Migrations' own rows are there too: the audit chain starts from its head row.
  expect(await db.query(sql`SELECT seq::int AS seq FROM audit_head`)).toEqual([{ seq: 0 }]);
});

/** The state TypeORM's runner left: the schema, and its own record of the first `count` migrations. */
async function typeOrmMigrated(db: Database, count: number): Promise<void> {
  for (const file of FILES.slice(0, count)) await db.query(raw(fs.readFileSync(path.join(migrationsFolder(), file), 'utf8')));
  await db.query(raw(`CREATE TABLE tonet_migrations (id SERIAL PRIMARY KEY, "timestamp" bigint NOT NULL, name varchar NOT NULL)`));
  for (const version of VERSIONS.slice(0, count)) await db.query(sql`INSERT INTO tonet_migrations ("timestamp", name) VALUES (${version}, ${`Migration${version}`})`);
}

test('a database TypeORM migrated is carried over: nothing it ran runs again, later files run', async () => {
  const db = await freshDatabase();
  await typeOrmMigrated(db, FILES.length - 1);
  await db.query(sql`INSERT INTO server_setting (key, value) VALUES ('kept', 'yes')`);
  expect(await db.migrate()).toEqual([FILES[FILES.length - 1].replace(/\.do\./, '-').replace(/\.sql$/, '')]);
  expect(await recordedVersions(db)).toEqual(VERSIONS);
  expect(await db.query(sql`SELECT value FROM server_setting WHERE key = 'kept'`)).toEqual([{ value: 'yes' }]);
  expect(await db.migrate()).toEqual([]);
});

function folderOf(files: Record<string, string>): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'tonet-migrations-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(folder, name), text);
  return folder;
}

test('an applied migration edited afterwards stops the run and changes nothing', async () => {
  const db = await freshDatabase();
  const folder = folderOf({ '100.do.first.sql': 'CREATE TABLE first_table (a int);' });
  expect(await db.migrate(folder)).toEqual(['100-first']);
  fs.writeFileSync(path.join(folder, '100.do.first.sql'), 'CREATE TABLE first_table (a bigint);');
  fs.writeFileSync(path.join(folder, '200.do.second.sql'), 'CREATE TABLE second_table (a int);');
  await expect(db.migrate(folder)).rejects.toThrow(/MD5 checksum failed for migration \[100\]/);
  expect(await db.query(sql`SELECT to_regclass('second_table') IS NULL AS absent`)).toEqual([{ absent: true }]);
});

test('a migration numbered below one already applied is refused by name, not skipped', async () => {
  const db = await freshDatabase();
  const folder = folderOf({ '100.do.first.sql': 'CREATE TABLE first_table (a int);', '300.do.third.sql': 'CREATE TABLE third_table (a int);' });
  await db.migrate(folder);
  fs.writeFileSync(path.join(folder, '200.do.second.sql'), 'CREATE TABLE second_table (a int);');
  await expect(db.migrate(folder)).rejects.toThrow('200.do.second.sql is numbered below the database\'s version 300 but never applied: give it a version above 300');
});

test('a failing migration leaves the schema as it was: the run is one transaction', async () => {
  const db = await freshDatabase();
  const folder = folderOf({ '100.do.first.sql': 'CREATE TABLE first_table (a int);', '200.do.broken.sql': 'CREATE TABLE broken_table (a int); SELECT no_such_column FROM broken_table;' });
  await expect(db.migrate(folder)).rejects.toThrow(/no_such_column/);
  expect(await db.query(sql`SELECT to_regclass('first_table') IS NULL AS first, to_regclass('tonet_schema_version') IS NULL AS versions`)).toEqual([{ first: true, versions: true }]);
});

test('two processes migrating one database at once apply each migration once', async () => {
  const first = await freshDatabase();
  // On PostgreSQL a second pool on the same database, as a second process has; PGlite has one connection only.
  const second = first.kind === 'postgres' ? await openDatabase({ databaseUrl: opened[0].database?.url }) : first;
  if (second !== first) opened.push({ db: second });
  const [a, b] = await Promise.all([first.migrate(), second.migrate()]);
  expect([...a, ...b].map((name) => name.split('-')[0]).sort()).toEqual(VERSIONS);
  expect(await recordedVersions(first)).toEqual(VERSIONS);
});

test('the (code, value) pairs of Observations stored before their table existed are filled in by its migration', async () => {
  const db = await freshDatabase();
  const pairs = FILES.findIndex((f) => f.includes('.do.token-quantity-pairs.'));
  for (const file of FILES.slice(0, pairs)) await db.query(raw(fs.readFileSync(path.join(migrationsFolder(), file), 'utf8')));
  await db.query(sql`INSERT INTO sp_token (rid, resource_type, code, system, value, display) VALUES
    (1, 'Observation', 'code', 'http://loinc.org', '8867-4', NULL), (1, 'Observation', 'code', NULL, NULL, '心拍数'),
    (1, 'Observation', 'status', NULL, 'final', NULL), (2, 'Observation', 'code', 'http://loinc.org', '8310-5', NULL)`);
  await db.query(sql`INSERT INTO sp_quantity (rid, resource_type, code, value, system, unit) VALUES
    (1, 'Observation', 'value-quantity', 72, 'http://unitsofmeasure.org', '/min'), (1, 'Observation', 'component-value-quantity', 120, NULL, 'mm[Hg]')`);
  await db.query(raw(fs.readFileSync(path.join(migrationsFolder(), FILES[pairs]), 'utf8')));
  expect(await db.query(sql`SELECT rid::int AS rid, code, system, value, quantity::float8 AS quantity, quantity_system, quantity_unit FROM sp_token_quantity`)).toEqual([
    { rid: 1, code: 'code-value-quantity', system: 'http://loinc.org', value: '8867-4', quantity: 72, quantity_system: 'http://unitsofmeasure.org', quantity_unit: '/min' },
  ]);
});
