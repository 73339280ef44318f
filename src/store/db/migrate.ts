/**
 * Schema migrations: the SQL files in migrations/ (`<version>.do.<name>.sql`), applied in version order by
 * postgrator and recorded in `tonet_schema_version` with each file's MD5, so an applied file that was edited
 * afterwards stops the start instead of leaving databases that differ.
 *
 * One run is one transaction on one connection, under an advisory lock: processes starting together on one
 * PostgreSQL apply each migration once, and a failing migration leaves the schema as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Postgrator from 'postgrator';
import { packageFolder } from '../../core/package-files';

export const VERSION_TABLE = 'tonet_schema_version';
/** Where TypeORM, which ran the migrations until 0.1, recorded them (id, timestamp, name). */
const TYPEORM_TABLE = 'tonet_migrations';

/** One connection inside an open transaction. */
export interface MigrationSession {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /** Runs a script of several statements (a migration file). */
  exec(script: string): Promise<void>;
}

/** Applies what is not applied yet and answers it as `<version>-<name>`, in order. */
export async function runMigrations(session: MigrationSession, folder: string = migrationsFolder()): Promise<string[]> {
  await session.query(`SELECT pg_advisory_xact_lock(hashtext('${VERSION_TABLE}'))`);
  // postgrator is an ES module; Node 20.19+ and Jest load it through require.
  const { default: PostgratorClass } = require('postgrator') as { default: typeof Postgrator };
  const postgrator = new PostgratorClass({
    driver: 'pg',
    // glob patterns take forward slashes only, also on Windows
    migrationPattern: `${folder.split(path.sep).join('/')}/*.sql`,
    schemaTable: VERSION_TABLE,
    newline: 'LF',
    execQuery: (text) => session.query(text),
    execSqlScript: (script) => session.exec(script),
  });
  const files = await postgrator.getMigrations();
  await adoptTypeOrmHistory(session, files);
  await refuseSkipped(session, files);
  const applied = await postgrator.migrate();
  return applied.map((m) => `${m.version}-${m.name}`);
}

/**
 * A database migrated by TypeORM holds the same schema (the SQL files are its migrations' statements), so
 * its record is carried over once; its own table is left as it was.
 */
async function adoptTypeOrmHistory(session: MigrationSession, files: Postgrator.Migration[]): Promise<void> {
  const [tables] = (await session.query(`SELECT to_regclass($1) IS NOT NULL AS typeorm, to_regclass($2) IS NOT NULL AS current`, [TYPEORM_TABLE, VERSION_TABLE])).rows;
  if (!tables.typeorm || tables.current) return;
  const recorded = (await session.query(`SELECT "timestamp"::text AS version, name FROM ${TYPEORM_TABLE} ORDER BY "timestamp"`)).rows;
  const adopted = recorded.map(({ version, name }) => {
    const file = files.find((m) => m.action === 'do' && m.version === Number(version));
    if (!file) throw new Error(`${TYPEORM_TABLE} records migration ${String(name)}, which migrations/ does not hold`);
    return file;
  });
  // The table postgrator itself creates (version, name, md5, run_at), with the row for version 0 it starts with.
  await session.query(`CREATE TABLE ${VERSION_TABLE} (version bigint PRIMARY KEY, name text, md5 text, run_at timestamptz)`);
  await session.query(`INSERT INTO ${VERSION_TABLE} (version) VALUES (0)`);
  await session.query(
    `INSERT INTO ${VERSION_TABLE} (version, name, md5, run_at) SELECT v, n, m, now() FROM unnest($1::bigint[], $2::text[], $3::text[]) AS a (v, n, m)`,
    [adopted.map((m) => String(m.version)), adopted.map((m) => m.name), adopted.map((m) => m.md5)]
  );
}

/**
 * postgrator applies only versions above the database's highest. A file numbered below it that was never
 * applied (a branch merged after a newer migration) would be skipped silently, so it stops the run instead.
 */
async function refuseSkipped(session: MigrationSession, files: Postgrator.Migration[]): Promise<void> {
  const [{ exists }] = (await session.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [VERSION_TABLE])).rows;
  if (!exists) return;
  const applied = new Set((await session.query(`SELECT version::text AS version FROM ${VERSION_TABLE}`)).rows.map((r) => Number(r.version)));
  const highest = Math.max(0, ...applied);
  const skipped = files.filter((m) => m.action === 'do' && m.version < highest && !applied.has(m.version));
  if (skipped.length) {
    throw new Error(`${skipped.map((m) => path.basename(m.filename)).join(', ')} ${skipped.length > 1 ? 'are' : 'is'} numbered below the database's version ${highest} but never applied: give it a version above ${highest}`);
  }
}

/** The versions of the migration files in folder, in order. */
export function migrationVersions(folder: string = migrationsFolder()): number[] {
  return fs.readdirSync(folder).map((f) => /^(\d+)\.do\..+\.sql$/.exec(f)?.[1]).filter((v): v is string => !!v).map(Number).sort((a, b) => a - b);
}

/** migrations/ at the package root, beside src/ or above dist/src/. */
export function migrationsFolder(): string {
  const folder = packageFolder('migrations', (names) => names.some((name) => /^\d+\.do\..+\.sql$/.test(name)));
  if (!folder) throw new Error(`no migrations/ folder with SQL migrations above ${__dirname}`);
  return folder;
}
