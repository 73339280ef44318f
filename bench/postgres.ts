/**
 * The benchmark's own database work: a fresh database per run, and the raw comparison table: what a
 * hand-written schema for exactly these searches would be (one table, typed columns for the searched
 * values, one B-tree per search, a history copy). Its insert and query speed is the machine's ceiling.
 */
import { Client, Pool } from 'pg';
import type { GeneratedResource } from './dataset';

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Drops and recreates the benchmark database, so every run starts from the same empty state. */
export async function recreateDatabase(serverUrl: string, database: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`database name "${database}" must be a plain lower-case identifier`);
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
}

export async function createRawSchema(pool: Pool): Promise<void> {
  await pool.query(`
    CREATE TABLE raw_resource (
      rid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      id text NOT NULL UNIQUE,
      type text NOT NULL,
      patient text,
      code_system text,
      code text,
      date timestamptz,
      value numeric,
      identifier_system text,
      identifier text,
      name text COLLATE "C",
      kana text COLLATE "C",
      last_updated timestamptz NOT NULL DEFAULT now(),
      content text NOT NULL)`);
  await pool.query(`CREATE INDEX raw_patient_code_date ON raw_resource (patient, code, date)`);
  await pool.query(`CREATE INDEX raw_code_value ON raw_resource (code, value, rid)`);
  await pool.query(`CREATE INDEX raw_identifier ON raw_resource (identifier, identifier_system)`);
  await pool.query(`CREATE INDEX raw_name ON raw_resource (name)`);
  await pool.query(`CREATE INDEX raw_kana ON raw_resource (kana)`);
  await pool.query(`
    CREATE TABLE raw_history (
      id text NOT NULL, version integer NOT NULL, last_updated timestamptz NOT NULL, content text NOT NULL,
      PRIMARY KEY (id, version))`);
}

const COLUMNS = ['id', 'type', 'patient', 'code_system', 'code', 'date', 'value', 'identifier_system', 'identifier', 'name', 'kana', 'content'];

/** One bundle's worth of resources in one transaction: a multi-row INSERT into each table. */
export async function insertRaw(pool: Pool, resources: GeneratedResource[]): Promise<void> {
  const rows = resources.map(({ uuid, resource, columns: c }) => [
    uuid, resource.resourceType, c.patient, c.codeSystem ?? null, c.code ?? null, c.date ?? null, c.value ?? null,
    c.identifierSystem ?? null, c.identifier ?? null, c.name ?? null, c.kana ?? null, JSON.stringify(resource),
  ]);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`INSERT INTO raw_resource (${COLUMNS.join(', ')}) VALUES ${placeholders(rows.length, COLUMNS.length)}`, rows.flat());
    await client.query(
      `INSERT INTO raw_history (id, version, last_updated, content) VALUES ${placeholders(rows.length, 2, ', 1, now()')}`,
      rows.flatMap((row) => [row[0], row[11]])
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** `($1, $2), ($3, $4), …`; `between` is spliced after the first placeholder of each row (fixed values). */
function placeholders(rows: number, width: number, between = ''): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells = Array.from({ length: width }, (_, c) => `$${r * width + c + 1}` + (c === 0 ? between : ''));
    out.push(`(${cells.join(', ')})`);
  }
  return out.join(', ');
}

export interface PostgresInfo {
  version: string;
  settings: Record<string, string>;
}

export async function postgresInfo(pool: Pool): Promise<PostgresInfo> {
  const { rows } = await pool.query<{ version: string }>('SELECT version()');
  const settings: Record<string, string> = {};
  for (const name of ['shared_buffers', 'work_mem', 'synchronous_commit', 'max_connections', 'effective_cache_size', 'autovacuum']) {
    const result = await pool.query<Record<string, string>>(`SHOW ${name}`);
    settings[name] = Object.values(result.rows[0])[0];
  }
  return { version: rows[0].version, settings };
}
