/**
 * Step 6: HL7 v2 lab results (OUL^R22) over MLLP, as a facility's gateway sends them: a gateway client of an
 * Organization with a medical institution code, its access token in MSH-8, one message at a time per
 * connection (the next goes when the ACK for the last arrives; the server acknowledges after its commit).
 *
 *  - throughput with 1 connection and with mllpConnections, beside the same bytes INSERTed one row per
 *    transaction into a plain inbox table over as many PostgreSQL connections (the machine's ceiling);
 *  - ACK latency at about half the measured many-connection rate, paced: each message has a scheduled send
 *    time and its latency counts from then, so a slow ACK cannot hide the messages queued behind it;
 *  - enhanced acknowledgment mode (issue 11): the same messages with MSH-15 AL on mllpConnections, each
 *    answered CA once kept in the inbox, before mapping; then the time the server's worker takes to map them;
 *  - a flood: the connections write mllpFlood messages as fast as the sockets accept them, without waiting
 *    for ACKs, while the server's resident set is watched (it must push back through TCP, not buffer).
 *
 * Every message is distinct (the server processes an identical message only once), so each phase sends its
 * own range of message indexes; the raw phases send the same messages as the Tonet throughput phases.
 *
 * First WARMUP_MESSAGES go through one connection and the database is ANALYZEd: before that its statistics
 * are from the end of step 2 and know no ServiceRequest, Specimen or DiagnosticReport, and the conditional
 * lookups by identifier that every message makes are then planned as a scan and sort of all resources of the
 * type (reported as its own row). Autovacuum would analyze a production database some time after such a
 * change; this ANALYZE stands for that (the machine's PostgreSQL may run with autovacuum off).
 */
import net from 'node:net';
import { Pool } from 'pg';
import { CpuMeter, CpuSplit, describeCpu } from './cpu';
import { labMessageSource, LabMessageSource } from './lab-messages';
import type { BenchOptions } from './options';
import { log, Progress } from './progress';
import type { PhaseMemory, ServerProcess } from './server-process';
import { LatencySummary, summarize } from './stats';

export interface MllpRun {
  path: 'Tonet MLLP' | 'raw INSERT';
  connections: number;
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  /** ACKs by MSA-1 (AA, AE, AR; CA, CE, CR in enhanced mode); empty for the raw path. */
  acks: Record<string, number>;
  /** ACKs other than AA (CA in enhanced mode): messages not accepted. */
  nonAA: number;
  /** Send to ACK (raw: INSERT round trip), ms; for the paced phase from the scheduled send time. Absent for the flood. */
  latency?: LatencySummary;
  cpu: CpuSplit;
}

export interface MllpResult {
  facilityCode: string;
  patients: number;
  /** The first messages, with the statistics of step 2 (see the module comment). */
  warmup: MllpRun;
  raw: MllpRun[];
  tonet: MllpRun[];
  paced: MllpRun & { targetRate: number };
  /** MSH-15 AL: send to CA; then how long the worker took to map them all from the inbox. */
  enhanced: MllpRun & { mappedSeconds: number };
  flood?: MllpRun & { memory: PhaseMemory; unacknowledged: number; connectionErrors: string[] };
  /** inbox_message rows stored as processed at the end, against the AAs counted. */
  inboxProcessed: number;
  acceptedTotal: number;
  /** The first non-AA ACK seen, for diagnosis. */
  firstRejection?: string;
}

/** 医療機関コード medical institution code of the benchmark's sending facility (not one of the data set's). */
const FACILITY_CODE = '1390000019';
const FACILITY_SYSTEM = 'http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no';
/** A phase that sees no ACK for this long is stuck; it is stopped rather than left to hang the run. */
const STALL_MS = 60_000;
const WARMUP_MESSAGES = 500;

export async function mllpBench(options: BenchOptions, server: ServerProcess, pool: Pool): Promise<MllpResult> {
  const source = labMessageSource(options.seed, options.mllpPatients);
  const gateway = await createGateway(server);
  const connections = options.mllpConnections;
  const count = options.mllpMessages;
  const acks = new AckTally();

  const warmupCount = Math.min(WARMUP_MESSAGES, count);
  const warmup = await tonetClosedLoop(options, server, source, await gateway.token(), acks, 0, warmupCount, 1, 'warm-up, statistics of step 2');
  await pool.query('ANALYZE');
  // Message indexes: [0, warm-up), then count for each throughput phase, half of count paced, then the flood.
  const first = warmupCount;

  const rawPool = new Pool({ connectionString: pool.options.connectionString, max: connections });
  const raw: MllpRun[] = [];
  try {
    await rawPool.query('CREATE TABLE mllp_raw_inbox (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT now(), raw bytea NOT NULL)');
    const token = await gateway.token();
    for (const [from, n] of [[first, 1], [first + count, connections]]) {
      raw.push(await closedLoop(options, server, 'raw INSERT', from, count, n, undefined, async (_worker, index) => {
        await rawPool.query('INSERT INTO mllp_raw_inbox (raw) VALUES ($1)', [source.message(index, token)]);
        return undefined;
      }));
    }
  } finally {
    await rawPool.end();
  }

  const tonet: MllpRun[] = [];
  for (const [from, n] of [[first, 1], [first + count, connections]]) {
    tonet.push(await tonetClosedLoop(options, server, source, await gateway.token(), acks, from, count, n));
  }

  const targetRate = tonet[1].messagesPerSecond / 2;
  const paced = await tonetPaced(options, server, source, await gateway.token(), acks, first + 2 * count, Math.max(1, Math.round(count / 2)), targetRate);

  const enhancedFirst = first + 2 * count + paced.messages;
  const enhancedRun = await tonetClosedLoop(options, server, enhancedSource(source), await gateway.token(), acks, enhancedFirst, count, connections, 'enhanced mode, MSH-15 AL: CA after the inbox write');
  const mappedSeconds = await untilMapped(pool, enhancedRun.seconds);
  log(`MLLP enhanced mode: the worker mapped the last accepted message ${mappedSeconds.toFixed(1)} s after the first was sent`);

  let flood: MllpResult['flood'];
  if (options.mllpFlood > 0) {
    const token = await gateway.token();
    const watched = await server.memory.during(() => tonetFlood(options, server, source, token, acks, enhancedFirst + count, options.mllpFlood));
    flood = { ...watched.result, memory: watched.memory };
    log(`MLLP flood: server RSS start ${watched.memory.startRssMb} MB, peak ${watched.memory.peakRssMb} MB, end ${watched.memory.endRssMb} MB`);
  }

  const [{ processed }] = (await pool.query<{ processed: number }>(`SELECT count(*)::int AS processed FROM inbox_message WHERE status = 'processed' AND transport = 'mllp'`)).rows;
  if (processed !== acks.accepted) log(`warning: ${acks.accepted} AA ACKs counted but ${processed} processed MLLP messages in inbox_message`);
  return { facilityCode: FACILITY_CODE, patients: options.mllpPatients, warmup, raw, tonet, paced: { ...paced, targetRate }, enhanced: { ...enhancedRun, mappedSeconds }, flood, inboxProcessed: processed, acceptedTotal: acks.accepted, firstRejection: acks.firstRejection };
}

/** The same messages asking for enhanced mode: MSH-15 (accept acknowledgment type) AL after MSH-12. */
function enhancedSource(source: LabMessageSource): LabMessageSource {
  return { message: (index, token) => Buffer.from(source.message(index, token).toString('utf8').replace('|P|2.5\r', '|P|2.5|||AL\r'), 'utf8') };
}

/** A worker that maps nothing for this long is stuck, and the run says so instead of waiting for ever. */
const MAPPING_STALL_MS = 60_000;

/**
 * Waits until no message is left accepted and unmapped, showing how many are mapped; answers the seconds since
 * the phase began (`sent` seconds ago).
 */
async function untilMapped(pool: Pool, sent: number): Promise<number> {
  const started = performance.now() - sent * 1000;
  const waitingNow = async () => (await pool.query<{ waiting: number }>(`SELECT count(*)::int AS waiting FROM inbox_message WHERE status = 'accepted'`)).rows[0].waiting;
  const atStart = await waitingNow();
  const progress = new Progress('MLLP enhanced mode: mapping by the inbox worker', atStart, 'messages');
  let waiting = atStart;
  let lastChange = performance.now();
  while (waiting > 0) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await waitingNow();
    if (now < waiting) lastChange = performance.now();
    else if (performance.now() - lastChange > MAPPING_STALL_MS) throw new Error(`the inbox worker mapped nothing for ${MAPPING_STALL_MS / 1000} s with ${now} messages still accepted`);
    waiting = now;
    progress.update(atStart - waiting);
  }
  const seconds = (performance.now() - started) / 1000;
  progress.done(`all mapped ${seconds.toFixed(1)} s after the first was sent`);
  return seconds;
}

export interface Gateway {
  /** The sending facility, `Organization/<id>`. */
  organization: string;
  /** A fresh access token for MSH-8 (one per phase: a long flood can outlive a token). */
  token(): Promise<string>;
}

/** An Organization with the facility code, and a gateway client for it, through the admin API. */
export async function createGateway(server: ServerProcess): Promise<Gateway> {
  const admin = async (urlPath: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${server.url}${urlPath}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': urlPath.startsWith('/fhir') ? 'application/fhir+json' : 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`POST ${urlPath}: HTTP ${res.status} ${(await res.text()).slice(0, 500)}`);
    return (await res.json()) as Record<string, unknown>;
  };
  const organization = await admin('/fhir/Organization', { resourceType: 'Organization', name: 'ベンチ検査センター', identifier: [{ system: FACILITY_SYSTEM, value: FACILITY_CODE }] });
  const client = await admin('/admin/clients', { name: 'bench lab gateway', role: 'gateway', organization: `Organization/${organization.id as string}` });
  return {
    organization: `Organization/${organization.id as string}`,
    async token() {
      const res = await fetch(`${server.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id as string, client_secret: client.client_secret as string }),
      });
      if (res.status !== 200) throw new Error(`gateway token: HTTP ${res.status} ${await res.text()}`);
      return ((await res.json()) as { access_token: string }).access_token;
    },
  };
}

/** ACK codes over the whole step, plus one phase's share of them. */
class AckTally {
  accepted = 0;
  firstRejection?: string;

  phase(): { count(ack: string): void; codes: Record<string, number>; nonAA(): number } {
    const codes: Record<string, number> = {};
    return {
      codes,
      count: (ack: string) => {
        const code = ack.split('\r').find((l) => l.startsWith('MSA'))?.split('|')[1] || 'none';
        codes[code] = (codes[code] ?? 0) + 1;
        if (code === 'AA' || code === 'CA') this.accepted++;
        else if (!this.firstRejection) {
          this.firstRejection = ack.replace(/\r/g, '\n');
          log(`first non-AA ACK:\n${this.firstRejection}`);
        }
      },
      nonAA: () => Object.entries(codes).reduce((sum, [code, n]) => sum + (code === 'AA' || code === 'CA' ? 0 : n), 0),
    };
  }
}

async function tonetClosedLoop(options: BenchOptions, server: ServerProcess, source: LabMessageSource, token: string, acks: AckTally, first: number, count: number, connections: number, note?: string): Promise<MllpRun> {
  const sockets = await Promise.all(Array.from({ length: connections }, () => MllpConnection.connect(server.mllpPort)));
  const tally = acks.phase();
  try {
    const run = await closedLoop(options, server, 'Tonet MLLP', first, count, connections, note, async (worker, index) => {
      const ack = await sockets[worker].send(source.message(index, token)).ack;
      tally.count(ack);
      return ack;
    }, () => sockets.forEach((s) => s.destroy()));
    return { ...run, acks: tally.codes, nonAA: tally.nonAA() };
  } finally {
    sockets.forEach((s) => s.close());
  }
}

/** Each worker sends its next message when the last one's answer is in. */
async function closedLoop(
  options: BenchOptions,
  server: ServerProcess,
  path: MllpRun['path'],
  first: number,
  count: number,
  workers: number,
  note: string | undefined,
  send: (worker: number, index: number) => Promise<string | undefined>,
  abort?: () => void
): Promise<MllpRun> {
  const label = `MLLP ${path}, ${workers} connection(s)${note ? ` (${note})` : ''}`;
  const progress = new Progress(label, count, 'messages');
  const cpu = new CpuMeter(server.pid, options.database);
  const latencies: number[] = [];
  let next = first;
  let done = 0;
  const stall = abort ? watchStall(label, () => done, abort) : undefined;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: workers }, async (_, worker) => {
        while (next < first + count) {
          const index = next++;
          const sentAt = performance.now();
          await send(worker, index);
          latencies.push(performance.now() - sentAt);
          progress.update(++done);
        }
      })
    );
  } finally {
    if (stall) clearInterval(stall);
  }
  const seconds = (performance.now() - started) / 1000;
  const run: MllpRun = { path, connections: workers, messages: count, seconds, messagesPerSecond: count / seconds, acks: {}, nonAA: 0, latency: summarize(latencies), cpu: cpu.read() };
  progress.done(`${Math.round(run.messagesPerSecond).toLocaleString('en-US')} messages/s, p50 ${run.latency?.p50.toFixed(1)} ms, p99 ${run.latency?.p99.toFixed(1)} ms; ${describeCpu(run.cpu)}`);
  return run;
}

/**
 * Open-loop sending at `rate`: message i is due at start + i / rate and goes out on a free connection then,
 * or, when all connections wait for ACKs, as soon as one is free; latency counts from the due time.
 */
async function tonetPaced(options: BenchOptions, server: ServerProcess, source: LabMessageSource, token: string, acks: AckTally, first: number, count: number, rate: number): Promise<MllpRun> {
  const label = `MLLP Tonet paced at ${Math.round(rate)} messages/s, ${options.mllpConnections} connections`;
  const sockets = await Promise.all(Array.from({ length: options.mllpConnections }, () => MllpConnection.connect(server.mllpPort)));
  const tally = acks.phase();
  const progress = new Progress(label, count, 'messages');
  const cpu = new CpuMeter(server.pid, options.database);
  const latencies: number[] = [];
  const interval = 1000 / rate;
  let done = 0;
  const stall = watchStall(label, () => done, () => sockets.forEach((s) => s.destroy()));
  const started = performance.now();
  try {
    await new Promise<void>((resolve, reject) => {
      const idle = [...sockets];
      const backlog: { index: number; due: number }[] = [];
      const dispatch = (socket: MllpConnection, job: { index: number; due: number }) => {
        socket.send(source.message(job.index, token)).ack.then((ack) => {
          latencies.push(performance.now() - job.due);
          tally.count(ack);
          progress.update(++done);
          if (done === count) return resolve();
          const queued = backlog.shift();
          if (queued) dispatch(socket, queued);
          else idle.push(socket);
        }, reject);
      };
      let due = 0;
      const tick = () => {
        while (due < count && started + due * interval <= performance.now()) {
          const job = { index: first + due, due: started + due * interval };
          due++;
          const socket = idle.pop();
          if (socket) dispatch(socket, job);
          else backlog.push(job);
        }
        if (due < count) setTimeout(tick, Math.max(0, started + due * interval - performance.now()));
      };
      tick();
    });
  } finally {
    clearInterval(stall);
    sockets.forEach((s) => s.close());
  }
  const seconds = (performance.now() - started) / 1000;
  const run: MllpRun = { path: 'Tonet MLLP', connections: options.mllpConnections, messages: count, seconds, messagesPerSecond: count / seconds, acks: tally.codes, nonAA: tally.nonAA(), latency: summarize(latencies), cpu: cpu.read() };
  progress.done(`${Math.round(run.messagesPerSecond)} messages/s, ACK p50 ${run.latency?.p50.toFixed(1)} ms, p99 ${run.latency?.p99.toFixed(1)} ms; ${describeCpu(run.cpu)}`);
  return run;
}

/** Every connection writes its share as fast as its socket takes it (waiting only for 'drain'), ACKs counted as they come. */
async function tonetFlood(options: BenchOptions, server: ServerProcess, source: LabMessageSource, token: string, acks: AckTally, first: number, count: number): Promise<MllpRun & { unacknowledged: number; connectionErrors: string[] }> {
  const label = `MLLP Tonet flood, ${options.mllpConnections} connections`;
  const sockets = await Promise.all(Array.from({ length: options.mllpConnections }, () => MllpConnection.connect(server.mllpPort)));
  const tally = acks.phase();
  const progress = new Progress(label, count, 'ACKs');
  const cpu = new CpuMeter(server.pid, options.database);
  let next = first;
  let done = 0;
  let unacknowledged = 0;
  const connectionErrors: string[] = [];
  const stall = watchStall(label, () => done, () => sockets.forEach((s) => s.destroy()));
  const started = performance.now();
  try {
    await Promise.all(
      sockets.map(async (socket) => {
        const pending: Promise<void>[] = [];
        try {
          while (next < first + count) {
            const sent = socket.send(source.message(next++, token));
            pending.push(sent.ack.then((ack) => {
              tally.count(ack);
              progress.update(++done);
            }, () => {
              unacknowledged++;
            }));
            if (!sent.written) await socket.drained();
          }
        } catch (err) {
          // A closed connection ends this connection's share; the other connections go on.
          connectionErrors.push((err as Error).message);
        }
        await Promise.all(pending);
      })
    );
  } finally {
    clearInterval(stall);
    sockets.forEach((s) => s.close());
  }
  const seconds = (performance.now() - started) / 1000;
  const run = { path: 'Tonet MLLP' as const, connections: options.mllpConnections, messages: count, seconds, messagesPerSecond: done / seconds, acks: tally.codes, nonAA: tally.nonAA(), cpu: cpu.read(), unacknowledged, connectionErrors };
  if (unacknowledged || connectionErrors.length) log(`${label}: ${unacknowledged} messages without ACK, ${connectionErrors.length} connection(s) lost: ${[...new Set(connectionErrors)].join('; ')}`);
  progress.done(`${Math.round(run.messagesPerSecond)} ACKs/s; ${describeCpu(run.cpu)}`);
  return run;
}

function watchStall(label: string, done: () => number, abort: () => void): NodeJS.Timeout {
  let last = done();
  let lastChange = performance.now();
  return setInterval(() => {
    if (done() !== last) {
      last = done();
      lastChange = performance.now();
    } else if (performance.now() - lastChange > STALL_MS) {
      log(`${label}: no answer for ${STALL_MS / 1000} s; closing the connections`);
      abort();
    }
  }, 1000);
}

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;

/** One MLLP connection; ACKs arrive in the order of the messages, so they are matched by position. */
export class MllpConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly waiting: { resolve(ack: string): void; reject(err: Error): void }[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      for (;;) {
        const start = this.buffer.indexOf(VT);
        const end = start < 0 ? -1 : this.buffer.indexOf(FS, start + 1);
        if (end < 0) break;
        const ack = this.buffer.subarray(start + 1, end).toString('utf8');
        this.buffer = this.buffer.subarray(end + (this.buffer[end + 1] === CR ? 2 : 1));
        this.waiting.shift()?.resolve(ack);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      for (const w of this.waiting.splice(0)) w.reject(new Error('the server closed the MLLP connection before acknowledging'));
    });
  }

  static connect(port: number): Promise<MllpConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve(new MllpConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  /** `written` is false when the socket's buffer is full: wait for drained() before writing more. */
  send(message: Buffer): { written: boolean; ack: Promise<string> } {
    if (this.socket.destroyed) throw new Error('the MLLP connection is closed');
    const ack = new Promise<string>((resolve, reject) => this.waiting.push({ resolve, reject }));
    const written = this.socket.write(Buffer.concat([Buffer.from([VT]), message, Buffer.from([FS, CR])]));
    return { written, ack };
  }

  drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done).off('close', done);
        resolve();
      };
      this.socket.once('drain', done).once('close', done);
    });
  }

  close(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
