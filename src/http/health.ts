/**
 * Probes for a supervisor: `/healthz` (liveness) answers while the process serves HTTP at all, so a restart
 * is never ordered for a database outage a restart would not cure; `/readyz` (readiness) answers 200 only
 * while the database answers and holds every migration this build ships, else 503 with Retry-After.
 */
import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/db/database';
import { databaseUnavailable } from '../store/db/faults';
import { migrationVersions, VERSION_TABLE } from '../store/db/migrate';
import { raw, sql } from '../core/sql';
import { outcome } from '../core/errors';
import { FHIR_JSON, RETRY_AFTER_SECONDS } from './app';

export function registerHealthRoutes(app: FastifyInstance, db: Db): void {
  const shipped = migrationVersions();
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const notReady = (reason: string) => reply.status(503).header('Retry-After', String(RETRY_AFTER_SECONDS)).type(FHIR_JSON).send(outcome('error', 'transient', `Not ready: ${reason}`));
    let pending: number[];
    try {
      const [{ recorded }] = await db.query<{ recorded: boolean }>(sql`SELECT to_regclass(${VERSION_TABLE}) IS NOT NULL AS recorded`);
      const applied = recorded ? new Set((await db.query<{ version: string }>(sql`SELECT version::text AS version FROM ${raw(VERSION_TABLE)}`)).map((r) => Number(r.version))) : new Set<number>();
      pending = shipped.filter((v) => !applied.has(v));
    } catch (err) {
      return notReady(databaseUnavailable(err) ?? `the database check failed (${(err as Error).message})`);
    }
    if (pending.length) return notReady(`migrations not applied: ${pending.join(', ')} (run tonet migrate)`);
    return { status: 'ready' };
  });
}
