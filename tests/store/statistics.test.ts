/**
 * A bulk load leaves the planner with statistics even where autovacuum does not run (store/statistics.ts):
 * after a thousand resources the server has run ANALYZE itself, once the writing transaction committed.
 */
import type { Bundle } from '@medplum/fhirtypes';
import { sql } from '../../src/core/sql';
import { useFhirServer } from '../fhir/helpers';

const fhir = useFhirServer();

async function resourceRows(): Promise<number> {
  const [row] = await fhir.server.tonet.db.query<{ n: number }>(sql`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'resource'::regclass`);
  return Number(row.n);
}

test('a load of a thousand resources is followed by ANALYZE', async () => {
  expect(await resourceRows()).toBeLessThan(1000);
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: Array.from({ length: 1000 }, (_, i) => ({ resource: { resourceType: 'Basic', code: { text: `load ${i}` } }, request: { method: 'POST', url: 'Basic' } })),
  };
  expect((await fhir.post('', bundle)).status).toBe(200);
  // ANALYZE runs after the response, on its own: wait for it to be done.
  for (let i = 0; i < 100 && (await resourceRows()) < 1000; i++) await new Promise((r) => setTimeout(r, 100));
  expect(await resourceRows()).toBeGreaterThanOrEqual(1000);
}, 60_000);
