/**
 * Starts a real Tonet on a real socket for a test file: on the embedded PGlite by default, or, when
 * DATABASE_URL is set, on a fresh PostgreSQL database created for this file and dropped afterwards.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AddressInfo, createServer } from 'node:net';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/core/logger';
import { buildServer, Tonet } from '../../src/server';
import { EMPTY_TEMPLATE_ENV, TEMPLATE_ENV } from './global-setup';
import { createTestDatabase } from './postgres';

export interface TestServer {
  tonet: Tonet;
  url: string;
  fhirUrl: string;
  mllpPort: number;
  adminToken: string;
  token(clientId: string, secret: string): Promise<string>;
  /** Creates a client with the admin token and returns a bearer token for it. */
  clientToken(input: { name?: string; role: string; organization?: string; patient?: string }): Promise<string>;
  close(): Promise<void>;
}

export const ADMIN_ID = 'test-admin';
export const ADMIN_SECRET = 'test-admin-secret';

/**
 * `hostname` is the name the server's public URL uses (WebAuthn needs a domain name such as localhost, not an IP);
 * `reach` rewrites the PostgreSQL URL the server is given (fault tests put a proxy they can cut in between).
 */
export async function startTestServer(env: Record<string, string> = {}, { hostname = '127.0.0.1', reach }: { hostname?: string; reach?: (databaseUrl: string) => string } = {}): Promise<TestServer> {
  const database = process.env.DATABASE_URL ? await createTestDatabase(process.env.DATABASE_URL, 'tonet_t') : undefined;
  const databaseUrl = database && reach ? reach(database.url) : database?.url;
  const port = await freePort();
  const mllpPort = await freePort();
  const config = {
    ...loadConfig({ ...env, PORT: String(port), TONET_BASE_URL: `http://${hostname}:${port}`, MLLP_PORT: String(mllpPort), LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', TONET_ADMIN_CLIENT_ID: ADMIN_ID, TONET_ADMIN_CLIENT_SECRET: ADMIN_SECRET }),
    databaseUrl,
    dataDir: env.TONET_DATA_DIR,
    host: '127.0.0.1',
    // A data folder that holds a database already is opened as it is.
    embeddedTemplate: !databaseUrl && !(env.TONET_DATA_DIR && fs.existsSync(path.join(env.TONET_DATA_DIR, 'PG_VERSION'))) ? embeddedTemplate() : undefined,
  };
  const tonet = await buildServer(config, createLogger(config.logLevel));
  await tonet.listen();
  const url = `http://${hostname}:${port}`;

  const token = async (clientId: string, secret: string): Promise<string> => {
    const res = await fetch(`${url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }),
    });
    if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const adminToken = await token(ADMIN_ID, ADMIN_SECRET);
  return {
    tonet,
    url,
    fhirUrl: `${url}/fhir`,
    mllpPort,
    adminToken,
    token,
    async clientToken(input) {
      const res = await fetch(`${url}/admin/clients`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: JSON.stringify({ name: input.name ?? `${input.role} client`, ...input }),
      });
      if (res.status !== 201) throw new Error(`client creation failed: ${res.status} ${await res.text()}`);
      const created = (await res.json()) as { client_id: string; client_secret: string };
      return token(created.client_id, created.client_secret);
    },
    async close() {
      await tonet.close();
      await database?.drop();
    },
  };
}

/** A port the OS just handed out, so links in responses can name the real socket before it is opened. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The migrated embedded database dumped by global-setup.ts (or, `empty`, the one initdb made), when there is one. */
export function embeddedTemplate(which: 'migrated' | 'empty' = 'migrated'): Blob | undefined {
  const file = process.env[which === 'empty' ? EMPTY_TEMPLATE_ENV : TEMPLATE_ENV];
  return file && fs.existsSync(file) ? new Blob([fs.readFileSync(file)]) : undefined;
}
