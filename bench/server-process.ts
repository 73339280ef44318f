/**
 * Tonet as its own process (`bin/tonet serve`, which execs node with the shipped heap bounds), so that its memory is measured alone:
 * resident set from /proc/<pid>/status, the peak (VmHWM) reset at the start of each phase through
 * /proc/<pid>/clear_refs, and a sampler that also keeps the highest VmRSS it saw as a cross-check.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, AddressInfo } from 'node:net';
import path from 'node:path';
import { log } from './progress';

export interface ServerProcess {
  url: string;
  fhirUrl: string;
  /** The HL7 v2 MLLP listener's port on 127.0.0.1. */
  mllpPort: number;
  pid: number;
  token: string;
  memory: MemoryWatch;
  stop(): Promise<void>;
}

const ADMIN_ID = 'bench-admin';
const ADMIN_SECRET = 'bench-admin-secret-0123456789';

export async function startServer(databaseUrl: string, cpuProfileDir?: string): Promise<ServerProcess> {
  const port = await freePort();
  const mllpPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const tonet = path.resolve(__dirname, '../../bin/tonet');
  provideVersionFile();
  const nodeOptions = process.env.BENCH_SERVER_NODE_OPTIONS ?? '';
  // Node refuses --cpu-prof in NODE_OPTIONS, and bin/tonet passes no flags of its own: a profiled server is
  // started as bin/tonet would start it (Node 24 of the `node` package, the same heap bounds), flags on the command line.
  const [command, args] = cpuProfileDir ? profiledCommand(cpuProfileDir, nodeOptions) : [tonet, ['serve']];
  const child = spawn(command, args, {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      MLLP_PORT: String(mllpPort),
      HOST: '127.0.0.1',
      TONET_BASE_URL: url,
      TONET_ADMIN_CLIENT_ID: ADMIN_ID,
      TONET_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
      LOG_LEVEL: process.env.BENCH_SERVER_LOG_LEVEL ?? 'warn',
      // Lets a run try V8 settings on the server alone (e.g. --max-old-space-size=192, which replaces bin/tonet's), not on the load generator.
      NODE_OPTIONS: nodeOptions.trim(),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  forward(child);
  let stopping = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      // A server that goes away mid-run (crash, OOM kill, someone else's kill) explains the errors that follow.
      if (!stopping) log(`warning: the server exited during the run (code ${code}, signal ${signal})`);
      resolve(code);
    })
  );
  await waitForHealth(url, exited);
  const token = await fetchToken(url);
  const pid = cpuProfileDir ? (child.pid as number) : serverPid(child.pid as number);
  return {
    url,
    fhirUrl: `${url}/fhir`,
    mllpPort,
    pid,
    token,
    memory: new MemoryWatch(pid),
    async stop() {
      stopping = true;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function profiledCommand(cpuProfileDir: string, nodeOptions: string): [string, string[]] {
  mkdirSync(cpuProfileDir, { recursive: true });
  const home = path.resolve(__dirname, '../..');
  const node = path.join(path.dirname(require.resolve('node/package.json', { paths: [home] })), 'bin', 'node');
  const heap = /max-old-space-size/.test(nodeOptions) ? [] : ['--max-old-space-size=256', '--max-semi-space-size=16'];
  return [node, [...heap, '--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`, path.join(home, 'dist', 'src', 'cli', 'main.js'), 'serve']];
}

/**
 * src/server.ts reads its version with require('../package.json'), which resolves beside src/ under ts-node
 * and jest but to dist/package.json in the build, where tsc puts no copy: `node dist/src/cli/main.js` then
 * fails at start. Until src/ ships the file, the benchmark puts it there.
 */
function provideVersionFile(): void {
  const target = path.resolve(__dirname, '../package.json');
  if (existsSync(target)) return;
  copyFileSync(path.resolve(__dirname, '../../package.json'), target);
  log('copied package.json to dist/ (the compiled server requires ../package.json; see bench/README.md)');
}

/**
 * bin/tonet is a launcher that spawns the server on Node 24 with the heap bounds: the process to measure
 * (CPU, resident set) is its child, not the launcher (whose 46 MB would pass for the server's memory).
 */
function serverPid(launcher: number): number {
  const children = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  if (children.length !== 1) throw new Error(`expected bin/tonet (pid ${launcher}) to have one child process, found ${children.length}`);
  return Number(children[0]);
}

/** Server log lines go to our stderr, marked, so a failure in the server is visible in the run's output. */
function forward(child: ChildProcess): void {
  // Minified library sources in a stack trace can be a megabyte on one line; the start of each line is enough.
  const prefix = (chunk: Buffer) => chunk.toString('utf8').split('\n').filter(Boolean).map((l) => `[server] ${l.slice(0, 400)}\n`).join('');
  child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(prefix(chunk)));
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(prefix(chunk)));
}

async function waitForHealth(url: string, exited: Promise<number | null>): Promise<void> {
  let stopped: number | null | undefined;
  void exited.then((code) => (stopped = code));
  // A first start on the embedded database runs initdb and every migration: over a minute on a busy machine.
  for (let attempt = 0; attempt < 1800; attempt++) {
    if (stopped !== undefined) throw new Error(`the server exited with code ${stopped} before it was ready`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server did not become ready within 3 minutes');
}

async function fetchToken(url: string): Promise<string> {
  const res = await fetch(`${url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: ADMIN_ID, client_secret: ADMIN_SECRET }),
  });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface PhaseMemory {
  /** Resident set when the phase started and ended, MB. */
  startRssMb: number;
  endRssMb: number;
  /** Kernel's peak resident set during the phase (VmHWM after a reset), MB. */
  peakRssMb: number;
  /** Highest VmRSS the 100 ms sampler saw, MB (a cross-check when the peak cannot be reset). */
  sampledPeakRssMb: number;
  /** Whether VmHWM was reset at the start, i.e. whether peakRssMb belongs to this phase alone. */
  peakIsPerPhase: boolean;
}

export class MemoryWatch {
  /** The whole process lifetime's peak, never reset by us: the honest "peak RSS" of the server. */
  lifetimePeakMb = 0;

  constructor(private readonly pid: number) {}

  rssMb(): number {
    return this.status('VmRSS');
  }

  /** Runs fn while watching memory; the peak is this phase's own when the kernel lets us reset it. */
  async during<T>(fn: () => Promise<T>): Promise<{ result: T; memory: PhaseMemory }> {
    this.lifetimePeakMb = Math.max(this.lifetimePeakMb, this.status('VmHWM'));
    let peakIsPerPhase = true;
    try {
      // "5" resets the peak RSS counter (Linux ≥ 4.0, proc(5)).
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    } catch {
      peakIsPerPhase = false;
    }
    const startRssMb = this.rssMb();
    let sampledPeakRssMb = startRssMb;
    const timer = setInterval(() => {
      sampledPeakRssMb = Math.max(sampledPeakRssMb, this.rssMb());
    }, 100);
    try {
      const result = await fn();
      const peakRssMb = this.status('VmHWM');
      this.lifetimePeakMb = Math.max(this.lifetimePeakMb, peakRssMb);
      return { result, memory: { startRssMb, endRssMb: this.rssMb(), peakRssMb, sampledPeakRssMb, peakIsPerPhase } };
    } finally {
      clearInterval(timer);
    }
  }

  private status(field: 'VmRSS' | 'VmHWM'): number {
    const text = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    if (!m) {
      log(`warning: ${field} missing from /proc/${this.pid}/status`);
      return NaN;
    }
    return Math.round(Number(m[1]) / 102.4) / 10;
  }
}
