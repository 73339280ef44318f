/**
 * Patient/{id}/$disclosure (network office): the copy a resident may request of everything held about them,
 * from every facility, whatever the consents say: the regional Patient, every linked local record and every
 * resource in their compartments. Read in keyset chunks by rid.
 */
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { sql } from '../core/sql';
import { forbidden } from '../core/errors';
import type { OperationHandler } from '../fhir/router';
import type { AuditSink } from '../audit/types';
import { linkedPatientIds } from '../store/read-scope';

const CHUNK = 1000;

export function disclosureOperation(audit: AuditSink): OperationHandler {
  return {
    name: 'disclosure',
    levels: ['instance'],
    resourceTypes: ['Patient'],
    methods: ['GET', 'POST'],
    async handle({ ctx, repo, router, id }) {
      if (ctx.role !== 'admin') throw forbidden('Only the network office (admin) produces a disclosure copy');
      await repo.read(ctx, 'Patient', id as string);
      const entries: BundleEntry[] = [];
      let after = '0';
      for (;;) {
        const chunk = await repo.db.query<{ rid: string; resource_type: string; id: string; content: string }>(sql`
          SELECT r.rid::text AS rid, r.resource_type, r.id, r.content FROM resource r
          WHERE r.compartments && ${linkedPatientIds(id as string)} AND NOT r.deleted AND r.rid > ${after}::bigint
          ORDER BY r.rid LIMIT ${CHUNK}`);
        for (const row of chunk) entries.push({ fullUrl: `${router.baseUrl}/${row.resource_type}/${row.id}`, resource: JSON.parse(row.content) });
        if (chunk.length < CHUNK) break;
        after = chunk[chunk.length - 1].rid;
      }
      await audit.record(repo.db, {
        ctx,
        action: 'operation',
        patientIds: [id as string],
        entities: entries.map((e) => `${e.resource?.resourceType}/${e.resource?.id}`).slice(0, 1000),
        outcome: '0',
        description: `$disclosure of Patient/${id}: ${entries.length} resources`,
        remoteAddress: ctx.remoteAddress,
      });
      const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', timestamp: new Date().toISOString(), entry: entries };
      return { status: 200, resource: bundle };
    },
  };
}
