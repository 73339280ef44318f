/**
 * transaction and batch Bundles. A transaction runs in one database transaction (all or nothing): ids are
 * assigned first, `urn:uuid:` and conditional references (`Patient?identifier=sys|val`) are rewritten, then
 * entries run in the order the spec sets (DELETE, POST, PUT/PATCH, GET) through the same router as single
 * requests. Plain creates are written together in one batch of statements, which is what makes bulk ingest fast.
 */
import { generateId } from '@medplum/core';
import type { Bundle, BundleEntry, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import { badRequest, FhirError, notFound, preconditionFailed } from '../core/errors';
import type { FhirResponse, FhirRouter, Query } from './router';

const ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };
export const MAX_BUNDLE_ENTRIES = 10_000;
/** A reference by search (`Organization?identifier=…`), resolved to one resource when the transaction runs. */
const CONDITIONAL_REFERENCE = /^[A-Z][A-Za-z]+\?/;

/** `prefer` is the request's Prefer header: return=minimal answers every entry with its status, location and etag only. */
export async function processBundle(router: FhirRouter, ctx: RequestContext, bundle: Bundle, prefer?: string): Promise<Bundle> {
  const entries = bundle.entry ?? [];
  if (!Array.isArray(entries)) throw badRequest('Bundle.entry must be an array', ['Bundle.entry']);
  if (entries.length > MAX_BUNDLE_ENTRIES) throw badRequest(`A bundle may hold at most ${MAX_BUNDLE_ENTRIES} entries`);
  entries.forEach((entry, i) => {
    const where = [`Bundle.entry[${i}].request`];
    if (!entry?.request?.method || typeof entry.request.url !== 'string' || !entry.request.url) throw badRequest(`Bundle.entry[${i}].request needs method and url`, where);
    if (!(method(entry) in ORDER)) throw badRequest(`Bundle.entry[${i}]: method ${entry.request.method} is not supported in a bundle`, where);
    const type = splitUrl(entry.request.url)[0].split('/')[0];
    if (method(entry) === 'POST' && entry.resource && !type.startsWith('$') && entry.resource.resourceType !== type) {
      throw badRequest(`Bundle.entry[${i}]: resourceType "${entry.resource.resourceType}" does not match the request url "${entry.request.url}"`, where);
    }
  });
  return bundle.type === 'transaction' ? transaction(router, ctx, entries, prefer) : batch(router, ctx, entries, prefer);
}

async function transaction(router: FhirRouter, ctx: RequestContext, entries: BundleEntry[], prefer: string | undefined): Promise<Bundle> {
  return router.repo.transaction(async (repo) => {
    const txRouter = router.withRepository(repo);
    await repo.lockConditions(conditionsOf(entries));
    const ids = await assignIds(txRouter, ctx, entries);
    const responses: BundleEntry[] = new Array(entries.length);
    const order = entries.map((_, i) => i).sort((a, b) => ORDER[method(entries[a])] - ORDER[method(entries[b])] || a - b);

    const resources = new Map<number, Resource>();
    for (const i of order) {
      const resource = entries[i].resource;
      if (resource) resources.set(i, await resolveReferences(txRouter, ctx, rewriteReferences(resource, ids), i));
    }

    // Conditional creates that matched nothing were decided in assignIds and are plain creates by now.
    // So are conditional updates that matched nothing: the server chose their ids (update-as-create with a
    // chosen id is the office's alone, see AccessPolicy.assertMayPut).
    const createsNew = (i: number) => (method(entries[i]) === 'POST' ? ids.get(entryKey(entries[i], i))?.created !== false : method(entries[i]) === 'PUT' && ids.get(entryKey(entries[i], i))?.created === true);
    const plainCreates = order.filter((i) => resources.has(i) && !isOperation(entries[i]) && createsNew(i));
    const toCreate = plainCreates.map((i) => {
      const resource = { ...(resources.get(i) as Resource), id: (ids.get(entryKey(entries[i], i)) as Assigned).id };
      try {
        repo.assertWritable(ctx, resource);
      } catch (err) {
        if (err instanceof FhirError) throw new FhirError(err.status, prefixIssues(err.outcome, i));
        throw err;
      }
      return resource;
    });
    const created = await repo.createMany(ctx, toCreate);
    plainCreates.forEach((i, n) => (responses[i] = entryResponse(txRouter.written(created[n], 201, prefer), txRouter)));

    for (const i of order) {
      if (responses[i]) continue;
      const entry = entries[i];
      const pre = ids.get(entryKey(entry, i));
      if (method(entry) === 'POST' && pre && pre.created === false) {
        // A conditional create that matched: the existing resource stands.
        responses[i] = { response: { status: '200 OK', location: `${pre.type}/${pre.id}` } };
        continue;
      }
      try {
        const response = await txRouter.handle(ctx, toRequest(entry, resources.get(i), ids.get(entryKey(entry, i)), prefer));
        responses[i] = entryResponse(response, txRouter);
      } catch (err) {
        if (err instanceof FhirError) throw new FhirError(err.status, prefixIssues(err.outcome, i));
        throw err;
      }
    }
    return { resourceType: 'Bundle', type: 'transaction-response', entry: responses };
  });
}

async function batch(router: FhirRouter, ctx: RequestContext, entries: BundleEntry[], prefer: string | undefined): Promise<Bundle> {
  const responses: BundleEntry[] = [];
  for (const [i, entry] of entries.entries()) {
    try {
      const resource = entry.resource ? await resolveReferences(router, ctx, entry.resource, i) : undefined;
      responses.push(entryResponse(await router.handle(ctx, toRequest(entry, resource, undefined, prefer)), router));
    } catch (err) {
      if (!(err instanceof FhirError)) throw err;
      responses.push({ response: { status: String(err.status), outcome: prefixIssues(err.outcome, i) } });
    }
  }
  return { resourceType: 'Bundle', type: 'batch-response', entry: responses };
}

interface Assigned {
  type: string;
  id: string;
  /** false when a conditional create found an existing resource; true when a conditional update found none and the server chose the id. */
  created?: boolean;
}

/** Gives every entry its final id before anything is written, so references between entries can be rewritten. */
async function assignIds(router: FhirRouter, ctx: RequestContext, entries: BundleEntry[]): Promise<Map<string, Assigned>> {
  const ids = new Map<string, Assigned>();
  for (const [i, entry] of entries.entries()) {
    const { url, ifNoneExist } = entry.request as { url: string; ifNoneExist?: string };
    const [path, query] = splitUrl(url);
    const type = path.split('/')[0];
    const m = method(entry);
    let assigned: Assigned | undefined;
    if (m === 'POST' && !path.includes('/') && entry.resource) {
      if (ifNoneExist) {
        const matches = await router.repo.conditionalMatches(ctx, type, ifNoneExist);
        if (matches.length > 1) throw preconditionFailed(`Bundle.entry[${i}]: If-None-Exist "${ifNoneExist}" matched ${matches.length} resources`);
        assigned = matches.length ? { type, id: matches[0].id, created: false } : { type, id: generateId(), created: true };
      } else {
        assigned = { type, id: generateId(), created: true };
      }
    } else if (m === 'PUT' && query && entry.resource) {
      const matches = await router.repo.conditionalMatches(ctx, type, query);
      if (matches.length > 1) throw preconditionFailed(`Bundle.entry[${i}]: conditional update "${query}" matched ${matches.length} resources`);
      assigned = matches.length ? { type, id: matches[0].id } : entry.resource.id ? { type, id: entry.resource.id } : { type, id: generateId(), created: true };
    } else if (m === 'PUT' && path.includes('/')) {
      assigned = { type, id: path.split('/')[1] };
    }
    if (assigned) ids.set(entryKey(entry, i), assigned);
  }
  return ids;
}

/** Every condition the entries test: conditional creates and updates, and conditional references. */
function conditionsOf(entries: BundleEntry[]): { resourceType: string; query: string }[] {
  const conditions: { resourceType: string; query: string }[] = [];
  const referencesIn = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(referencesIn);
    else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (key === 'reference' && typeof v === 'string' && CONDITIONAL_REFERENCE.test(v)) {
          const [resourceType, query] = splitUrl(v);
          conditions.push({ resourceType, query: query as string });
        } else referencesIn(v);
      }
    }
  };
  for (const entry of entries) {
    const [path, query] = splitUrl((entry.request as { url: string }).url);
    const resourceType = path.split('/')[0];
    if (method(entry) === 'POST' && !path.includes('/') && entry.resource && entry.request?.ifNoneExist) conditions.push({ resourceType, query: entry.request.ifNoneExist });
    else if (method(entry) === 'PUT' && query && entry.resource) conditions.push({ resourceType, query });
    referencesIn(entry.resource);
  }
  return conditions;
}

/** Entries are known by their fullUrl; one without is known by its position (it cannot be referenced anyway). */
function entryKey(entry: BundleEntry, index: number): string {
  return entry.fullUrl ?? `#entry${index}`;
}

/** Replaces references to other entries' fullUrls with their assigned Type/id. */
function rewriteReferences<T>(value: T, ids: Map<string, Assigned>): T {
  if (Array.isArray(value)) return value.map((v) => rewriteReferences(v, ids)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === 'reference' && typeof v === 'string' && ids.has(v)) {
        const target = ids.get(v) as Assigned;
        out[key] = `${target.type}/${target.id}`;
      } else {
        out[key] = rewriteReferences(v, ids);
      }
    }
    return out as T;
  }
  return value;
}

/** Conditional references (`Organization?identifier=…`) must match exactly one visible resource. */
async function resolveReferences<T>(router: FhirRouter, ctx: RequestContext, value: T, entryIndex: number): Promise<T> {
  if (Array.isArray(value)) return Promise.all(value.map((v) => resolveReferences(router, ctx, v, entryIndex))) as Promise<T>;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === 'reference' && typeof v === 'string' && CONDITIONAL_REFERENCE.test(v)) {
        const [type, query] = splitUrl(v);
        const matches = await router.repo.conditionalMatches(ctx, type, query as string);
        if (matches.length !== 1) {
          const why = matches.length ? `matched ${matches.length} resources` : 'matched nothing';
          throw (matches.length ? preconditionFailed : notFound)(`Bundle.entry[${entryIndex}]: conditional reference "${v}" ${why}`);
        }
        out[key] = `${type}/${matches[0].id}`;
      } else {
        out[key] = await resolveReferences(router, ctx, v, entryIndex);
      }
    }
    return out as T;
  }
  return value;
}

function toRequest(entry: BundleEntry, resource: Resource | undefined, pre: Assigned | undefined, prefer: string | undefined) {
  const request = entry.request as NonNullable<BundleEntry['request']>;
  const [path, query] = splitUrl(request.url);
  let finalPath = path;
  let body: unknown = resource;
  if (request.method === 'PUT' && query && pre && resource) {
    // A conditional update whose target was resolved up front becomes a plain update of that id.
    finalPath = `${pre.type}/${pre.id}`;
    body = { ...resource, id: pre.id };
    return { method: 'PUT', path: finalPath, query: {}, body, ifMatch: request.ifMatch, prefer };
  }
  if (request.method === 'PATCH' && entry.resource?.resourceType === 'Binary') {
    body = JSON.parse(Buffer.from((entry.resource as { data?: string }).data ?? '', 'base64').toString('utf8'));
  }
  return { method: request.method, path: finalPath, query: parseQueryString(query), body, ifMatch: request.ifMatch, ifNoneExist: request.ifNoneExist, prefer };
}

function entryResponse(response: FhirResponse, router: FhirRouter): BundleEntry {
  const resource = response.resource;
  const location = response.headers?.Location;
  return {
    ...(resource && resource.resourceType !== 'OperationOutcome' && resource.id ? { fullUrl: `${router.baseUrl}/${resource.resourceType}/${resource.id}` } : {}),
    ...(resource ? { resource } : {}),
    response: {
      status: `${response.status} ${STATUS_TEXT[response.status] ?? ''}`.trim(),
      ...(location ? { location } : {}),
      ...(response.headers?.ETag ? { etag: response.headers.ETag } : {}),
      ...(resource?.meta?.lastUpdated ? { lastModified: resource.meta.lastUpdated } : {}),
    },
  };
}

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content' };

function method(entry: BundleEntry): string {
  return (entry.request?.method ?? 'GET').toUpperCase();
}

function isOperation(entry: BundleEntry): boolean {
  return (entry.request?.url ?? '').includes('$');
}

function splitUrl(url: string): [string, string | undefined] {
  const relative = url.replace(/^https?:\/\/[^/]+\/(?:.*?\/)?fhir\/?/, '').replace(/^\//, '');
  const q = relative.indexOf('?');
  return q < 0 ? [relative, undefined] : [relative.slice(0, q), relative.slice(q + 1)];
}

function parseQueryString(query: string | undefined): Query {
  const out: Query = {};
  for (const [key, value] of new URLSearchParams(query ?? '')) {
    const existing = out[key];
    out[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return out;
}

function prefixIssues(oo: OperationOutcome, index: number): OperationOutcome {
  return {
    ...oo,
    issue: (oo.issue ?? []).map((issue) => ({
      ...issue,
      diagnostics: issue.diagnostics?.startsWith('Bundle.entry[') ? issue.diagnostics : `Bundle.entry[${index}]: ${issue.diagnostics ?? issue.details?.text ?? ''}`,
      expression: issue.expression?.map((e) => `Bundle.entry[${index}].resource.${e}`) ?? [`Bundle.entry[${index}]`],
    })),
  };
}

