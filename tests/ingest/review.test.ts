/**
 * The office's review of one inbox message (ingest/review.ts): only an administrator reads it, an id that is
 * no message's is not found, and the read is audited where it is done, naming the patients the message wrote.
 */
import type { AuditEntry, AuditTrail } from '../../src/audit/types';
import type { RequestContext } from '../../src/core/context';
import { inboxMessage, reviewInboxMessage } from '../../src/ingest/review';
import type { InboxMessage, InboxMessages } from '../../src/store/inbox';

const admin: RequestContext = { clientId: 'office', clientName: 'network office', role: 'admin', purposeOfUse: 'OPERATIONS', requestId: 'r-1', remoteAddress: '192.0.2.5' };
const gateway: RequestContext = { ...admin, clientId: 'gw', role: 'gateway', organization: 'Organization/hospital' };

const stored: InboxMessage = {
  id: '42',
  receivedAt: new Date('2026-12-01T00:00:00Z'),
  status: 'processed',
  error: null,
  transport: 'mllp',
  messageType: 'OML^O33',
  messageControlId: 'CTRL-42',
  raw: Buffer.from('MSH|^~\\&|'),
  resources: ['Patient/p-1', 'Observation/o-1', 'Patient/p-2'],
};

function fixtures() {
  const entries: AuditEntry[] = [];
  const asked: string[] = [];
  const inbox = { find: async (id: string) => (asked.push(id), id === stored.id ? stored : undefined) } as unknown as InboxMessages;
  const audit = { append: async (entry: AuditEntry) => void entries.push(entry) } as unknown as AuditTrail;
  return { inbox, audit, entries, asked };
}

test('the review answers the message and records one read naming the patients it wrote', async () => {
  const { inbox, audit, entries } = fixtures();
  expect((await reviewInboxMessage(inbox, audit, admin, '42')).raw).toBe(stored.raw);
  expect(entries).toEqual([
    { ctx: admin, action: 'read', patientIds: ['p-1', 'p-2'], entities: stored.resources, outcome: '0', description: 'GET /admin/inbox/42 (OML^O33 CTRL-42, processed)', remoteAddress: '192.0.2.5' },
  ]);
});

test('anyone but an administrator is refused before the inbox is read, and nothing is recorded here', async () => {
  const { inbox, audit, entries, asked } = fixtures();
  await expect(reviewInboxMessage(inbox, audit, gateway, '42')).rejects.toMatchObject({ status: 403 });
  expect(asked).toEqual([]);
  expect(entries).toEqual([]);
});

test('an unknown id, or one that is not a number, is not found and not audited', async () => {
  const { inbox, audit, entries, asked } = fixtures();
  await expect(reviewInboxMessage(inbox, audit, admin, '43')).rejects.toMatchObject({ status: 404, message: 'Inbox message 43 not found' });
  await expect(inboxMessage(inbox, '1 OR 1=1')).rejects.toMatchObject({ status: 404 });
  expect(asked).toEqual(['43']);
  expect(entries).toEqual([]);
});
