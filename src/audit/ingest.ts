/**
 * The audit entry for an accepted HL7 v2 message (MLLP, POST /hl7/v2, SS-MIX2 import, replay): one per
 * message, naming every patient whose data it wrote, so the resident's access log shows what each facility
 * sent about them as it shows FHIR writes.
 */
import type { Bundle } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import { patientsOf } from '../core/compartments';
import { MAX_ENTITIES } from './types';
import type { AuditEntry } from './types';

export function ingestEntry(ctx: RequestContext, response: Bundle, description: string): AuditEntry {
  const written = (response.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
  return {
    ctx,
    action: 'transaction',
    patientIds: [...new Set(written.flatMap(patientsOf))],
    entities: [...new Set(written.filter((r) => r.id).map((r) => `${r.resourceType}/${r.id}`))].slice(0, MAX_ENTITIES),
    outcome: '0',
    description,
    remoteAddress: ctx.remoteAddress,
  };
}
