/**
 * The network office's review of the inbox (受信箱 inbox): one message with its text, so the office can read
 * what was refused and correct it. The text is patient data, so the review is a read like any other and is
 * audited here; the HTTP route only adapts it.
 */
import type { AuditTrail } from '../audit/types';
import { assertMayStart } from '../consent/interactions';
import type { RequestContext } from '../core/context';
import { notFound } from '../core/errors';
import type { InboxMessage, InboxMessages } from '../store/inbox';

/** The message, recorded as read by the caller, naming the patients it wrote (a refused one wrote none). */
export async function reviewInboxMessage(inbox: InboxMessages, audit: AuditTrail, ctx: RequestContext, id: string): Promise<InboxMessage> {
  assertMayStart(ctx, 'review-inbox');
  const message = await inboxMessage(inbox, id);
  const patients = message.resources.filter((r) => r.startsWith('Patient/')).map((r) => r.slice('Patient/'.length));
  await audit.append({
    ctx,
    action: 'read',
    patientIds: patients,
    entities: message.resources.slice(0, 100),
    outcome: '0',
    description: `GET /admin/inbox/${id} (${message.messageType ?? 'unknown type'} ${message.messageControlId ?? ''}, ${message.status})`,
    remoteAddress: ctx.remoteAddress,
  });
  return message;
}

/** The message with this id; 404 for an unknown one or an id that is not one (ids are numbers). */
export async function inboxMessage(inbox: InboxMessages, id: string): Promise<InboxMessage> {
  const message = /^\d+$/.test(id) ? await inbox.find(id) : undefined;
  if (!message) throw notFound(`Inbox message ${id} not found`);
  return message;
}
