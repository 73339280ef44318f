/**
 * The audit entry for one FHIR REST request: which interaction it was, whose data the answer holds and which
 * resources it touched, the patients as patients.ts finds them; the one other query is for a delete, whose
 * answer holds nothing.
 */
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import type { Connection } from '../store/connection';
import { storedContent } from '../store/resource-table';
import { patientCompartmentParams } from '../core/definitions';
import { patientsOf } from '../core/compartments';
import { patientsSeen } from '../audit/patients';
import { storedCompartments } from '../store/compartments';
import type { FhirError } from '../core/errors';
import type { FhirRequest, FhirResponse } from './router';
import { type AuditAction, type AuditEntry, MAX_ENTITIES } from '../audit/types';


const WRITES = new Set<AuditAction>(['create', 'update', 'patch', 'delete', 'transaction', 'batch']);

/** The entry for an answered request, or undefined for a read that returned no patient data about directory data. */
export async function restEntry(on: Connection, ctx: RequestContext, req: FhirRequest, response: FhirResponse): Promise<AuditEntry | undefined> {
  const action = interactionOf(req);
  const target = targetOf(req);
  const touched = [...resourcesIn(response.resource), ...(response.read ?? [])];
  if (action === 'delete' && target.type && target.id) {
    const content = await storedContent(on, target.type, target.id);
    if (content) touched.push(JSON.parse(content));
  }
  const written = WRITES.has(action) || (action === 'operation' && req.method.toUpperCase() === 'POST');
  // With Prefer: return=minimal only the Location names what was written; the body's references still say whose data it is.
  const located = locationOf(response);
  const bodyRefs = written && req.body && typeof req.body === 'object' ? resourcesIn(req.body as Resource).flatMap(patientsNamedBy) : [];
  const patientIds = [...new Set([...(await patientsSeen((refs) => storedCompartments(on, refs), touched)), ...(located?.type === 'Patient' ? [located.id] : []), ...bodyRefs])];
  if (!written && patientIds.length === 0 && isDirectory(target.type)) return undefined;
  const named = [...touched.filter((r) => r.id).map((r) => `${r.resourceType}/${r.id}`), ...(located ? [`${located.type}/${located.id}`] : []), ...(target.id ? [`${target.type}/${target.id}`] : [])];
  const entities = [...new Set(named)];
  return {
    ctx,
    action,
    patientIds,
    entities: entities.slice(0, MAX_ENTITIES),
    outcome: response.status < 400 ? '0' : '4',
    description: describe(req, response.status, entities.length),
    remoteAddress: ctx.remoteAddress,
  };
}

/**
 * The entry for a request the router refused (not found, invalid, conflict…) or that failed. 401 and 403 are
 * left to the HTTP error handler, which records them for every route.
 */
export function failedRestEntry(ctx: RequestContext, req: FhirRequest, status: number, error: FhirError | Error): AuditEntry {
  const target = targetOf(req);
  return {
    ctx,
    action: interactionOf(req),
    patientIds: target.type === 'Patient' && target.id ? [target.id] : [],
    entities: target.id ? [`${target.type}/${target.id}`] : [],
    outcome: status >= 500 ? '8' : '4',
    description: `${describe(req, status, 0)}: ${error.message}`,
    remoteAddress: ctx.remoteAddress,
  };
}

/** The interaction a request is, decided from method and path as the router decides it. */
export function interactionOf(req: FhirRequest): AuditAction {
  const method = req.method.toUpperCase();
  const parts = req.path.split('/').filter(Boolean);
  const [type, id, third, fourth] = parts;
  if (parts.some((p) => p.startsWith('$'))) return 'operation';
  if (parts.length === 0) {
    const bundleType = (req.body as Bundle | undefined)?.type;
    if (method === 'POST') return bundleType === 'batch' ? 'batch' : 'transaction';
    return 'search';
  }
  if (type === '_history' || id === '_history' || third === '_history') return fourth ? 'vread' : 'history';
  if (type === '_search' || id === '_search') return 'search';
  if (parts.length === 1) return ({ GET: 'search', POST: 'create', PUT: 'update', DELETE: 'delete' } as Record<string, AuditAction>)[method] ?? 'operation';
  return ({ GET: 'read', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, AuditAction>)[method] ?? 'operation';
}

/** The patients a written body names; the id a client gave a new Patient is not the one it is stored under. */
function patientsNamedBy(resource: Resource): string[] {
  return patientsOf(resource.resourceType === 'Patient' ? { ...resource, id: undefined } : resource);
}

/** Bundles that only carry an answer or a request; any other Bundle (a document, a collection) is data itself. */
const WRAPPERS = new Set<Bundle['type']>(['searchset', 'history', 'transaction', 'transaction-response', 'batch', 'batch-response']);

/** The resources an answer (or a written body) holds: itself, and every entry of a Bundle. */
function resourcesIn(resource: Resource | undefined): Resource[] {
  if (!resource || resource.resourceType === 'OperationOutcome') return [];
  if (resource.resourceType !== 'Bundle') return [resource];
  const entries = ((resource as Bundle).entry ?? []).flatMap((entry) => (entry.resource ? resourcesIn(entry.resource) : []));
  return WRAPPERS.has((resource as Bundle).type) ? entries : [resource, ...entries];
}

function locationOf(response: FhirResponse): { type: string; id: string } | undefined {
  const m = /\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})\/_history\/[^/]+$/.exec(response.headers?.Location ?? '');
  return m ? { type: m[1], id: m[2] } : undefined;
}

function targetOf(req: FhirRequest): { type?: string; id?: string } {
  const [type, id] = req.path.split('/').filter(Boolean).map(decodeURIComponent);
  const plainId = id && !id.startsWith('$') && !id.startsWith('_') ? id : undefined;
  return { type: type && !type.startsWith('$') && !type.startsWith('_') ? type : undefined, id: plainId };
}

/** Directory data (Organization, Practitioner, Location…) has no Patient compartment; its reads are not audited. */
function isDirectory(type: string | undefined): boolean {
  return type !== undefined && type !== 'Patient' && patientCompartmentParams(type).length === 0;
}

function describe(req: FhirRequest, status: number, entityCount: number): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(req.query)) for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) query.append(key, v);
  const qs = query.toString();
  const more = entityCount > MAX_ENTITIES ? ` (${entityCount} resources, first ${MAX_ENTITIES} named)` : '';
  return `${req.method.toUpperCase()} ${req.path}${qs ? '?' + qs : ''} → ${status}${more}`;
}
