/**
 * Tonet started the way users start it: `bin/tonet serve` (the launcher `npm start` runs, with its shipped
 * heap bounds) as a child process on a real port. In-process test servers run without those bounds and
 * never see a request that would exhaust them. The launcher's dist/ is built once by global-setup.ts.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase } from './postgres';
import { freePort } from './server';

const ROOT = path.resolve(__dirname, '..', '..');

export interface ShippedServer {
  url: string;
  mllpPort: number;
  /** The embedded database's folder (TONET_DATA_DIR). */
  dataDir: string;
  process: ChildProcess;
  /** stderr so far (the server's fatal errors land there). */
  stderr(): string;
  token(clientId: string, secret: string): Promise<string>;
  adminToken(): Promise<string>;
  /** Stops the server (SIGTERM) and removes its data unless asked to keep it. */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** kill -9, then the same server started again on the same data and ports, as a supervisor restarts it. */
  killAndRestart(): Promise<ShippedServer>;
}

export const SHIPPED_ADMIN = { id: 'shipped-admin', secret: 'shipped-admin-secret' };

/** `embedded` keeps the server on PGlite even when the suite runs against PostgreSQL (DATABASE_URL). */
export async function startShippedServer(env: Record<string, string> = {}, options: { embedded?: boolean } = {}): Promise<ShippedServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonet-shipped-'));
  const database = process.env.DATABASE_URL && !options.embedded ? await createTestDatabase(process.env.DATABASE_URL, 'tonet_shipped') : undefined;
  return launch(env, dataDir, database, await freePort(), await freePort());
}

/** Resolves once nothing accepts connections on the port any more. */
async function portClosed(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (!open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} still open 10 s after kill -9`);
}

async function launch(env: Record<string, string>, dataDir: string, database: Awaited<ReturnType<typeof createTestDatabase>> | undefined, port: number, mllpPort: number): Promise<ShippedServer> {
  const databaseUrl = database?.url ?? '';
  let stderr = '';
  const child = spawn(path.join(ROOT, 'bin', 'tonet'), ['serve'], {
    env: {
      ...process.env,
      // The launcher's heap bounds apply only when NODE_OPTIONS names none (jest's own flags must not leak in).
      NODE_OPTIONS: '',
      PORT: String(port),
      MLLP_PORT: String(mllpPort),
      TONET_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      TONET_ADMIN_CLIENT_ID: SHIPPED_ADMIN.id,
      TONET_ADMIN_CLIENT_SECRET: SHIPPED_ADMIN.secret,
      // No demo unless a test asks for one: most only need the server.
      TONET_DEMO: 'off',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own process group, so that kill -9 reaches the server process and not only the launcher above it.
    detached: true,
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (options: { keepData?: boolean } = {}) => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (options.keepData) return;
    fs.rmSync(dataDir, { recursive: true, force: true });
    await database?.drop();
  };
  // A first start on the embedded database runs initdb and every migration: a minute or more on a busy machine.
  for (let i = 0; i < 1800; i++) {
    if (child.exitCode !== null) break;
    const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (up) {
      const token = async (clientId: string, secret: string) => {
        const res = await fetch(`${url}/oauth2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }) });
        if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
        return ((await res.json()) as { access_token: string }).access_token;
      };
      const killAndRestart = async () => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(-child.pid!, 'SIGKILL');
        await exited;
        // The launcher's exit is seen first; until the server below it is gone too, its socket would answer
        // the new one's health check.
        await portClosed(port);
        return launch(env, dataDir, database, port, mllpPort);
      };
      return { url, mllpPort, dataDir, process: child, stderr: () => stderr, token, adminToken: () => token(SHIPPED_ADMIN.id, SHIPPED_ADMIN.secret), stop, killAndRestart };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`the shipped server did not start: ${stderr}`);
}
