/**
 * The raw SQL twin of a search behind an HTTP server of the same make as Tonet's (Fastify, loopback, a JSON
 * searchset Bundle built from the stored text), so that what one HTTP request costs on this machine is
 * measured beside the SQL alone (issue 11 asks for it). No token, no consent predicate, no audit, no FHIR:
 * the floor Tonet's own per-request work stands on. It runs in the benchmark's process, whose CPU the
 * report counts as the benchmark's.
 */
import Fastify from 'fastify';
import type { Pool } from 'pg';

export interface SqlOverHttp {
  url: string;
  close(): Promise<void>;
}

export async function startSqlOverHttp(pool: Pool): Promise<SqlOverHttp> {
  const app = Fastify();
  app.post('/search', async (request, reply) => {
    const { text, values } = request.body as { text: string; values: unknown[] };
    const { rows } = await pool.query<{ id: string; content: string }>(text, values);
    // The stored JSON goes out as text, as Tonet sends it, not parsed and serialised again.
    const entries = rows.map((row) => `{"fullUrl":"urn:raw:${row.id}","resource":${row.content}}`);
    void reply.type('application/fhir+json').send(`{"resourceType":"Bundle","type":"searchset","entry":[${entries.join(',')}]}`);
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url: `${address}/search`, close: () => app.close() };
}
