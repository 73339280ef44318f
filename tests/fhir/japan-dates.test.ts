/**
 * A search date without a zone is that day in Japan (+09:00), as the region's data is written: a result taken
 * at 07:30 on 15 January belongs to date=2024-01-15, not to the 14th. Indexed zone-less dates read the same way,
 * and the migration moves rows indexed under the old UTC reading.
 */
import type { Observation } from '@medplum/fhirtypes';
import fs from 'node:fs';
import path from 'node:path';
import { migrationsFolder } from '../../src/store/db/migrate';
import { raw, sql } from '../../src/core/sql';
import { ids, useFhirServer } from './helpers';

const fhir = useFhirServer();
const made: Record<string, string> = {};

function observation(effectiveDateTime: string): Observation {
  return { resourceType: 'Observation', status: 'final', code: { text: 'HbA1c' }, effectiveDateTime, valueQuantity: { value: 7, unit: '%' } };
}

beforeAll(async () => {
  made.early = (await fhir.create(observation('2024-01-15T07:30:00+09:00'))).id as string;
  made.late = (await fhir.create(observation('2024-01-15T23:30:00+09:00'))).id as string;
  made.dayOnly = (await fhir.create(observation('2024-01-15'))).id as string;
  made.utcLate = (await fhir.create(observation('2024-01-15T16:00:00Z'))).id as string;
});

async function found(query: string): Promise<string[]> {
  const res = await fhir.get(`Observation?${query}&_count=100`);
  expect(res.status).toBe(200);
  return ids(res.body)
    .map((id) => Object.entries(made).find(([, v]) => v === id)?.[0] ?? id)
    .sort();
}

test.each([
  ['date=2024-01-15', ['dayOnly', 'early', 'late']],
  ['date=2024-01-14', []],
  // 16:00Z is 01:00 on the 16th in Japan.
  ['date=2024-01-16', ['utcLate']],
  ['date=2024-01', ['dayOnly', 'early', 'late', 'utcLate']],
  // A day-precision value is the whole day, so it starts before 08:00 and ends after midnight UTC.
  ['date=lt2024-01-15T08:00:00', ['dayOnly', 'early']],
  ['date=ge2024-01-15T00:00:00Z', ['dayOnly', 'late', 'utcLate']],
])('%s', async (query, expected) => {
  expect(await found(query)).toEqual(expected);
});

test('the migration moves a row indexed as a UTC day to the Japan day, and leaves timed rows alone', async () => {
  const db = fhir.server.tonet.db;
  await db.query(sql`INSERT INTO sp_date (rid, resource_type, code, lo, hi) VALUES
    (-1, 'Test', 'day', '2024-01-15T00:00:00Z', '2024-01-16T00:00:00Z'),
    (-1, 'Test', 'open', '2024-01-15T00:00:00Z', 'infinity'),
    (-1, 'Test', 'timed', '2024-01-15T00:00:00Z', '2024-01-15T00:00:01Z')`);
  await db.query(raw(fs.readFileSync(path.join(migrationsFolder(), '1765000000000.do.japan-dates.sql'), 'utf8')));
  const rows = await db.query<{ code: string; lo: Date; hi: Date | string }>(sql`SELECT code, lo, CASE WHEN isfinite(hi) THEN to_char(hi AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') ELSE 'infinity' END AS hi FROM sp_date WHERE rid = -1 ORDER BY code`);
  expect(rows.map((r) => [r.code, new Date(r.lo).toISOString(), r.hi])).toEqual([
    ['day', '2024-01-14T15:00:00.000Z', '2024-01-15T15:00:00'],
    ['open', '2024-01-14T15:00:00.000Z', 'infinity'],
    ['timed', '2024-01-15T00:00:00.000Z', '2024-01-15T00:00:01'],
  ]);
});
