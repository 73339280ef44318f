/**
 * GraphQL answers are audited like REST ones: every FHIR resource anywhere in the answer (timeline entries,
 * trends' sources, FHIR GraphQL objects with their ids) names the patients whose data was seen, as the
 * trail's patientsSeen finds them (patients.ts).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import type { AuditEntry } from './types';

const MAX_ENTITIES = 1000;

/**
 * The audit entry for a GraphQL answer, or undefined when it holds no patient data and changed nothing. `read`
 * are the resources the resolvers read (FHIR GraphQL objects in the answer carry no resourceType);
 * `selfAudited` the answer's top-level keys whose resolvers recorded their own entry, left out here.
 */
export async function graphqlEntry(patientsSeen: (resources: readonly Resource[]) => Promise<string[]>, ctx: RequestContext, operation: string, data: unknown, isMutation: boolean, read: Resource[] = [], selfAudited: ReadonlySet<string> = new Set()): Promise<AuditEntry | undefined> {
  const resources: Resource[] = [...read];
  const fields = data && typeof data === 'object' ? Object.entries(data as Record<string, unknown>) : [];
  const others = fields.filter(([key]) => !selfAudited.has(key));
  if (fields.length && !others.length && !read.length) return undefined;
  collect(fields.length ? others.map(([, value]) => value) : data, resources);
  const patientIds = await patientsSeen(resources);
  if (!patientIds.length && !isMutation) return undefined;
  return {
    ctx,
    action: isMutation ? 'operation' : 'search',
    patientIds,
    entities: [...new Set(resources.filter((r) => r.id).map((r) => `${r.resourceType}/${r.id}`))].slice(0, MAX_ENTITIES),
    outcome: '0',
    description: `GraphQL ${operation}`.slice(0, 1000),
    remoteAddress: ctx.remoteAddress,
  };
}

/** Anything shaped like a resource (a resourceType, or a typed FHIR GraphQL object with an id) counts. */
function collect(value: unknown, into: Resource[]): void {
  if (Array.isArray(value)) {
    for (const item of value) collect(item, into);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const record = value as Record<string, unknown>;
  if (typeof record.resourceType === 'string') into.push(record as unknown as Resource);
  for (const child of Object.values(record)) collect(child, into);
}
