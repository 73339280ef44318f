/**
 * The audit lag /metrics reports: entries handed in and not yet chained, counted while their batch is being
 * appended and while they queue behind it, and the age of the oldest; nothing once the batch commits.
 */
import { AuditLog } from '../../src/audit/log';
import type { Database } from '../../src/store/db/database';
import { connectionTo } from '../../src/store/connection';

test('the backlog counts entries until their append commits, with the age of the oldest', async () => {
  const releases: (() => void)[] = [];
  // A database whose appends wait until the test lets them commit.
  const db = { query: () => new Promise((resolve) => releases.push(() => resolve([{ appended: '1' }]))) } as unknown as Database;
  const audit = new AuditLog(connectionTo(db));
  expect(audit.backlog()).toEqual({ entries: 0, oldestSeconds: 0 });

  const handedIn = Date.now();
  const entry = { clientId: 'lag-test', action: 'denied' as const, patientIds: [], entities: [], outcome: '4' as const, description: 'lag' };
  const first = audit.append(entry);
  const second = audit.append(entry);
  // The first is being appended, the second waits for the next batch.
  expect(audit.backlog().entries).toBe(2);
  expect(audit.backlog(handedIn + 5000).oldestSeconds).toBeGreaterThanOrEqual(4.9);

  releases.shift()!();
  await first;
  await new Promise((r) => setImmediate(r));
  expect(audit.backlog().entries).toBe(1);
  releases.shift()!();
  await second;
  expect(audit.backlog()).toEqual({ entries: 0, oldestSeconds: 0 });
});
