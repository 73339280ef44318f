/**
 * Probes for a supervisor: `/healthz` (liveness) answers while the process serves HTTP at all, so a restart
 * is never ordered for a database outage a restart would not cure; `/readyz` (readiness) answers 200 only
 * while the database answers and holds every migration this build ships, else 503 with Retry-After.
 */
import type { FastifyInstance } from 'fastify';
import { databaseUnavailable } from '../../store/db/faults';
import { outcome } from '../../core/errors';
import { FHIR_JSON, RETRY_AFTER_SECONDS } from './app';

/** pendingMigrations: the shipped migrations the database lacks (store/schema-status.ts), throwing when it cannot be asked. */
export function registerHealthRoutes(app: FastifyInstance, pendingMigrations: () => Promise<number[]>): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const notReady = (reason: string) => reply.status(503).header('Retry-After', String(RETRY_AFTER_SECONDS)).type(FHIR_JSON).send(outcome('error', 'transient', `Not ready: ${reason}`));
    let pending: number[];
    try {
      pending = await pendingMigrations();
    } catch (err) {
      return notReady(databaseUnavailable(err) ?? `the database check failed (${(err as Error).message})`);
    }
    if (pending.length) return notReady(`migrations not applied: ${pending.join(', ')} (run tonet migrate)`);
    return { status: 'ready' };
  });
}
