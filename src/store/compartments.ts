/** The Patient compartments the store placed resources in when they were written (resource.compartments). */
import { sql } from '../core/sql';
import { Connection, databaseOf } from './connection';

export async function storedCompartments(on: Connection, resources: readonly { resourceType: string; id: string }[]): Promise<string[]> {
  if (!resources.length) return [];
  const rows = await databaseOf(on).query<{ compartments: string[] }>(sql`SELECT compartments FROM resource
    WHERE (resource_type, id) IN (SELECT * FROM unnest(${resources.map((r) => r.resourceType)}::text[], ${resources.map((r) => r.id)}::text[]))`);
  return rows.flatMap((row) => row.compartments);
}
