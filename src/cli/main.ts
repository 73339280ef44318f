#!/usr/bin/env node
/**
 * `tonet` command line: serve, migrate, and (in later issues) imports and audit checks.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { openDatabase } from '../db/database';
import { createLogger } from '../logger';
import { buildServer, VERSION } from '../server';

const HELP = `tonet ${VERSION}: regional health-information network server (FHIR R4)

Usage:
  tonet serve              start the HTTP server (default command)
  tonet migrate            apply database migrations and exit
  tonet --help | --version

Environment:
  PORT                     HTTP port (default 8080)
  DATABASE_URL             PostgreSQL URL; unset = embedded PGlite in TONET_DATA_DIR
  TONET_DATA_DIR           embedded database directory (default ./data)
  TONET_ADMIN_CLIENT_ID    bootstrap administrator client id (with TONET_ADMIN_CLIENT_SECRET)
  TONET_ADMIN_CLIENT_SECRET
  TONET_BASE_URL           public base URL for links (default http://localhost:PORT)
  TONET_BODY_LIMIT         largest request body in bytes (default 16 MB)
  TONET_JWT_SECRET         token signing secret (default: generated, kept in the database)
  LOG_LEVEL                pino level (default info)
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false, options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } } });
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
    default:
      process.stderr.write(`unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

async function serve(config: ReturnType<typeof loadConfig>): Promise<number> {
  const logger = createLogger(config.logLevel);
  const tonet = await buildServer(config, logger);
  if (tonet.generatedAdmin) {
    process.stderr.write(
      `\nAdministrator client created (shown only this once):\n  client_id:     ${tonet.generatedAdmin.clientId}\n  client_secret: ${tonet.generatedAdmin.clientSecret}\n\n`
    );
  }
  await tonet.http.listen({ port: config.port, host: config.host });
  logger.info({ port: config.port, database: tonet.db.kind, dataDir: config.dataDir }, 'tonet listening');
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`tonet: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  }
);
