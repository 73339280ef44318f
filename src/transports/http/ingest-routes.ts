/**
 * HTTP entry points of ingest: POST /hl7/v2 (one ER7 message, bearer token) and the administrator's
 * dead-letter view of the inbox with replay.
 */
import type { FastifyInstance } from 'fastify';
import type { AuditSink } from '../../audit/types';
import type { TokenService } from '../../auth/tokens';
import type { Db } from '../../store/db/database';
import { sql } from '../../core/sql';
import { badRequest, decodeClientComponent, FhirError, forbidden, notFound } from '../../core/errors';
import { authenticate } from './app';
import { decodeHl7 } from '../../mapping/hl7v2';
import type { Hl7Ingest } from '../../ingest/pipeline';
import { parseStoragePath } from '../../ingest/ssmix2-layout';

const ER7 = 'x-application/hl7-v2+er7';

export function registerIngestRoutes(app: FastifyInstance, ingest: Hl7Ingest, db: Db, tokens: TokenService, audit: AuditSink): void {
  app.post('/hl7/v2', async (request, reply) => {
    const ctx = await authenticate(tokens, request);
    const body = request.body;
    if (!Buffer.isBuffer(body) || body.length === 0) throw badRequest(`Send one HL7 v2 message as the body (${ER7} or text/plain)`);
    const deleted = request.headers['x-ssmix2-condition'] === '0';
    const { fileName, layoutError, headerError } = storageFile(request.headers['x-ssmix2-file']);
    if (headerError) {
      // Refused before the pipeline, and kept all the same: every refused input is there for review.
      const kept = await ingest.refuse(body, [{ severity: 'error', code: '102', message: headerError.message }], { transport: 'http', ctx });
      reply.header('X-Inbox-Id', kept.inboxId ?? '');
      throw headerError;
    }
    const result = layoutError
      ? await ingest.refuse(body, [{ severity: 'error', code: '102', message: `X-SSMIX2-File ${fileName} breaks the SS-MIX2 layout: ${layoutError}` }], { transport: 'http', ctx, fileName })
      : await ingest.receive(body, { transport: 'http', ctx, fileName, deleted });
    const wanted = String(request.headers['content-type'] ?? '').startsWith(ER7) ? ER7 : 'text/plain';
    return reply.status(200).header('X-Ack-Code', result.code).header('X-Inbox-Id', result.inboxId ?? '').type(`${wanted}; charset=utf-8`).send(result.ack);
  });

  app.get('/admin/inbox', async (request) => {
    const ctx = await authenticate(tokens, request);
    if (ctx.role !== 'admin') throw forbidden('Only an administrator may read the inbox');
    const query = request.query as Record<string, string | undefined>;
    const status = query.status ?? 'rejected';
    if (!['processed', 'rejected', 'replayed'].includes(status)) throw badRequest('status must be processed, rejected or replayed', ['status']);
    const limit = Math.min(Number(query._count ?? 100) || 100, 1000);
    const rows = await db.query<{ id: string; received_at: Date; facility: string | null; message_control_id: string | null; message_type: string | null; status: string; error: unknown; file_name: string | null; transport: string }>(
      sql`SELECT id::text AS id, received_at, facility, message_control_id, message_type, status, error, file_name, transport
          FROM inbox_message WHERE status = ${status} ORDER BY id DESC LIMIT ${limit}`
    );
    return { items: rows.map(inboxItem) };
  });

  /** One message of the inbox with its text, so the office can read what was refused and correct it. */
  app.get('/admin/inbox/:id', async (request) => {
    const ctx = await authenticate(tokens, request);
    if (ctx.role !== 'admin') throw forbidden('Only an administrator may read the inbox');
    const { id } = request.params as { id: string };
    if (!/^\d+$/.test(id)) throw notFound(`Inbox message ${id} not found`);
    const [row] = await db.query<{ id: string; received_at: Date; facility: string | null; message_control_id: string | null; message_type: string | null; status: string; error: unknown; file_name: string | null; transport: string; raw: Buffer; resources: string[] }>(
      sql`SELECT id::text AS id, received_at, facility, message_control_id, message_type, status, error, file_name, transport, raw, resources FROM inbox_message WHERE id = ${id}::bigint`
    );
    if (!row) throw notFound(`Inbox message ${id} not found`);
    // The text is patient data: the review is a read, naming the patients the message wrote (a refused one wrote none).
    const patients = (row.resources ?? []).filter((r) => r.startsWith('Patient/')).map((r) => r.slice('Patient/'.length));
    await audit.record(db, { ctx, action: 'read', patientIds: patients, entities: (row.resources ?? []).slice(0, 100), outcome: '0', description: `GET /admin/inbox/${id} (${row.message_type ?? 'unknown type'} ${row.message_control_id ?? ''}, ${row.status})`, remoteAddress: ctx.remoteAddress });
    return { ...inboxItem(row), message: decodeHl7(Buffer.from(row.raw)) };
  });

  /** Replays a rejected message as its original sender, optionally with a corrected message as the body. */
  app.post('/admin/inbox/:id/replay', async (request, reply) => {
    const ctx = await authenticate(tokens, request);
    if (ctx.role !== 'admin') throw forbidden('Only an administrator may replay messages');
    const { id } = request.params as { id: string };
    if (!/^\d+$/.test(id)) throw notFound(`Inbox message ${id} not found`);
    const [row] = await db.query<{ raw: Buffer; client_id: string | null; facility: string | null; status: string; file_name: string | null }>(
      sql`SELECT raw, client_id, facility, status, file_name FROM inbox_message WHERE id = ${id}::bigint`
    );
    if (!row) throw notFound(`Inbox message ${id} not found`);
    if (row.status !== 'rejected') throw badRequest(`Inbox message ${id} is ${row.status}; only rejected messages are replayed`);
    if (!row.facility) throw badRequest(`Inbox message ${id} has no known sending facility; it must be re-sent by its gateway`);
    const corrected = Buffer.isBuffer(request.body) && request.body.length ? request.body : undefined;
    const sender = { ...ctx, role: 'gateway' as const, organization: row.facility, clientId: row.client_id ?? ctx.clientId };
    const result = await ingest.receive(corrected ?? Buffer.from(row.raw), { transport: 'replay', ctx: sender, fileName: row.file_name ?? undefined });
    if (result.code === 'AA') await db.query(sql`UPDATE inbox_message SET status = 'replayed' WHERE id = ${id}::bigint`);
    return reply.status(200).send({ id, replayedAs: result.inboxId, ackCode: result.code, ack: result.ack, issues: result.issues });
  });
}

/** X-SSMIX2-File names a file of a standardized storage; one breaking the layout rules is refused as the file it is. */
function storageFile(header: string | string[] | undefined): { fileName?: string; layoutError?: string; headerError?: FhirError } {
  if (typeof header !== 'string') return {};
  let fileName: string;
  try {
    fileName = decodeClientComponent(header, 'X-SSMIX2-File');
  } catch (err) {
    return { headerError: err as FhirError };
  }
  return { fileName, layoutError: parseStoragePath(fileName).error };
}

/** The inbox's depth: rejected messages not yet replayed, waiting for the office (a gauge in /metrics). */
export async function rejectedInboxCount(db: Db): Promise<number> {
  const [row] = await db.query<{ n: string }>(sql`SELECT count(*)::text AS n FROM inbox_message WHERE status = 'rejected'`);
  return Number(row.n);
}

function inboxItem(r: { id: string; received_at: Date; facility: string | null; message_control_id: string | null; message_type: string | null; status: string; error: unknown; file_name: string | null; transport: string }) {
  return {
    id: r.id,
    receivedAt: new Date(r.received_at).toISOString(),
    facility: r.facility,
    messageControlId: r.message_control_id,
    messageType: r.message_type,
    status: r.status,
    error: r.error,
    // What an accepted message carried that Tonet did not map or read leniently (ACK ERR with severity W).
    warnings: Array.isArray(r.error) ? r.error.filter((issue: { severity?: string }) => issue.severity === 'warning').length : 0,
    fileName: r.file_name,
    transport: r.transport,
  };
}
