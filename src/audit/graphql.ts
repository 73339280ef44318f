/**
 * GraphQL answers are audited like REST ones: every FHIR resource anywhere in the answer (timeline entries,
 * trends' sources, FHIR GraphQL objects with their ids) names the patients whose data was seen, as the
 * trail's patientsSeen finds them (patients.ts). `answerAudited` is the GraphQL twin of fhir/audited.ts: the
 * transports (HTTP and graphql-ws) run an operation through it and audit nothing themselves.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import type { AuditEntry, AuditTrail } from './types';

const MAX_ENTITIES = 1000;

/** What was asked, as the transport parsed it (this layer knows no GraphQL library). */
export interface AskedOperation {
  ctx: RequestContext;
  /** The operation's text, for the entry's description. */
  text: string;
  isMutation: boolean;
  /** The resources the resolvers read, filled in as they run (FHIR GraphQL objects in the answer carry no resourceType). */
  read: readonly Resource[];
  /** The answer's top-level keys whose resolvers recorded their own entry, filled in as they run; left out here. */
  selfAudited: ReadonlySet<string>;
}

/** A GraphQL result: what the execution answered under `data`. */
export interface GraphqlResult {
  data?: unknown;
}

/**
 * Runs the operation and appends the one entry of its answer (when it showed patient data or changed
 * anything) before the answer leaves; if the entry cannot be appended, the answer fails rather than go
 * unrecorded. `resultOf` finds the GraphQL result in the transport's answer: undefined when the answer holds
 * none (a page instead of a result), and then nothing ran and nothing is recorded.
 */
export async function answerAudited<Answer>(trail: AuditTrail, asked: AskedOperation, execute: () => Promise<Answer>, resultOf: (answer: Answer) => GraphqlResult | undefined): Promise<Answer> {
  const answer = await execute();
  const result = resultOf(answer);
  if (!result) return answer;
  const entry = await graphqlEntry(trail, asked, result.data);
  if (entry) await trail.append(entry);
  return answer;
}

/** The audit entry for a GraphQL answer, or undefined when it holds no patient data and changed nothing. */
async function graphqlEntry(trail: AuditTrail, asked: AskedOperation, data: unknown): Promise<AuditEntry | undefined> {
  const { ctx, isMutation, read, selfAudited } = asked;
  const resources: Resource[] = [...read];
  const fields = data && typeof data === 'object' ? Object.entries(data as Record<string, unknown>) : [];
  const others = fields.filter(([key]) => !selfAudited.has(key));
  if (fields.length && !others.length && !read.length) return undefined;
  collect(fields.length ? others.map(([, value]) => value) : data, resources);
  const patientIds = await trail.patientsSeen(resources);
  if (!patientIds.length && !isMutation) return undefined;
  return {
    ctx,
    action: isMutation ? 'operation' : 'search',
    patientIds,
    entities: [...new Set(resources.filter((r) => r.id).map((r) => `${r.resourceType}/${r.id}`))].slice(0, MAX_ENTITIES),
    outcome: '0',
    description: `GraphQL ${asked.text.replace(/\s+/g, ' ').trim()}`.slice(0, 1000),
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
