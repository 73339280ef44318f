/**
 * AuditEvent over the FHIR API, served from the audit log rather than the resource store: reads and a
 * search by patient, date and outcome, newest first, paged by seq; every write is refused (405), since the
 * trail is append-only for everyone. What a caller sees is decided by `auditReadFilter` in the WHERE clause,
 * so paging and totals only count visible events.
 */
import type { Filter } from '@medplum/core';
import type { AuditEvent } from '@medplum/fhirtypes';
import { Operator } from '@medplum/core';
import type { RequestContext } from '../core/context';
import type { AccessPolicy } from '../consent/access';
import type { Db } from '../store/db/database';
import { and, or, sql, Sql } from '../core/sql';
import { badRequest, methodNotAllowed, notFound } from '../core/errors';
import type { FhirResponse, Query, TypeHandler } from '../fhir/router';
import { parseQuery } from '../fhir/router';
import { parseDateRange } from '../fhir/search/dates';
import { DEFAULT_COUNT, MAX_COUNT, StoredRow } from '../fhir/search/execute';
import { prefixed } from '../fhir/search/parse';
import { auditReadFilter } from './visibility';
import { linkedPatientIds } from '../store/read-scope';

interface EventRow {
  seq: string;
  recorded: Date | string;
  event: string;
}

export function auditEventType(db: Db, access: AccessPolicy): TypeHandler {
  return {
    resourceType: 'AuditEvent',
    async handle({ ctx, router, request, parts }) {
      const method = request.method.toUpperCase();
      const [, id, third, version] = parts;
      const isSearch = (method === 'GET' && parts.length === 1) || (method === 'POST' && parts.length === 2 && id === '_search');
      if (method !== 'GET' && !isSearch) throw methodNotAllowed(`AuditEvent is append-only: ${method} is not allowed`);
      access.assertMayRead(ctx, 'AuditEvent');
      if (isSearch) {
        const query: Query = { ...request.query, ...formBody(request.body) };
        const search = parseQuery('AuditEvent', query);
        if (search.include?.length || search.revInclude?.length || search.sortRules?.length) throw badRequest('AuditEvent search supports no _include, _revinclude or _sort (events come newest first)');
        if (search.cursor !== undefined && !/^\d+$/.test(search.cursor)) throw badRequest('Invalid _cursor', ['_cursor']);
        const where = and([auditReadFilter(ctx), ...(search.filters ?? []).map(filterCondition)]);
        const count = Math.min(search.count ?? DEFAULT_COUNT, MAX_COUNT);
        const page = search.cursor ? and([where, sql`a.seq < ${search.cursor}::bigint`]) : where;
        const rows = count > 0
          ? await db.query<EventRow>(sql`SELECT a.seq::text AS seq, a.recorded, a.event FROM audit_event a WHERE ${page}
              ORDER BY a.seq DESC LIMIT ${count + 1} OFFSET ${search.cursor ? 0 : (search.offset ?? 0)}`)
          : [];
        const total = search.total && search.total !== 'none' ? Number((await db.query<{ n: string }>(sql`SELECT count(*) AS n FROM audit_event a WHERE ${where}`))[0].n) : undefined;
        const shape = await shaperFor(db, ctx);
        const matches = rows.slice(0, count).map((row) => storedRow(row, shape));
        const nextCursor = rows.length > count ? matches[matches.length - 1].id : undefined;
        return { status: 200, resource: router.searchBundle(search, { matches, included: [], total, nextCursor }, 'AuditEvent', query) };
      }
      if (parts.length === 2 || (parts.length === 4 && third === '_history' && version === '1')) return read(db, ctx, id, await shaperFor(db, ctx));
      throw notFound(`No route for GET ${request.path} (AuditEvent has one version and no history interaction)`);
    },
  };
}

async function read(db: Db, ctx: RequestContext, id: string, shape: Shaper): Promise<FhirResponse> {
  const [row] = /^\d{1,18}$/.test(id)
    ? await db.query<EventRow>(sql`SELECT a.seq::text AS seq, a.recorded, a.event FROM audit_event a WHERE a.seq = ${id}::bigint AND ${auditReadFilter(ctx)}`)
    : [];
  if (!row) throw notFound(`AuditEvent/${id} not found`);
  const resource = JSON.parse(storedRow(row, shape).content);
  return { status: 200, resource, headers: { ETag: 'W/"1"', 'Last-Modified': new Date(row.recorded).toUTCString() } };
}

type Shaper = (event: AuditEvent) => AuditEvent;

/**
 * A resident sees who looked at their records, when, why and with what outcome, but not the other patients
 * or resources the same request touched, nor its query text (a search may name several patients).
 */
async function shaperFor(db: Db, ctx: RequestContext): Promise<Shaper> {
  if (ctx.role !== 'resident' || !ctx.patient) return (event) => event;
  const own = new Set(
    (await db.query<{ id: string }>(sql`SELECT unnest(${linkedPatientIds(ctx.patient.slice('Patient/'.length))}) AS id`)).map((r) => `Patient/${r.id}`)
  );
  return ({ outcomeDesc: _hidden, ...event }) => ({ ...event, entity: (event.entity ?? []).filter((e) => own.has(e.what?.reference ?? '')) });
}

/** The stored event with its chain position as id; it never changes, so it is always version 1. */
function storedRow(row: EventRow, shape: Shaper): StoredRow {
  const event = shape(JSON.parse(row.event));
  const content = JSON.stringify({ ...event, id: row.seq, meta: { versionId: '1', lastUpdated: new Date(row.recorded).toISOString() } });
  return { rid: row.seq, resource_type: 'AuditEvent', id: row.seq, content };
}

function filterCondition(filter: Filter): Sql {
  const list = filter.value.split(',').filter(Boolean);
  switch (filter.code) {
    case 'patient':
      if (filter.operator !== Operator.EQUALS) throw badRequest(`patient supports no modifier on AuditEvent`, ['patient']);
      // A regional Patient stands for its linked local records too, as in a patient-scoped search.
      return or(list.map((v) => sql`a.patient_ids && ${linkedPatientIds(v.replace(/^Patient\//, ''))}`));
    case 'date':
      return or(list.map((v) => dateCondition(filter.operator, v)));
    case 'outcome':
      if (filter.operator !== Operator.EQUALS) throw badRequest(`outcome supports no modifier on AuditEvent`, ['outcome']);
      return sql`a.outcome = ANY(${list}::text[])`;
    default:
      throw badRequest(`AuditEvent search supports patient, date and outcome, not "${filter.code}"`, [filter.code]);
  }
}

function dateCondition(operator: Operator, value: string): Sql {
  const comparison = prefixed(operator, value);
  const range = parseDateRange(comparison.value);
  if (!range) throw badRequest(`date must be a FHIR date or instant, got "${value}"`, ['date']);
  const lo = range.lo.toISOString();
  const hi = range.hi.toISOString();
  switch (comparison.operator) {
    case Operator.EQUALS:
      return sql`(a.recorded >= ${lo}::timestamptz AND a.recorded < ${hi}::timestamptz)`;
    case Operator.GREATER_THAN_OR_EQUALS:
      return sql`a.recorded >= ${lo}::timestamptz`;
    case Operator.GREATER_THAN:
    case Operator.STARTS_AFTER:
      return sql`a.recorded >= ${hi}::timestamptz`;
    case Operator.LESS_THAN_OR_EQUALS:
      return sql`a.recorded < ${hi}::timestamptz`;
    case Operator.LESS_THAN:
    case Operator.ENDS_BEFORE:
      return sql`a.recorded < ${lo}::timestamptz`;
    default:
      throw badRequest(`date supports eq, ge, gt, le, lt, sa and eb on AuditEvent`, ['date']);
  }
}

function formBody(body: unknown): Query {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Query) : {};
}
