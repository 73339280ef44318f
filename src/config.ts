/** Configuration read once from the environment; every other module receives it as a value. */
import path from 'node:path';

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
