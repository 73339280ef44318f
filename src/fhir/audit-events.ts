/**
 * AuditEvent over the FHIR API, served from the audit log rather than the resource store: reads and a
 * search by patient, date and outcome, newest first, paged by seq; every write is refused (405), since the
 * trail is append-only for everyone. What a caller sees is the access policy's `auditScope`, which the store
 * puts in the WHERE clause (store/read-models/audit-events.ts), so paging and totals only count visible events.
 */
import type { Filter } from '@medplum/core';
import type { AuditEvent } from '@medplum/fhirtypes';
import { Operator } from '@medplum/core';
import type { RequestContext } from '../core/context';
import type { AccessPolicy } from '../consent/access';
import type { Connection } from '../store/connection';
import { badRequest, methodNotAllowed, notFound } from '../core/errors';
import type { FhirResponse, Query, TypeHandler } from './router';
import { parseQuery } from './router';
import { parseDateRange } from '../store/search/dates';
import { DEFAULT_COUNT, MAX_COUNT, StoredRow } from '../store/search/execute';
import { prefixed } from '../store/search/parse';
import { AuditCondition, AuditEventRow, linkedRecordIds, readAuditEvent, searchAuditEvents } from '../store/read-models/audit-events';

export function auditEventType(on: Connection, access: AccessPolicy): TypeHandler {
  return {
    resourceType: 'AuditEvent',
    async handle({ ctx, router, request, parts }) {
      const method = request.method.toUpperCase();
      const [, id, third, version] = parts;
      const isSearch = (method === 'GET' && parts.length === 1) || (method === 'POST' && parts.length === 2 && id === '_search');
      if (method !== 'GET' && !isSearch) throw methodNotAllowed(`AuditEvent is append-only: ${method} is not allowed`);
      access.assertMayRead(ctx, 'AuditEvent');
      const scope = access.auditScope(ctx);
      if (isSearch) {
        const query: Query = { ...request.query, ...formBody(request.body) };
        const search = parseQuery('AuditEvent', query);
        if (search.include?.length || search.revInclude?.length || search.sortRules?.length) throw badRequest('AuditEvent search supports no _include, _revinclude or _sort (events come newest first)');
        if (search.cursor !== undefined && !/^\d+$/.test(search.cursor)) throw badRequest('Invalid _cursor', ['_cursor']);
        const count = Math.min(search.count ?? DEFAULT_COUNT, MAX_COUNT);
        const found = await searchAuditEvents(on, scope, (search.filters ?? []).map(conditionOf), {
          count,
          beforeSeq: search.cursor,
          offset: search.offset,
          withTotal: !!search.total && search.total !== 'none',
        });
        const shape = await shaperFor(on, ctx);
        const matches = found.rows.map((row) => storedRow(row, shape));
        const nextCursor = found.more ? matches[matches.length - 1].id : undefined;
        return { status: 200, resource: router.searchBundle(search, { matches, included: [], total: found.total, nextCursor }, 'AuditEvent', query) };
      }
      if (parts.length === 2 || (parts.length === 4 && third === '_history' && version === '1')) {
        const row = /^\d{1,18}$/.test(id) ? await readAuditEvent(on, scope, id) : undefined;
        if (!row) throw notFound(`AuditEvent/${id} not found`);
        const resource = JSON.parse(storedRow(row, await shaperFor(on, ctx)).content);
        return { status: 200, resource, headers: { ETag: 'W/"1"', 'Last-Modified': new Date(row.recorded).toUTCString() } } satisfies FhirResponse;
      }
      throw notFound(`No route for GET ${request.path} (AuditEvent has one version and no history interaction)`);
    },
  };
}

type Shaper = (event: AuditEvent) => AuditEvent;

/**
 * A resident sees who looked at their records, when, why and with what outcome, but not the other patients
 * or resources the same request touched, nor its query text (a search may name several patients).
 */
async function shaperFor(on: Connection, ctx: RequestContext): Promise<Shaper> {
  if (ctx.role !== 'resident' || !ctx.patient) return (event) => event;
  const own = new Set((await linkedRecordIds(on, ctx.patient.slice('Patient/'.length))).map((id) => `Patient/${id}`));
  return ({ outcomeDesc: _hidden, ...event }) => ({ ...event, entity: (event.entity ?? []).filter((e) => own.has(e.what?.reference ?? '')) });
}

/** The stored event with its chain position as id; it never changes, so it is always version 1. */
function storedRow(row: AuditEventRow, shape: Shaper): StoredRow {
  const event = shape(JSON.parse(row.event));
  const content = JSON.stringify({ ...event, id: row.seq, meta: { versionId: '1', lastUpdated: row.recorded } });
  return { rid: row.seq, resource_type: 'AuditEvent', id: row.seq, content };
}

function conditionOf(filter: Filter): AuditCondition {
  const list = filter.value.split(',').filter(Boolean);
  switch (filter.code) {
    case 'patient':
      if (filter.operator !== Operator.EQUALS) throw badRequest(`patient supports no modifier on AuditEvent`, ['patient']);
      return { patientAnyOf: list.map((v) => v.replace(/^Patient\//, '')) };
    case 'date':
      return { recordedAnyOf: list.map((v) => recordedRange(filter.operator, v)) };
    case 'outcome':
      if (filter.operator !== Operator.EQUALS) throw badRequest(`outcome supports no modifier on AuditEvent`, ['outcome']);
      return { outcomeAnyOf: list };
    default:
      throw badRequest(`AuditEvent search supports patient, date and outcome, not "${filter.code}"`, [filter.code]);
  }
}

/** A date search value as the range of recording instants it asks for. */
function recordedRange(operator: Operator, value: string): { from?: string; before?: string } {
  const comparison = prefixed(operator, value);
  const range = parseDateRange(comparison.value);
  if (!range) throw badRequest(`date must be a FHIR date or instant, got "${value}"`, ['date']);
  const lo = range.lo.toISOString();
  const hi = range.hi.toISOString();
  switch (comparison.operator) {
    case Operator.EQUALS:
      return { from: lo, before: hi };
    case Operator.GREATER_THAN_OR_EQUALS:
      return { from: lo };
    case Operator.GREATER_THAN:
    case Operator.STARTS_AFTER:
      return { from: hi };
    case Operator.LESS_THAN_OR_EQUALS:
      return { before: hi };
    case Operator.LESS_THAN:
    case Operator.ENDS_BEFORE:
      return { before: lo };
    default:
      throw badRequest(`date supports eq, ge, gt, le, lt, sa and eb on AuditEvent`, ['date']);
  }
}

function formBody(body: unknown): Query {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Query) : {};
}
