/**
 * Patient/{id}/$disclosure (the network office, or the resident themselves): the copy a resident may request of everything held about them,
 * from every facility, whatever the consents say: the regional Patient, every linked local record and every
 * resource in their compartments. The store reads it (store/read-models/disclosure.ts).
 */
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import type { OperationHandler } from '../fhir/router';
import type { AuditSink } from '../audit/types';
import type { DisclosureRecords } from '../store/read-models/disclosure';
import { assertMayStart } from '../consent/interactions';

export function disclosureOperation(audit: AuditSink, records: DisclosureRecords): OperationHandler {
  return {
    name: 'disclosure',
    levels: ['instance'],
    resourceTypes: ['Patient'],
    methods: ['GET', 'POST'],
    async handle({ ctx, repo, router, id }) {
      // A resident asks for their own copy from their screen (their regional Patient only); the office for anyone's.
      assertMayStart(ctx, 'disclosure', `Patient/${id}`);
      await repo.read(ctx, 'Patient', id as string);
      const entries: BundleEntry[] = (await records.heldAbout(id as string)).map((resource) => ({ fullUrl: `${router.baseUrl}/${resource.resourceType}/${resource.id}`, resource }));
      await audit.record(repo.connection, {
        ctx,
        action: 'operation',
        patientIds: [id as string],
        entities: entries.map((e) => `${e.resource?.resourceType}/${e.resource?.id}`).slice(0, 1000),
        outcome: '0',
        description: `$disclosure of Patient/${id}: ${entries.length} resources`,
        remoteAddress: ctx.remoteAddress,
      });
      const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', timestamp: new Date().toISOString(), entry: entries };
      return { status: 200, resource: bundle, audited: true };
    },
  };
}
