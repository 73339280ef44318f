/**
 * SMART EHR launch over HTTP: `POST /smart/launch` opens a launch on a patient for the practitioner who
 * calls (auth/oidc/launch-opener.ts decides and audits); the app passes the `launch` id to /oidc/auth with
 * the `launch` scope, and the token response names the patient.
 */
import type { FastifyInstance } from 'fastify';
import { authenticate } from '../app';
import type { LaunchOpener } from '../../../auth/oidc/launch-opener';
import type { TokenService } from '../../../auth/tokens';

export function registerLaunchRoutes(app: FastifyInstance, tokens: TokenService, launches: LaunchOpener, fhirBase: string): void {
  app.post('/smart/launch', async (request, reply) => {
    const ctx = await authenticate(tokens, request);
    const launch = await launches.open(ctx, String((request.body as { patient?: unknown } | undefined)?.patient ?? ''));
    return reply.status(201).header('Cache-Control', 'no-store').send({ launch, iss: fhirBase });
  });
}
