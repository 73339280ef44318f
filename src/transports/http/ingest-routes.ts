/**
 * HTTP entry points of ingest: POST /hl7/v2 (one ER7 message, bearer token) and the administrator's
 * dead-letter view of the inbox with replay.
 */
import type { FastifyInstance } from 'fastify';
import type { AuditTrail } from '../../audit/types';
import type { TokenService } from '../../auth/tokens';
import type { InboxMessages, InboxSummary } from '../../store/inbox';
import { badRequest, decodeClientComponent, FhirError } from '../../core/errors';
import { authenticate } from './app';
import { decodeHl7 } from '../../mapping/hl7v2';
import type { Hl7Ingest } from '../../ingest/pipeline';
import { inboxMessage, reviewInboxMessage } from '../../ingest/review';
import { parseStoragePath } from '../../ingest/ssmix2-layout';
import { assertMayStart } from '../../consent/interactions';

const ER7 = 'x-application/hl7-v2+er7';

export function registerIngestRoutes(app: FastifyInstance, ingest: Hl7Ingest, inbox: InboxMessages, tokens: TokenService, audit: AuditTrail): void {
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
    reply.header('X-Ack-Code', result.code).header('X-Inbox-Id', result.inboxId ?? '');
    // MSH-15 asked for no accept acknowledgment (NE, or ER/SU not met): HTTP must answer, so with no content.
    if (result.ack === undefined) return reply.status(204).send();
    const wanted = String(request.headers['content-type'] ?? '').startsWith(ER7) ? ER7 : 'text/plain';
    return reply.status(200).type(`${wanted}; charset=utf-8`).send(result.ack);
  });

  app.get('/admin/inbox', async (request) => {
    const ctx = await authenticate(tokens, request);
    assertMayStart(ctx, 'review-inbox');
    const query = request.query as Record<string, string | undefined>;
    const status = query.status ?? 'rejected';
    if (status !== 'accepted' && status !== 'processed' && status !== 'rejected' && status !== 'replayed') throw badRequest('status must be accepted, processed, rejected or replayed', ['status']);
    const limit = Math.min(Number(query._count ?? 100) || 100, 1000);
    return { items: (await inbox.list(status, limit)).map(inboxItem) };
  });

  /** One message of the inbox with its text, so the office can read what was refused and correct it (a read, audited by the review). */
  app.get('/admin/inbox/:id', async (request) => {
    const ctx = await authenticate(tokens, request);
    const message = await reviewInboxMessage(inbox, audit, ctx, (request.params as { id: string }).id);
    return { ...inboxItem(message), message: decodeHl7(message.raw) };
  });

  /** Replays a rejected message as its original sender, optionally with a corrected message as the body. */
  app.post('/admin/inbox/:id/replay', async (request, reply) => {
    const ctx = await authenticate(tokens, request);
    assertMayStart(ctx, 'review-inbox');
    const { id } = request.params as { id: string };
    const row = await inboxMessage(inbox, id);
    if (row.status !== 'rejected') throw badRequest(`Inbox message ${id} is ${row.status}; only rejected messages are replayed`);
    if (!row.facility) throw badRequest(`Inbox message ${id} has no known sending facility; it must be re-sent by its gateway`);
    const corrected = Buffer.isBuffer(request.body) && request.body.length ? request.body : undefined;
    const sender = { ...ctx, role: 'gateway' as const, organization: row.facility, clientId: row.clientId ?? ctx.clientId };
    const result = await ingest.receive(corrected ?? row.raw, { transport: 'replay', ctx: sender, fileName: row.fileName });
    if (result.code === 'AA') await inbox.markReplayed(id);
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

function inboxItem(r: InboxSummary) {
  return {
    id: r.id,
    receivedAt: r.receivedAt.toISOString(),
    processedAt: r.processedAt?.toISOString() ?? null,
    facility: r.facility ?? null,
    messageControlId: r.messageControlId ?? null,
    messageType: r.messageType ?? null,
    status: r.status,
    error: r.error,
    // What an accepted message carried that Tonet did not map or read leniently (ACK ERR with severity W).
    warnings: Array.isArray(r.error) ? r.error.filter((issue: { severity?: string }) => issue.severity === 'warning').length : 0,
    fileName: r.fileName ?? null,
    transport: r.transport,
  };
}
