/**
 * The inbox as a queue for enhanced acknowledgment mode (store/inbox-queue.ts): one patient's messages are
 * taken in the order they were kept, and taking the next one stays cheap with hundreds queued and no
 * statistics gathered by anyone. An earlier form of the take sorted the queue by its ids as text and, with no
 * statistics, was planned as a loop over the whole queue for every message of it: the benchmark's 4,000
 * messages drained at under one a second.
 */
import { createHash } from 'node:crypto';
import { sql } from '../../src/core/sql';
import type { Database } from '../../src/store/db/database';
import { openDatabase } from '../../src/store/db/open';
import { InboxMessages } from '../../src/store/inbox';
import { InboxQueue, TAKE_NEXT, type LaterArrival } from '../../src/store/inbox-queue';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { embeddedTemplate } from '../support/server';

let pgDatabase: TestDatabase | undefined;
let db: Database;
let queue: InboxQueue;

beforeAll(async () => {
  pgDatabase = process.env.DATABASE_URL ? await createTestDatabase(process.env.DATABASE_URL, 'tonet_queue') : undefined;
  db = await openDatabase({ databaseUrl: pgDatabase?.url, embeddedTemplate: embeddedTemplate() });
  await db.migrate();
  queue = new InboxQueue(db);
}, 60_000);

afterAll(async () => {
  await db?.close();
  await pgDatabase?.drop();
});

function arrival(n: number, patient: string): LaterArrival {
  const raw = Buffer.from(`MSH|^~\\&|LAB|HOSP|||20261207||OUL^R22|msg-${n}|P|2.5\rPID|||${patient}\r`);
  return {
    transport: 'mllp',
    facility: 'Organization/queue-hospital',
    messageControlId: `msg-${n}`,
    messageType: 'OUL^R22',
    contentHash: createHash('sha256').update(raw).digest('hex'),
    raw,
    sender: { role: 'gateway' },
    patientKey: `Organization/queue-hospital|${patient}`,
  };
}

async function takeAll(): Promise<string[]> {
  const taken: string[] = [];
  for (;;) {
    const next = await queue.takeNext(async (message) => ({ status: 'processed', written: [], warnings: [], result: undefined }), () => undefined);
    if (!next) return taken;
    taken.push(next.message.raw.toString().match(/msg-(\d+)/)![0]);
  }
}

test("the office's list of refused messages is newest first by number, past the ids of one digit", async () => {
  const inbox = new InboxMessages(db);
  const ids: string[] = [];
  // The first messages of a new database: their ids run from one digit into two.
  for (let n = 0; n < 12; n++) ids.push(await inbox.keepRejected({ ...arrival(5000 + n, 'S'), ackCode: 'AE', reasonsJson: '[]' }));
  expect(new Set(ids.map((id) => id.length)).size).toBeGreaterThan(1);
  // Ordered as text, "9…" came before "10…" (and "99" before "100").
  const listed = (await inbox.list('rejected', 12)).map((m) => m.id);
  expect(listed).toEqual([...ids].sort((a, b) => Number(BigInt(b) - BigInt(a))));
  expect(listed[0]).toBe(ids[ids.length - 1]);
});

test("one patient's messages are taken in the order they were kept, between other patients'", async () => {
  // msg-0, 2, 4 … are patient A's; the odd ones each a patient of their own.
  await queue.keepAllForLater(Array.from({ length: 12 }, (_, n) => arrival(n, n % 2 === 0 ? 'A' : `P${n}`)));
  const taken = await takeAll();
  expect(taken).toHaveLength(12);
  const patientA = taken.filter((m) => Number(m.slice(4)) % 2 === 0);
  expect(patientA).toEqual(['msg-0', 'msg-2', 'msg-4', 'msg-6', 'msg-8', 'msg-10']);
});

test('with 600 messages queued after the statistics saw an empty queue, taking the next one reads a few pages, not the queue', async () => {
  // As on a server that ran ANALYZE after a quiet spell (autovacuum, or Tonet after a bulk load): the
  // statistics know processed messages and no accepted one.
  await queue.keepAllForLater(Array.from({ length: 300 }, (_, n) => arrival(500 + n, `R${n}`)));
  await takeAll();
  await db.query(sql`ANALYZE inbox_message`);
  await queue.keepAllForLater(Array.from({ length: 600 }, (_, n) => arrival(1000 + n, `Q${n % 400}`)));
  const plan = await db.transaction(async (tx) => {
    const [row] = await tx.query<{ 'QUERY PLAN': unknown }>(sql`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${TAKE_NEXT}`);
    return row['QUERY PLAN'];
  });
  const top = (typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number; 'Actual Rows': number } }[];
  expect(top[0].Plan['Actual Rows']).toBe(1);
  // The older form read about 180,000 pages here (every queued message against every other).
  expect(top[0].Plan['Shared Hit Blocks'] + top[0].Plan['Shared Read Blocks']).toBeLessThan(200);
  expect(await takeAll()).toHaveLength(600);
}, 120_000);
