/** Configuration read once from the environment; every other module receives it as a value. */
import { isIP } from 'node:net';
import path from 'node:path';
import type { MetricsAccess } from './transports/http/metrics';

export interface Config {
  port: number;
  host: string;
  /** PostgreSQL URL; undefined selects the embedded PGlite database in dataDir. */
  databaseUrl?: string;
  /** Where the embedded database lives; undefined (tests) keeps it in memory. */
  dataDir?: string;
  adminClientId?: string;
  adminClientSecret?: string;
  logLevel: string;
  /** Public base URL used in links (Location, Bundle.link, fullUrl). */
  baseUrl: string;
  /** Largest accepted request body, in bytes. */
  bodyLimit: number;
  /** Private P-256 JWK (JSON) signing access tokens; generated and kept in the database when unset. */
  signingKey?: string;
  tokenLifetimeSeconds: number;
  /** A person's login ends after this long without use (MHLW guideline 6.0: session limits). */
  sessionIdleSeconds: number;
  /** …and at the latest this long after logging in. */
  sessionAbsoluteSeconds: number;
  mllpPort: number;
  /** MLLP bounds: open connections, bytes of one frame, seconds of silence, seconds for one frame to arrive. */
  mllp: { maxConnections: number; maxFrameBytes: number; idleTimeoutMs: number; frameTimeoutMs: number };
  /**
   * The demo region at start: "auto" seeds it into an empty embedded database (never into PostgreSQL),
   * "off" never does. `tonet demo` seeds any server on request.
   */
  demo: 'auto' | 'off';
  /**
   * Browser origins allowed to call the API across origins (CORS), e.g. the console served from another
   * host; empty (the default) sends no CORS headers. "*" allows any origin: tokens travel as bearer headers,
   * never cookies, so no ambient credentials cross with it.
   */
  corsOrigins: string[];
  /**
   * Which peers are trusted proxies whose X-Forwarded-For names the real client (Fastify's trustProxy):
   * false (the default: the socket's peer is the client, a forged header is ignored), a hop count, or
   * addresses, CIDR ranges and the names loopback, linklocal, uniquelocal.
   */
  trustProxy: boolean | number | string[];
  /**
   * /metrics: "local" (default) answers a caller on the loopback address or with an administrator's token;
   * "admin" only the token; "open" anyone who reaches the port; "off" has no such route.
   */
  metrics: MetricsAccess;
  /** Start the embedded database from this dump (tests start many servers; initdb takes seconds). Not read from the environment. */
  embeddedTemplate?: Blob;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = intFrom(env.PORT, 8080, 'PORT');
  const host = env.HOST ?? '0.0.0.0';
  return {
    port,
    host,
    databaseUrl: env.DATABASE_URL || undefined,
    demo: demoFrom(env.TONET_DEMO),
    dataDir: env.DATABASE_URL ? undefined : path.resolve(env.TONET_DATA_DIR ?? './data'),
    adminClientId: env.TONET_ADMIN_CLIENT_ID || undefined,
    adminClientSecret: env.TONET_ADMIN_CLIENT_SECRET || undefined,
    logLevel: env.LOG_LEVEL ?? 'info',
    baseUrl: (env.TONET_BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    bodyLimit: intFrom(env.TONET_BODY_LIMIT, 16 * 1024 * 1024, 'TONET_BODY_LIMIT'),
    signingKey: env.TONET_SIGNING_KEY || undefined,
    tokenLifetimeSeconds: intFrom(env.TONET_TOKEN_LIFETIME, 3600, 'TONET_TOKEN_LIFETIME'),
    sessionIdleSeconds: intFrom(env.TONET_SESSION_IDLE, 30 * 60, 'TONET_SESSION_IDLE'),
    sessionAbsoluteSeconds: intFrom(env.TONET_SESSION_ABSOLUTE, 8 * 60 * 60, 'TONET_SESSION_ABSOLUTE'),
    mllpPort: intFrom(env.MLLP_PORT, 2575, 'MLLP_PORT'),
    mllp: {
      maxConnections: intFrom(env.MLLP_MAX_CONNECTIONS, 100, 'MLLP_MAX_CONNECTIONS'),
      maxFrameBytes: intFrom(env.MLLP_MAX_FRAME_BYTES, intFrom(env.TONET_BODY_LIMIT, 16 * 1024 * 1024, 'TONET_BODY_LIMIT'), 'MLLP_MAX_FRAME_BYTES'),
      idleTimeoutMs: intFrom(env.MLLP_IDLE_TIMEOUT, 600, 'MLLP_IDLE_TIMEOUT') * 1000,
      frameTimeoutMs: intFrom(env.MLLP_FRAME_TIMEOUT, 60, 'MLLP_FRAME_TIMEOUT') * 1000,
    },
    corsOrigins: corsOriginsFrom(env.TONET_CORS_ORIGINS),
    trustProxy: trustProxyFrom(env.TONET_TRUST_PROXY),
    metrics: metricsFrom(env.TONET_METRICS),
  };
}

function intFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') {
    return fallback;
  }
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  }
  return parsed;
}

function demoFrom(value: string | undefined): 'auto' | 'off' {
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'off' || value === '0') return 'off';
  throw new Error(`TONET_DEMO must be "auto" or "off", not "${value}"`);
}

function corsOriginsFrom(value: string | undefined): string[] {
  const origins = (value ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of origins) {
    if (origin === '*') continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    // An origin is scheme, host and port only: a path or a trailing slash would never match a browser's Origin header.
    if (!parsed || parsed.origin !== origin) throw new Error(`TONET_CORS_ORIGINS must list origins like https://console.example.jp (scheme://host[:port], no path), not "${origin}"`);
  }
  return origins;
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function trustProxyFrom(value: string | undefined): boolean | number | string[] {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address);
    const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (!PROXY_NAMES.includes(entry) && (!family || !prefixOk || extra !== undefined)) {
      throw new Error(`TONET_TRUST_PROXY must be true, a hop count, or a comma list of addresses, CIDR ranges and ${PROXY_NAMES.join(', ')}; "${entry}" is none of these`);
    }
  }
  return entries;
}

function metricsFrom(value: string | undefined): MetricsAccess {
  if (value === undefined || value === '') return 'local';
  if (value === 'local' || value === 'admin' || value === 'open' || value === 'off') return value;
  throw new Error(`TONET_METRICS must be local, admin, open or off, not "${value}"`);
}
