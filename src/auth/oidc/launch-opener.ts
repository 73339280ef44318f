/**
 * Opening a SMART EHR launch: a practitioner working in an EHR (the console, or a facility's own system
 * holding the practitioner's token) opens a SMART app on the patient in front of them. The context is kept
 * under an opaque, short-lived `launch` id bound to the practitioner (launch.ts). The practitioner must be
 * able to see the patient now (the consent service decides), and the launch records its own audit entry,
 * as a read would.
 */
import type { AuditTrail } from '../../audit/types';
import type { RequestContext } from '../../core/context';
import { badRequest, forbidden } from '../../core/errors';
import type { LaunchContexts } from './launch';

export class LaunchOpener {
  constructor(
    private readonly launches: LaunchContexts,
    private readonly audit: AuditTrail,
    /** Reads the Patient as the caller; a patient the caller may not see is answered as missing (404), as a read would be. */
    private readonly readPatient: (ctx: RequestContext, id: string) => Promise<unknown>
  ) {}

  /** The launch id for `patient` ("Patient/<id>"). */
  async open(ctx: RequestContext, patient: string): Promise<string> {
    if (!ctx.person?.startsWith('Practitioner/')) throw forbidden('An EHR launch is opened by a practitioner who logged in');
    const id = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(patient)?.[1];
    if (!id) throw badRequest('patient must be "Patient/<id>"', ['patient']);
    await this.readPatient(ctx, id);
    const launch = await this.launches.open({ person: ctx.person, organization: ctx.organization, patient });
    await this.audit.append({ ctx, action: 'operation', patientIds: [id], entities: [patient], outcome: '0', description: `SMART EHR launch on ${patient}`, remoteAddress: ctx.remoteAddress });
    return launch;
  }
}
