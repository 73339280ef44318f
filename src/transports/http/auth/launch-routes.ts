/**
 * SMART EHR launch: a practitioner working in an EHR (the console, or a facility's own system holding the
 * practitioner's token) opens a SMART app on the patient in front of them. `POST /smart/launch` records that
 * context under an opaque, short-lived `launch` id bound to the practitioner; the app passes it to /oidc/auth
 * with the `launch` scope, and the token response names the patient. The practitioner must be able to see
 * the patient now (the consent service decides), and the launch is audited like a read.
 */
import type { FastifyInstance } from 'fastify';
import type { AuditTrail } from '../../../audit/types';
import { badRequest, forbidden } from '../../../core/errors';
import { authenticate } from '../app';
import type { RequestContext } from '../../../core/context';
import type { LaunchContexts } from '../../../auth/oidc/launch';
import type { TokenService } from '../../../auth/tokens';

export function registerLaunchRoutes(
  app: FastifyInstance,
  tokens: TokenService,
  audit: AuditTrail,
  launches: LaunchContexts,
  readPatient: (ctx: RequestContext, id: string) => Promise<unknown>,
  fhirBase: string
): void {
  app.post('/smart/launch', async (request, reply) => {
    const ctx = await authenticate(tokens, request);
    if (!ctx.person?.startsWith('Practitioner/')) throw forbidden('An EHR launch is opened by a practitioner who logged in');
    const patient = String((request.body as { patient?: unknown } | undefined)?.patient ?? '');
    const id = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(patient)?.[1];
    if (!id) throw badRequest('patient must be "Patient/<id>"', ['patient']);
    // A patient the practitioner may not see is answered as missing (404), as a read would be.
    await readPatient(ctx, id);
    const launch = await launches.open({ person: ctx.person, organization: ctx.organization, patient });
    await audit.append({ ctx, action: 'operation', patientIds: [id], entities: [patient], outcome: '0', description: `SMART EHR launch on ${patient}`, remoteAddress: request.ip });
    return reply.status(201).header('Cache-Control', 'no-store').send({ launch, iss: fhirBase });
  });
}
