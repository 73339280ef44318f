/**
 * FHIR REST semantics without HTTP: a request (method, path, query, body, a few headers) goes in, a status,
 * resource and headers come out. The HTTP server adapts to this, and transaction/batch entries are run
 * through the same router, so every interaction behaves the same whichever way it arrives.
 */
import type { SearchRequest } from '@medplum/core';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import { assertScopesAllow, type Interaction } from '../consent/scopes';
import { isKnownResourceType } from '../core/definitions';
import { allOk, badRequest, methodNotAllowed, notFound } from '../core/errors';
import { Repository } from './repository';
import { parseDateRange } from '../store/search/dates';
import { DEFAULT_COUNT, MAX_COUNT, SearchPage } from '../store/search/execute';
import { nonNegativeInteger, parseSearchQuery } from '../store/search/parse';
import { subsetResource } from './summary';

export type Query = Record<string, string | string[] | undefined>;

export interface FhirRequest {
  method: string;
  /** Path below the FHIR base, without leading or trailing slashes: "Patient/123/_history". */
  path: string;
  query: Query;
  body?: unknown;
  ifMatch?: string;
  ifNoneExist?: string;
  prefer?: string;
}

export interface FhirResponse {
  status: number;
  resource?: Resource;
  headers?: Record<string, string>;
  /** The resources an answer that is not itself FHIR (a `$graphql` result) was made of, for its audit entry. */
  read?: Resource[];
  /**
   * The operation recorded this interaction's entry itself, in the transaction of what it did (an emergency
   * declaration's entry is also what its rate limit counts), so the transport records no second one.
   */
  audited?: true;
}

/** An operation (`$name`) at system, type or instance level. */
export interface OperationHandler {
  name: string;
  levels: ('system' | 'type' | 'instance')[];
  /** Resource types it applies to at type/instance level; undefined means any. */
  resourceTypes?: string[];
  methods: ('GET' | 'POST')[];
  handle(args: { ctx: RequestContext; repo: Repository; router: FhirRouter; request: FhirRequest; resourceType?: string; id?: string }): Promise<FhirResponse>;
}

/** A resource type served from its own store instead of the repository (AuditEvent: the audit log). */
export interface TypeHandler {
  resourceType: string;
  handle(args: { ctx: RequestContext; router: FhirRouter; request: FhirRequest; parts: string[] }): Promise<FhirResponse>;
}

export class FhirRouter {
  private readonly operations = new Map<string, OperationHandler>();
  private readonly typeHandlers = new Map<string, TypeHandler>();

  constructor(
    readonly repo: Repository,
    readonly baseUrl: string,
    private readonly transactionRunner: (router: FhirRouter, ctx: RequestContext, bundle: Bundle, prefer?: string) => Promise<Bundle>
  ) {}

  registerOperation(op: OperationHandler): void {
    this.operations.set(op.name, op);
  }

  registerType(handler: TypeHandler): void {
    this.typeHandlers.set(handler.resourceType, handler);
  }

  /** Whether a type is served from its own store (AuditEvent) rather than written through the repository. */
  servedElsewhere(resourceType: string): boolean {
    return this.typeHandlers.has(resourceType);
  }

  operationList(): OperationHandler[] {
    return [...this.operations.values()];
  }

  /** A router whose repository is bound to a transaction (for transaction bundles). */
  withRepository(repo: Repository): FhirRouter {
    const bound = new FhirRouter(repo, this.baseUrl, this.transactionRunner);
    for (const op of this.operations.values()) bound.registerOperation(op);
    for (const handler of this.typeHandlers.values()) bound.registerType(handler);
    return bound;
  }

  async handle(ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
    const parts = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method.toUpperCase();
    const [type, id, third, fourth] = parts;
    const scoped = scopeCheckOf(method, parts);
    if (scoped) assertScopesAllow(ctx, scoped.resourceType, scoped.interaction);

    if (parts.length === 0) {
      if (method === 'POST') return this.bundle(ctx, req);
      if (method === 'GET') return this.systemSearch(ctx, req);
      throw methodNotAllowed(`${method} is not supported on the base URL`);
    }
    if (type.startsWith('$')) return this.operation(ctx, req, type.slice(1), 'system');
    if (type === '_history' && parts.length === 1 && method === 'GET') return this.history(ctx, req);
    if (type === '_search' && parts.length === 1 && method === 'POST') return this.systemSearch(ctx, req);
    if (!isKnownResourceType(type)) throw notFound(`Unknown resource type "${type}"`);
    const served = this.typeHandlers.get(type);
    if (served) return served.handle({ ctx, router: this, request: req, parts });

    if (parts.length === 1) {
      switch (method) {
        case 'GET':
          return this.search(ctx, type, req.query);
        case 'POST':
          return this.create(ctx, type, req);
        case 'PUT':
          return this.conditionalUpdate(ctx, type, req);
        case 'DELETE':
          return this.conditionalDelete(ctx, type, req);
        default:
          throw methodNotAllowed(`${method} is not supported on ${type}`);
      }
    }
    if (id === '_search' && parts.length === 2 && method === 'POST') return this.search(ctx, type, { ...req.query, ...formBody(req.body) });
    if (id === '_history' && parts.length === 2 && method === 'GET') return this.history(ctx, req, type);
    if (id.startsWith('$')) return this.operation(ctx, req, id.slice(1), 'type', type);
    if (parts.length === 2) {
      switch (method) {
        case 'GET':
          return this.read(ctx, type, id);
        case 'PUT':
          return this.update(ctx, type, id, req);
        case 'DELETE':
          await this.repo.delete(ctx, type, id);
          return { status: 200, resource: allOk(`Deleted ${type}/${id}`) };
        case 'PATCH':
          return this.patch(ctx, type, id, req);
        default:
          throw methodNotAllowed(`${method} is not supported on ${type}/${id}`);
      }
    }
    if (third === '_history' && method === 'GET') {
      if (parts.length === 3) return this.history(ctx, req, type, id);
      if (parts.length === 4) {
        const resource = await this.repo.vread(ctx, type, id, fourth);
        return { status: 200, resource, headers: versionHeaders(resource) };
      }
    }
    if (third?.startsWith('$') && parts.length === 3) return this.operation(ctx, req, third.slice(1), 'instance', type, id);
    throw notFound(`No route for ${method} ${req.path}`);
  }

  private async read(ctx: RequestContext, type: string, id: string): Promise<FhirResponse> {
    const resource = await this.repo.read(ctx, type, id);
    return { status: 200, resource, headers: versionHeaders(resource) };
  }

  private async create(ctx: RequestContext, type: string, req: FhirRequest): Promise<FhirResponse> {
    const resource = this.bodyResource(req, type);
    if (req.ifNoneExist) {
      const result = await this.repo.createIfNoneExist(ctx, resource, req.ifNoneExist);
      return this.written(result.resource, result.created ? 201 : 200, req.prefer);
    }
    return this.written(await this.repo.create(ctx, resource), 201, req.prefer);
  }

  private async update(ctx: RequestContext, type: string, id: string, req: FhirRequest): Promise<FhirResponse> {
    const resource = this.bodyResource(req, type);
    if (resource.id === undefined) throw badRequest('The resource in a PUT must have an id', ['id']);
    if (resource.id !== id) throw badRequest(`Resource id "${resource.id}" does not match the URL id "${id}"`, ['id']);
    const result = await this.repo.update(ctx, resource, parseETag(req.ifMatch));
    return this.written(result.resource, result.created ? 201 : 200, req.prefer);
  }

  private async conditionalUpdate(ctx: RequestContext, type: string, req: FhirRequest): Promise<FhirResponse> {
    const query = queryString(req.query);
    if (!query) throw methodNotAllowed(`PUT on ${type} needs an id or search criteria`);
    const result = await this.repo.conditionalUpdate(ctx, this.bodyResource(req, type), query);
    return this.written(result.resource, result.created ? 201 : 200, req.prefer);
  }

  private async conditionalDelete(ctx: RequestContext, type: string, req: FhirRequest): Promise<FhirResponse> {
    const query = queryString(req.query);
    if (!query) throw methodNotAllowed(`DELETE on ${type} needs an id or search criteria`);
    const count = await this.repo.conditionalDelete(ctx, type, query);
    return { status: 200, resource: allOk(count ? `Deleted ${count} ${type}` : `No ${type} matched`) };
  }

  private async patch(ctx: RequestContext, type: string, id: string, req: FhirRequest): Promise<FhirResponse> {
    const resource = await this.repo.patch(ctx, type, id, req.body, parseETag(req.ifMatch));
    return this.written(resource, 200, req.prefer);
  }

  private bodyResource(req: FhirRequest, type: string): Resource {
    const body = req.body as Resource | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a FHIR resource');
    if (body.resourceType !== type) throw badRequest(`Body resourceType "${body.resourceType}" does not match the URL type "${type}"`, ['resourceType']);
    return body;
  }

  /** Prefer: return=minimal | representation (default) | OperationOutcome. */
  written(resource: Resource, status: number, prefer?: string): FhirResponse {
    const headers = { ...versionHeaders(resource), Location: `${this.baseUrl}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}` };
    const wanted = /return=(minimal|representation|OperationOutcome)/i.exec(prefer ?? '')?.[1]?.toLowerCase();
    if (wanted === 'minimal') return { status, headers };
    if (wanted === 'operationoutcome') return { status, headers, resource: allOk(`${status === 201 ? 'Created' : 'Updated'} ${resource.resourceType}/${resource.id}`) };
    return { status, headers, resource };
  }

  async search(ctx: RequestContext, type: string, query: Query, types?: string[]): Promise<FhirResponse> {
    const request = parseQuery(type, query);
    const page = await this.repo.search(ctx, request, types);
    return { status: 200, resource: this.searchBundle(request, page, type === 'Resource' ? '' : type, query) };
  }

  private async systemSearch(ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
    const query = { ...req.query, ...formBody(req.body) };
    const typeList = values(query._type).flatMap((t) => t.split(',')).filter(Boolean);
    if (!typeList.length) throw badRequest('System-level search needs _type (e.g. ?_type=Patient,Observation)', ['_type']);
    typeList.forEach((t) => {
      if (!isKnownResourceType(t)) throw badRequest(`Unknown resource type "${t}" in _type`, ['_type']);
    });
    const rest = { ...query };
    delete rest._type;
    const request = parseQuery(typeList[0], rest);
    const page = await this.repo.search(ctx, request, typeList);
    return { status: 200, resource: this.searchBundle(request, page, '', query) };
  }

  searchBundle(request: SearchRequest, page: SearchPage, path: string, query: Query): Bundle {
    const link = (cursor?: string) => {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) {
        if (key === '_cursor' || key === '_offset') continue;
        for (const v of values(value)) params.append(key, v);
      }
      if (cursor) params.set('_cursor', cursor);
      const qs = params.toString();
      return `${this.baseUrl}${path ? '/' + path : ''}${qs ? '?' + qs : ''}`;
    };
    const links: Bundle['link'] = [{ relation: 'self', url: link(request.cursor) }];
    if (page.nextCursor) links.push({ relation: 'next', url: link(page.nextCursor) });
    if (page.prevCursor) links.push({ relation: 'previous', url: link(page.prevCursor) });
    const shape = (content: string) => subsetResource(JSON.parse(content), request.summary, request.fields);
    const summaryCount = values(query._summary).includes('count');
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      ...(page.total !== undefined ? { total: page.total } : {}),
      link: links,
      entry: summaryCount
        ? []
        : [
            ...page.matches.map((m) => ({ fullUrl: `${this.baseUrl}/${m.resource_type}/${m.id}`, resource: shape(m.content), search: { mode: 'match' as const } })),
            ...page.included.map((m) => ({ fullUrl: `${this.baseUrl}/${m.resource_type}/${m.id}`, resource: shape(m.content), search: { mode: 'include' as const } })),
          ],
    };
  }

  private async history(ctx: RequestContext, req: FhirRequest, type?: string, id?: string): Promise<FhirResponse> {
    const requested = first(req.query._count);
    const count = Math.min((requested === undefined ? 0 : nonNegativeInteger(requested, '_count')) || DEFAULT_COUNT, MAX_COUNT);
    const since = instantParam(first(req.query._since), '_since');
    const before = decodeHistoryCursor(first(req.query._cursor));
    const { entries, more } = await this.repo.history(ctx, { resourceType: type, id, since, count, before });
    if (id && entries.length === 0 && !before) throw notFound(`${type}/${id} not found`);
    const path = [type, id, '_history'].filter(Boolean).join('/');
    const self = new URLSearchParams();
    if (since) self.set('_since', since);
    self.set('_count', String(count));
    const links: Bundle['link'] = [{ relation: 'self', url: `${this.baseUrl}/${path}?${self}` }];
    if (more) {
      const last = entries[entries.length - 1];
      const next = new URLSearchParams(self);
      next.set('_cursor', Buffer.from(JSON.stringify([last.lastUpdated, last.rid, last.versionId])).toString('base64url'));
      links.push({ relation: 'next', url: `${this.baseUrl}/${path}?${next}` });
    }
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'history',
      link: links,
      entry: entries.map((e): BundleEntry => {
        const fullUrl = `${this.baseUrl}/${e.resourceType}/${e.id}`;
        if (e.deleted) {
          return { fullUrl, request: { method: 'DELETE', url: `${e.resourceType}/${e.id}` }, response: { status: '410 Gone', lastModified: e.lastUpdated, etag: `W/"${e.versionId}"` } };
        }
        return {
          fullUrl,
          resource: JSON.parse(e.content),
          request: { method: e.versionId === 1 ? 'POST' : 'PUT', url: e.versionId === 1 ? e.resourceType : `${e.resourceType}/${e.id}` },
          response: { status: e.versionId === 1 ? '201 Created' : '200 OK', lastModified: e.lastUpdated, etag: `W/"${e.versionId}"` },
        };
      }),
    };
    return { status: 200, resource: bundle };
  }

  private async bundle(ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
    const bundle = req.body as Bundle;
    if (!bundle || bundle.resourceType !== 'Bundle') throw badRequest('POST to the base URL needs a Bundle of type transaction or batch');
    if (bundle.type !== 'transaction' && bundle.type !== 'batch') throw badRequest(`Bundle type "${bundle.type}" cannot be processed; use transaction or batch`, ['Bundle.type']);
    // A transaction writes its plain creates straight into the repository, past any type handler.
    for (const entry of Array.isArray(bundle.entry) ? bundle.entry : []) {
      const type = entry?.request?.url?.split(/[/?]/)[0];
      if (type && this.typeHandlers.has(type) && entry.request?.method !== 'GET') throw methodNotAllowed(`${type} cannot be written in a bundle`);
    }
    return { status: 200, resource: await this.transactionRunner(this, ctx, bundle, req.prefer) };
  }

  private async operation(ctx: RequestContext, req: FhirRequest, name: string, level: 'system' | 'type' | 'instance', resourceType?: string, id?: string): Promise<FhirResponse> {
    const op = this.operations.get(name);
    if (!op || !op.levels.includes(level) || (resourceType && op.resourceTypes && !op.resourceTypes.includes(resourceType))) {
      throw notFound(`Operation $${name} is not supported ${resourceType ? 'on ' + resourceType : 'here'}`);
    }
    if (!op.methods.includes(req.method.toUpperCase() as 'GET' | 'POST')) throw methodNotAllowed(`$${name} does not accept ${req.method}`);
    return op.handle({ ctx, repo: this.repo, router: this, request: req, resourceType, id });
  }
}

export function versionHeaders(resource: Resource): Record<string, string> {
  const headers: Record<string, string> = {};
  if (resource.meta?.versionId) headers.ETag = `W/"${resource.meta.versionId}"`;
  if (resource.meta?.lastUpdated) headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  return headers;
}

/** If-Match carries W/"3" (or a bare "3"); the version is what matters. */
export function parseETag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:W\/)?"?([^"]*)"?$/.exec(value.trim());
  return m ? m[1] : value;
}

export function parseQuery(type: string, query: Query): SearchRequest {
  return parseSearchQuery(type, Object.entries(query).flatMap(([key, value]) => values(value).map((v): [string, string] => [key, v])));
}

export function values(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function first(value: string | string[] | undefined): string | undefined {
  return values(value)[0];
}

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) for (const v of values(value)) params.append(key, v);
  return params.toString();
}

function formBody(body: unknown): Query {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return {};
  return body as Query;
}

/** A date parameter such as _since, as the ISO instant its range starts at; PostgreSQL words like "yesterday" are not FHIR. */
export function instantParam(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const range = parseDateRange(value);
  if (!range) throw badRequest(`${name} must be a FHIR date or instant, got "${value}"`, [name]);
  return range.lo.toISOString();
}

function decodeHistoryCursor(cursor: string | undefined): { lastUpdated: string; rid: string; versionId: number } | undefined {
  if (!cursor) return undefined;
  try {
    const [lastUpdated, rid, versionId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof lastUpdated !== 'string' || !/^\d+$/.test(rid) || typeof versionId !== 'number') throw new Error();
    return { lastUpdated, rid, versionId };
  } catch {
    throw badRequest('Invalid _cursor', ['_cursor']);
  }
}

/**
 * Which SMART scope a request needs: the resource type (`*` for system-wide search and history) and the
 * interaction. A bundle needs none itself; each of its entries comes back through handle() and is checked.
 * Operations count as reads of their type.
 */
function scopeCheckOf(method: string, parts: string[]): { resourceType: string; interaction: Interaction } | undefined {
  const [type, id] = parts;
  if (parts.length === 0) return method === 'GET' ? { resourceType: '*', interaction: 's' } : undefined;
  if (type.startsWith('$') || type === '_history' || type === '_search') return { resourceType: '*', interaction: type === '_search' ? 's' : 'r' };
  if (parts.length === 1) return { resourceType: type, interaction: ({ GET: 's', POST: 'c', PUT: 'u', DELETE: 'd' } as Record<string, Interaction>)[method] ?? 'r' };
  if (id === '_search') return { resourceType: type, interaction: 's' };
  if (parts.length === 2 && !id.startsWith('$')) return { resourceType: type, interaction: ({ PUT: 'u', PATCH: 'u', DELETE: 'd' } as Record<string, Interaction>)[method] ?? 'r' };
  return { resourceType: type, interaction: 'r' };
}
