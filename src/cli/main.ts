#!/usr/bin/env node
/**
 * `tonet` command line: serve, migrate, imports and audit checks. Started by `bin/tonet`, which picks Node 24.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { runAccountCommand } from './accounts';
import { runClientCommand } from './clients';
import { stateDirectory } from './gateway-client';
import { importDicom } from './import-dicom';
import { importSsmix2 } from './import-ssmix2';
import { Progress } from './progress';
import { verifyAuditChain } from '../audit/verify';
import { AuditChain } from '../store/audit-log';
import { openDatabase } from '../store/db/open';
import { createLogger } from '../core/logger';
// Read here, not through ../server: the server and the demo are loaded by the commands that need them, so
// --help and the admin and import commands start in a fraction of the time.
import packageJson from '../../package.json';

const VERSION: string = packageJson.version;

const HELP = `tonet ${VERSION}: regional health-information network server (FHIR R4)

Usage:
  tonet serve              start the HTTP server (default command)
  tonet migrate            apply database migrations and exit
  tonet import ssmix2 <root> --server <url> --client-id <id> --client-secret <secret> [--state <file>]
                           send an SS-MIX2 standardized storage to a Tonet server as a gateway client
                           (resumable; exit status 4 when some files were rejected)
  tonet import dicom <dir> --server <url> --client-id <id> --client-secret <secret> [--state <file>]
                           send a folder of DICOM files (the nightly image batch) to a Tonet server over STOW-RS
                           (resumable; exit status 4 when some files failed)
  tonet demo --server <url> --client-id <id> --client-secret <secret>
                           seed the demo region into a running server as its administrator (npm start does
                           this by itself on an empty embedded database; TONET_DEMO=off stops it)
  tonet client list|create|deactivate <id>|rotate <id> --server <url> --client-id <admin id> --client-secret <admin secret>
                           the office's OAuth clients through the admin API: list (id, name, role, facility,
                           active, created); create --name <name> --role <role> [--organization Organization/<id>]
                           [--patient Patient/<id>] prints the new secret once; deactivate ends the client's
                           tokens at once; rotate prints a new secret once and ends the old one and its tokens
  tonet account list|create|suspend <user>|reactivate <user>|unlock <user>|offboard <user> --server <url> --client-id <admin id> --client-secret <admin secret>
                           the people who log in, through the admin API (every change audited): list (username,
                           name, kind, facilities, status, TOTP, lock); create --kind practitioner|resident|office
                           --username <u> --name <n> [--practitioner Practitioner/<id> --facility Organization/<id>:<role> …]
                           [--patient Patient/<id>] [--totp] prints the password (and TOTP secret) once; suspend,
                           reactivate, unlock and offboard name the account by username or id
  tonet audit verify       walk the audit trail's hash chain; prints OK with the count, or the first event
                           that does not match (exit status 3)
  tonet --help | --version

Environment:
  PORT                     HTTP port (default 8080)
  MLLP_PORT                HL7 v2 MLLP port (default 2575)
  DATABASE_URL             PostgreSQL URL; unset = embedded PGlite in TONET_DATA_DIR
  TONET_DATA_DIR           embedded database directory (default ./data)
  TONET_ADMIN_CLIENT_ID    bootstrap administrator client id (with TONET_ADMIN_CLIENT_SECRET)
  TONET_ADMIN_CLIENT_SECRET
  TONET_BASE_URL           public base URL for links (default http://localhost:PORT)
  TONET_BODY_LIMIT         largest request body in bytes (default 16 MB)
  TONET_SIGNING_KEY        private P-256 JWK signing tokens (default: generated, kept in the database)
  TONET_SESSION_IDLE       seconds a person's login lasts unused (default 1800)
  TONET_SESSION_ABSOLUTE   seconds a person's login lasts at most (default 28800)
  TONET_DEMO               auto (default: seed the demo region into an empty embedded database) or off
  TONET_STATE_DIR          where imports keep their resume state (default $XDG_STATE_HOME/tonet or ~/.local/state/tonet)
  TONET_CORS_ORIGINS       browser origins allowed to call the API across origins (comma list or *; default none)
  TONET_TRUST_PROXY        trusted proxies whose X-Forwarded-For names the client (addresses, CIDRs, loopback…, or a hop count; default off)
  TONET_METRICS            who may read /metrics: local (default: loopback or an admin token), admin, open, off
  LOG_LEVEL                pino level (default info)
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  server: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  state: { type: 'string' },
  name: { type: 'string' },
  role: { type: 'string' },
  organization: { type: 'string' },
  patient: { type: 'string' },
  kind: { type: 'string' },
  username: { type: 'string' },
  practitioner: { type: 'string' },
  facility: { type: 'string', multiple: true },
  totp: { type: 'boolean' },
} as const;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
  } catch (err) {
    // An unknown or malformed flag is an error: silently ignoring a mistyped --server would import elsewhere.
    process.stderr.write(`tonet: ${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = positionals[0] ?? 'serve';
  const config = loadConfig();
  switch (command) {
    case 'serve':
      return serve(config);
    case 'migrate': {
      const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      const applied = await db.migrate();
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      await db.close();
      return 0;
    }
    case 'import':
      return runImport(positionals.slice(1), values);
    case 'audit':
      return runAudit(positionals.slice(1), config);
    case 'demo':
      return runDemo(values);
    case 'client':
      return runClientCommand(positionals.slice(1), values, (text) => process.stdout.write(text), (text) => process.stderr.write(text));
    case 'account':
      return runAccountCommand(positionals.slice(1), values, (text) => process.stdout.write(text), (text) => process.stderr.write(text));
    default:
      process.stderr.write(`unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

async function runImport(args: string[], flags: { server?: string; 'client-id'?: string; 'client-secret'?: string; state?: string }): Promise<number> {
  const [kind, root] = args;
  if ((kind !== 'ssmix2' && kind !== 'dicom') || !root) {
    process.stderr.write(`usage: tonet import ssmix2|dicom <root> --server <url> --client-id <id> --client-secret <secret>\n`);
    return 2;
  }
  const server = flags.server ?? process.env.TONET_SERVER;
  const clientId = flags['client-id'] ?? process.env.TONET_CLIENT_ID;
  const clientSecret = flags['client-secret'] ?? process.env.TONET_CLIENT_SECRET;
  if (!server || !clientId || !clientSecret) {
    process.stderr.write('--server, --client-id and --client-secret are required\n');
    return 2;
  }
  if (kind === 'dicom') {
    const summary = await importDicom({ root, server, clientId, clientSecret, statePath: flags.state });
    process.stdout.write(
      `stored ${summary.stored}, failed ${summary.failed.length}, already imported ${summary.skipped}\n` + summary.failed.map((f) => `  failed ${f.file}: ${f.reason}\n`).join('')
    );
    return summary.failed.length ? 4 : 0;
  }
  const summary = await importSsmix2({ root, server, clientId, clientSecret, statePath: flags.state });
  process.stdout.write(
    `accepted ${summary.accepted}, rejected ${summary.rejected.length}, superseded (flag 2) ${summary.superseded}, already imported ${summary.skipped}\n` +
      summary.rejected.map((r) => `  rejected ${r.file}: ${r.reason}\n`).join('')
  );
  return summary.rejected.length ? 4 : 0;
}

async function runDemo(flags: { server?: string; 'client-id'?: string; 'client-secret'?: string }): Promise<number> {
  const server = flags.server ?? process.env.TONET_SERVER;
  const clientId = flags['client-id'] ?? process.env.TONET_CLIENT_ID;
  const clientSecret = flags['client-secret'] ?? process.env.TONET_CLIENT_SECRET;
  if (!server || !clientId || !clientSecret) {
    process.stderr.write('usage: tonet demo --server <url> --client-id <admin id> --client-secret <admin secret>\n');
    return 2;
  }
  const { describeDemo, seedDemoRegion } = await import('../demo/seed');
  const credentials = await seedDemoRegion(server, { clientId, clientSecret }, (step) => process.stderr.write(`demo: ${step}\n`));
  const file = path.join(stateDirectory(), 'demo-credentials.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  process.stderr.write(describeDemo(credentials));
  process.stdout.write(`credentials written to ${file}\n`);
  return 0;
}

async function runAudit(args: string[], config: ReturnType<typeof loadConfig>): Promise<number> {
  if (args[0] !== 'verify') {
    process.stderr.write('usage: tonet audit verify\n');
    return 2;
  }
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    let progress: Progress | undefined;
    const result = await verifyAuditChain(new AuditChain(db), (checked, total) => {
      progress ??= new Progress('audit verify', total);
      progress.update(checked, {});
    });
    progress?.finish(result.checked, {});
    if (result.ok) {
      process.stdout.write(`OK: ${result.checked} audit events, hash chain intact\n`);
      return 0;
    }
    process.stdout.write(`TAMPERED: audit event ${result.firstBadSeq}: ${result.reason} (${result.checked} events before it intact)\n`);
    return 3;
  } finally {
    await db.close();
  }
}

async function serve(config: ReturnType<typeof loadConfig>): Promise<number> {
  const logger = createLogger(config.logLevel);
  const { buildServer } = await import('../server');
  const tonet = await buildServer(config, logger);
  if (tonet.generatedAdmin) {
    process.stderr.write(
      `\nAdministrator client created (shown only this once):\n  client_id:     ${tonet.generatedAdmin.clientId}\n  client_secret: ${tonet.generatedAdmin.clientSecret}\n\n`
    );
  }
  const ports = await tonet.listen();
  logger.info({ ...ports, database: tonet.db.kind, dataDir: config.dataDir }, 'tonet listening');
  if (config.demo === 'auto') {
    const admin = tonet.generatedAdmin ?? (config.adminClientId && config.adminClientSecret ? { clientId: config.adminClientId, clientSecret: config.adminClientSecret } : undefined);
    const { seedDemoIfEmpty } = await import('../demo/start');
    await seedDemoIfEmpty({ embedded: tonet.db.kind === 'pglite', baseUrl: `http://127.0.0.1:${ports.httpPort}`, publicUrl: config.baseUrl, admin, credentialsDir: config.dataDir }, logger);
  }
  return new Promise((resolve) => {
    const stop = async (signal: string) => {
      logger.info({ signal }, 'shutting down');
      await tonet.close();
      resolve(0);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  });
}

// bin/tonet runs this process as its child over an IPC channel. Should the launcher die without passing a
// signal on (kill -9 by a supervisor), the channel closes and this process goes too, at once, as the kill
// meant, instead of staying behind orphaned on its ports, where the supervisor's restart could not bind.
if (process.channel) {
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`tonet: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  }
);
