import { generateId, SearchRequest, validateResource, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import type { AccessPolicy } from '../consent/access';
import type { Connection } from '../store/connection';
import { requiredBindingIssues } from './bindings';
import { isKnownResourceType } from '../core/definitions';
import { badRequest, FhirError, gone, notFound, preconditionFailed, unprocessable } from '../core/errors';
import { applyJsonPatch } from './patch';
import { withLocalReferences } from '../core/references';
import type { SearchPage, StoredRow } from '../store/search/execute';
import { parseSearchQuery } from '../store/search/parse';
import type { CompartmentFilter, HistoryEntry, HistoryOptions, ResourceTable } from '../store/resource-table';

export interface WriteResult {
  resource: Resource;
  created: boolean;
}

export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

export class Repository {
  constructor(
    private readonly table: ResourceTable,
    private readonly access: AccessPolicy,
    /** Whether writes are validated against the R4 StructureDefinitions (see `ofMappedData`). */
    private readonly validating = true,
    /** This server's FHIR base URL: references to it are stored relative (`withLocalReferences`). */
    private readonly fhirBase?: string
  ) {}

  /** Where this repository's statements run: store modules given it commit with them (ledgers, the audit trail). */
  get connection(): Connection {
    return this.table.connection;
  }

  /** The same repository on another connection (an enclosing transaction). */
  withConnection(connection: Connection): Repository {
    return new Repository(this.table.on(connection), this.access, this.validating, this.fhirBase);
  }

  /**
   * The same repository for resources that Tonet's own mappers produced (HL7 v2, CDA, DICOM): their shape is
   * fixed by the mapping tables and checked by the mapping tests (golden files, validated), so validating each
   * one again costs about a millisecond of CPU per resource for nothing. Access checks stay.
   */
  ofMappedData(): Repository {
    return new Repository(this.table, this.access, false, this.fhirBase);
  }

  /** The same repository bound to one database transaction. */
  async transaction<T>(fn: (repo: Repository) => Promise<T>): Promise<T> {
    return this.table.transaction((table) => fn(new Repository(table, this.access, this.validating, this.fhirBase)));
  }

  async read(ctx: RequestContext, resourceType: string, id: string): Promise<Resource> {
    this.checkType(resourceType);
    this.access.assertMayRead(ctx, resourceType);
    const row = await this.table.current(resourceType, id, this.access.readScope(ctx));
    if (!row) throw notFound(`${resourceType}/${id} not found`);
    if (row.deleted) throw gone(`${resourceType}/${id} was deleted`);
    return JSON.parse(row.content);
  }

  /**
   * Several reads in one statement (GraphQL resolves a page of references at once). Each answer is the
   * resource or the error a single read would have raised: a type the caller may not read, or not found
   * for what is missing, deleted or hidden by consent.
   */
  async readMany(ctx: RequestContext, refs: readonly { resourceType: string; id: string }[]): Promise<(Resource | FhirError)[]> {
    const refused = new Map<string, FhirError>();
    for (const type of new Set(refs.map((r) => r.resourceType))) {
      try {
        this.checkType(type);
        this.access.assertMayRead(ctx, type);
      } catch (err) {
        if (!(err instanceof FhirError)) throw err;
        refused.set(type, err);
      }
    }
    const found = await this.table.currentMany(refs.filter((r) => !refused.has(r.resourceType)), this.access.readScope(ctx));
    return refs.map((r) => {
      const content = found.get(`${r.resourceType}/${r.id}`);
      return refused.get(r.resourceType) ?? (content ? JSON.parse(content) : notFound(`${r.resourceType}/${r.id} not found`));
    });
  }

  async vread(ctx: RequestContext, resourceType: string, id: string, versionId: string): Promise<Resource> {
    this.checkType(resourceType);
    this.access.assertMayRead(ctx, resourceType);
    if (!/^\d+$/.test(versionId)) throw notFound(`${resourceType}/${id}/_history/${versionId} not found`);
    const row = await this.table.version(resourceType, id, Number(versionId), this.access.readScope(ctx));
    if (!row) throw notFound(`${resourceType}/${id}/_history/${versionId} not found`);
    if (row.deleted) throw gone(`${resourceType}/${id}/_history/${versionId} is a deletion`);
    return JSON.parse(row.content);
  }

  async create(ctx: RequestContext, resource: Resource): Promise<Resource> {
    this.assertWritable(ctx, resource);
    const stored = this.prepare(ctx, { ...resource, id: generateId() }, 1);
    await this.table.write([{ resource: stored, deleted: false, source: stored.meta?.source }]);
    return stored;
  }

  /** Creates resources whose ids were assigned by the caller (a transaction), checked with assertWritable, in one write batch. */
  async createMany(ctx: RequestContext, resources: Resource[]): Promise<Resource[]> {
    const stored = resources.map((r) => this.prepare(ctx, r, 1));
    await this.table.write(stored.map((resource) => ({ resource, deleted: false, source: resource.meta?.source })));
    return stored;
  }

  /**
   * A batch of a bulk import ($import), each resource checked with assertWritable and its id chosen by the
   * caller: created at version 1 with the server's metadata, as `create` would, in one write with the hooks.
   * An id already in use (by anyone, deleted too) is not written; its key is answered in `taken`. The ids
   * are locked until the batch commits, so two imports of one id cannot both find it free.
   */
  async importMany(ctx: RequestContext, resources: Resource[]): Promise<{ stored: Resource[]; taken: Set<string> }> {
    return this.transaction(async (repo) => {
      const keys = resources.map((r) => `${r.resourceType}/${r.id}`);
      await repo.table.lockConditions(keys.map((key) => `import:${key}`));
      const taken = await repo.table.taken(resources.map((r) => ({ resourceType: r.resourceType, id: r.id as string })));
      const stored = await repo.createMany(ctx, resources.filter((_r, i) => !taken.has(keys[i])));
      return { stored, taken };
    });
  }

  /** Conditional create: the search decides; one match returns it unchanged, several are an error. */
  async createIfNoneExist(ctx: RequestContext, resource: Resource, query: string): Promise<WriteResult> {
    return this.transaction((repo) => repo.createIfNoneExistLocked(ctx, resource, query));
  }

  private async createIfNoneExistLocked(ctx: RequestContext, resource: Resource, query: string): Promise<WriteResult> {
    const matches = await this.conditionalMatches(ctx, resource.resourceType, query);
    if (matches.length > 1) throw preconditionFailed(`If-None-Exist "${query}" matched ${matches.length} resources`);
    if (matches.length === 1) return { resource: JSON.parse(matches[0].content), created: false };
    return { resource: await this.create(ctx, resource), created: true };
  }

  /** PUT: update, or create with the client's id when none exists (update-as-create, the office only: AccessPolicy.assertMayPut). */
  async update(ctx: RequestContext, resource: Resource, ifMatch?: string): Promise<WriteResult> {
    this.assertWritable(ctx, resource);
    const id = resource.id as string;
    if (!ID_PATTERN.test(id)) throw badRequest(`Invalid id "${id}"`, ['id']);
    return this.transaction((repo) => repo.updateLocked(ctx, resource, id, ifMatch));
  }

  private async updateLocked(ctx: RequestContext, resource: Resource, id: string, ifMatch?: string): Promise<WriteResult> {
    const current = await this.table.lockCurrent(resource.resourceType, id, this.access.readScope(ctx));
    this.access.assertMayPut(ctx, resource, current && { resource: JSON.parse(current.content), visible: current.visible, deleted: current.deleted });
    if (ifMatch !== undefined && (!current || current.deleted || String(current.versionId) !== ifMatch)) {
      throw preconditionFailed(`Version mismatch: If-Match ${ifMatch}, current ${current ? current.versionId : 'none'}`);
    }
    const version = current ? current.versionId + 1 : 1;
    const stored = this.prepare(ctx, resource, version);
    if (current && !current.deleted && sameContent(JSON.parse(current.content), stored)) {
      // Nothing changed: keep the version, as re-sent data must not grow history.
      return { resource: JSON.parse(current.content), created: false };
    }
    await this.table.write([{ resource: stored, rid: current?.rid, deleted: false, source: stored.meta?.source }]);
    return { resource: stored, created: !current || current.deleted };
  }

  /** Conditional update: no match creates, one match updates it, several are an error. */
  async conditionalUpdate(ctx: RequestContext, resource: Resource, query: string): Promise<WriteResult> {
    return this.transaction((repo) => repo.conditionalUpdateLocked(ctx, resource, query));
  }

  private async conditionalUpdateLocked(ctx: RequestContext, resource: Resource, query: string): Promise<WriteResult> {
    const matches = await this.conditionalMatches(ctx, resource.resourceType, query);
    if (matches.length > 1) throw preconditionFailed(`Conditional update "${query}" matched ${matches.length} resources`);
    if (matches.length === 1) {
      if (resource.id && resource.id !== matches[0].id) throw badRequest(`Resource id ${resource.id} does not match the resource found by the condition`, ['id']);
      return this.update(ctx, { ...resource, id: matches[0].id });
    }
    if (resource.id) return this.update(ctx, resource);
    return { resource: await this.create(ctx, resource), created: true };
  }

  async delete(ctx: RequestContext, resourceType: string, id: string): Promise<void> {
    this.checkType(resourceType);
    this.access.assertMayWrite(ctx, { resourceType });
    await this.transaction((repo) => repo.deleteLocked(ctx, resourceType, id));
  }

  private async deleteLocked(ctx: RequestContext, resourceType: string, id: string): Promise<void> {
    const current = await this.table.lockCurrent(resourceType, id, this.access.readScope(ctx));
    // Deleting what is not there succeeds (FHIR: idempotent delete); what the caller may not see is answered
    // the same way and left alone, so a DELETE cannot tell a hidden id from one that never existed.
    if (!current || current.deleted || !current.visible) return;
    const previous = JSON.parse(current.content) as Resource;
    this.access.assertMayChange(ctx, previous, current.visible);
    const tombstone: Resource = { ...previous, meta: { ...previous.meta, versionId: String(current.versionId + 1), lastUpdated: new Date().toISOString() } };
    await this.table.write([{ resource: tombstone, rid: current.rid, deleted: true, source: previous.meta?.source }]);
  }

  async conditionalDelete(ctx: RequestContext, resourceType: string, query: string): Promise<number> {
    return this.transaction((repo) => repo.conditionalDeleteLocked(ctx, resourceType, query));
  }

  private async conditionalDeleteLocked(ctx: RequestContext, resourceType: string, query: string): Promise<number> {
    const matches = await this.conditionalMatches(ctx, resourceType, query);
    if (matches.length > 1) throw preconditionFailed(`Conditional delete "${query}" matched ${matches.length} resources`);
    for (const match of matches) await this.delete(ctx, resourceType, match.id);
    return matches.length;
  }

  async patch(ctx: RequestContext, resourceType: string, id: string, operations: unknown, ifMatch?: string): Promise<Resource> {
    const current = await this.read(ctx, resourceType, id);
    const patched = applyJsonPatch(current, operations);
    if (patched.resourceType !== resourceType || patched.id !== id) throw badRequest('A patch may not change resourceType or id');
    return (await this.update(ctx, patched, ifMatch)).resource;
  }

  /** A search page under the caller's read scope; `compartment` narrows it to one patient's record ($everything). */
  async search(ctx: RequestContext, request: SearchRequest, types?: string[], compartment?: CompartmentFilter): Promise<SearchPage> {
    const searchTypes = types ?? [request.resourceType];
    searchTypes.forEach((t) => {
      this.checkType(t);
      this.access.assertMayRead(ctx, t);
    });
    return this.table.search(request, searchTypes, this.access.readScope(ctx), compartment);
  }

  async history(ctx: RequestContext, options: HistoryOptions): Promise<{ entries: (HistoryEntry & { rid: string })[]; more: boolean }> {
    if (options.resourceType) this.checkType(options.resourceType);
    this.access.assertMayRead(ctx, options.resourceType);
    return this.table.history(options, this.access.readScope(ctx));
  }

  /** Matches of a condition (If-None-Exist, conditional update/delete) among what the caller may see. */
  async conditionalMatches(ctx: RequestContext, resourceType: string, query: string): Promise<StoredRow[]> {
    this.checkType(resourceType);
    const request = parseSearchQuery(resourceType, new URLSearchParams(query.replace(/^\?/, '')));
    if (!request.filters?.length) throw badRequest(`Condition "${query}" has no search criteria`);
    // Two requests with the same condition (two messages about one new patient) would both find nothing
    // and both create: the condition is locked until the enclosing transaction ends, so the second waits
    // and then finds the first one's resource. Callers run conditional writes in a transaction.
    await this.table.lockCondition(conditionKey(resourceType, query));
    const page = await this.search(ctx, { ...request, count: 2, total: 'none', sortRules: [] });
    return page.matches;
  }

  /**
   * Locks the conditions (`Type?query`) a transaction is about to test, all in one statement and in one
   * order (their hash) in every process, before any is searched: a mapped HL7 message tests six or so, one
   * round trip each before. conditionalMatches then takes none of these again. Only within a transaction.
   */
  async lockConditions(conditions: { resourceType: string; query: string }[]): Promise<void> {
    await this.table.lockConditions(conditions.map((c) => conditionKey(c.resourceType, c.query)));
  }

  private checkType(resourceType: string): void {
    if (!isKnownResourceType(resourceType)) throw notFound(`Unknown resource type "${resourceType}"`);
  }

  assertWritable(ctx: RequestContext, resource: Resource): void {
    if (!resource || typeof resource !== 'object' || !resource.resourceType) throw badRequest('Body is not a FHIR resource (no resourceType)');
    this.checkType(resource.resourceType);
    this.access.assertMayWrite(ctx, resource);
    if (this.validating) validate(resource);
  }

  /**
   * Server-owned metadata (version, time, and the supplying facility as meta.source), and references to this
   * server in their one stored form, relative: a patient named by this server's absolute URL is in their
   * compartment like one named `Patient/id`.
   */
  private prepare(ctx: RequestContext, resource: Resource, version: number): Resource {
    const source = this.access.sourceFor(ctx, resource);
    const meta = { ...resource.meta, versionId: String(version), lastUpdated: new Date().toISOString() };
    if (source) meta.source = source;
    else delete meta.source;
    return { ...withLocalReferences(resource, this.fhirBase), meta } as Resource;
  }
}

/**
 * Validation against the R4 StructureDefinitions and their required bindings; every issue names its path.
 * A resource that breaks the structure (cardinality, types, unknown elements) is a bad request (400); one that
 * is well formed but uses a code outside a required ValueSet is unprocessable (422).
 */
export function validate(resource: Resource): void {
  let structural: OperationOutcomeIssue[];
  try {
    structural = validateResource(resource);
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) throw err;
    structural = err.outcome.issue ?? [];
  }
  const errors = structural.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  const bindings = requiredBindingIssues(resource);
  if (errors.length) throw new FhirError(400, { resourceType: 'OperationOutcome', issue: [...errors, ...bindings] });
  if (bindings.length) throw unprocessable(bindings);
}

/** The same condition however its parameters are ordered, so that equal conditions share one lock. */
function conditionKey(resourceType: string, query: string): string {
  return `${resourceType}?${canonicalQuery(query)}`;
}

function canonicalQuery(query: string): string {
  const params = [...new URLSearchParams(query.replace(/^\?/, ''))].sort(([a, x], [b, y]) => a.localeCompare(b) || x.localeCompare(y));
  return new URLSearchParams(params).toString();
}

function sameContent(a: Resource, b: Resource): boolean {
  const strip = (r: Resource) => JSON.stringify({ ...r, meta: { ...r.meta, versionId: undefined, lastUpdated: undefined } });
  return strip(a) === strip(b);
}

