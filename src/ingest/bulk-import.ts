/**
 * POST /fhir/$import (issue 11): a bulk path for large loads, an initial load of a facility's history or the
 * office loading a region's, as Bulk Data NDJSON (one resource a line, application/fhir+ndjson). Each line is
 * checked as a create is (structure and required bindings, the access policy's write rules) and stored with
 * the server's metadata as a create stores it (versionId 1, lastUpdated, meta.source the caller's facility),
 * under the id the export gave it, so the references between the files hold. Lines are written in large
 * batches (store/resource-writes.ts: a fixed number of multi-row statements per batch, with every write hook,
 * so grants, timeline, pathway alerts and notifications keep up); each batch commits on its own, so a load of
 * a region's history holds no transaction open for its whole length.
 *
 * Import creates and never replaces: an id already in use, by anyone, is refused with its line number (an
 * existing record is changed by PUT, under the supplier rules). That tells a gateway that an id exists, as
 * a create refused for a duplicate would; it learns nothing of what the record holds or who supplied it.
 * A bad line never loses the good ones: it is refused with its line number and the field, and the rest are
 * stored. The import's one AuditEvent names every patient whose compartment it wrote into.
 */
import { generateId } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import { patientsOf } from '../core/compartments';
import { FhirError, recordedRefusal, unsupportedMediaType } from '../core/errors';
import { assertMayStart } from '../consent/interactions';
import type { AuditSink } from '../audit/types';
import { MAX_ENTITIES } from '../audit/types';
import { ID_PATTERN, Repository } from '../fhir/repository';
import type { FhirRouter, OperationHandler } from '../fhir/router';

/** Resources per write: large enough that the statements' fixed cost vanishes, small enough to hold in memory. */
export const IMPORT_BATCH_SIZE = 1000;
/** Refused lines named in the answer; beyond this they are counted only, so a wholly wrong file answers in bounded size. */
const MAX_REFUSALS_LISTED = 1000;
/** Consent state that only the network office loads in bulk: a facility's own Consents come from $link-card. */
const OFFICE_ONLY_TYPES = new Set(['Consent']);

interface Refusal {
  line: number;
  issues: OperationOutcomeIssue[];
}

export function importOperation(audit: AuditSink): OperationHandler {
  return {
    name: 'import',
    levels: ['system'],
    methods: ['POST'],
    async handle({ ctx, repo, router, request }) {
      assertMayStart(ctx, 'bulk-import');
      const body = request.body as AsyncIterable<string> | undefined;
      if (!body || typeof (body as Partial<AsyncIterable<string>>)[Symbol.asyncIterator] !== 'function') {
        throw unsupportedMediaType('$import takes NDJSON: one resource a line, Content-Type application/fhir+ndjson');
      }
      const run = new ImportRun(ctx, repo, router);
      const record = (outcome: '0' | '4' | '8', description: string) =>
        audit.record(repo.connection, { ctx, action: 'operation', patientIds: [...run.patients], entities: run.entities.slice(0, MAX_ENTITIES), outcome, description, remoteAddress: ctx.remoteAddress });
      let stopped: FhirError | undefined;
      try {
        await run.read(body);
      } catch (err) {
        // A body cut at the size limit: what was read before stands and is answered, the rest was never read.
        if (!(err instanceof FhirError && err.status === 413)) {
          // Batches committed before the failure stay: their patients are named in the trail with the failure.
          await record('8', `POST $import failed after ${run.imported} imported: ${err instanceof FhirError ? err.message : 'server error'}`);
          throw err instanceof FhirError ? recordedRefusal(err) : err;
        }
        stopped = err;
      }
      const answer = run.answer(stopped);
      await record(run.imported > 0 || run.refused.length === 0 ? '0' : '4', `POST $import: ${answer.summary}`);
      return { status: 200, resource: answer.outcome, audited: true };
    },
  };
}

class ImportRun {
  imported = 0;
  lines = 0;
  readonly refused: Refusal[] = [];
  readonly patients = new Set<string>();
  readonly entities: string[] = [];
  /** The line each `Type/id` of this import came on, so a second line with it is refused by the first's number. */
  private readonly lineOf = new Map<string, number>();
  private batch: { line: number; resource: Resource }[] = [];

  constructor(
    private readonly ctx: RequestContext,
    private readonly repo: Repository,
    private readonly router: FhirRouter
  ) {}

  async read(body: AsyncIterable<string>): Promise<void> {
    for await (const text of body) {
      const line = ++this.lines;
      if (!text.trim()) continue;
      const admitted = this.admit(line, text);
      if (!admitted) continue;
      this.batch.push({ line, resource: admitted });
      if (this.batch.length >= IMPORT_BATCH_SIZE) await this.flush();
    }
    await this.flush();
  }

  /** The line's resource when it may be stored, or undefined once its refusal is noted. */
  private admit(line: number, text: string): Resource | undefined {
    let resource: Resource;
    try {
      resource = JSON.parse(text);
    } catch (err) {
      return this.refuse(line, [issue('invalid', `not JSON: ${(err as Error).message}`)]);
    }
    if (!resource || typeof resource !== 'object' || Array.isArray(resource) || typeof resource.resourceType !== 'string') {
      return this.refuse(line, [issue('invalid', 'not a FHIR resource (no resourceType)', ['resourceType'])]);
    }
    const type = resource.resourceType;
    if (this.router.servedElsewhere(type)) return this.refuse(line, [issue('forbidden', `${type} is kept by the server itself and is never imported`, ['resourceType'])]);
    if (OFFICE_ONLY_TYPES.has(type) && this.ctx.role !== 'admin') return this.refuse(line, [issue('forbidden', `${type} is consent state; only the network office imports it`, ['resourceType'])]);
    if (resource.id === undefined) resource = { ...resource, id: generateId() };
    else if (typeof resource.id !== 'string' || !ID_PATTERN.test(resource.id)) return this.refuse(line, [issue('invalid', `invalid id "${String(resource.id)}"`, [`${type}.id`])]);
    const key = `${type}/${resource.id}`;
    const earlier = this.lineOf.get(key);
    if (earlier !== undefined) return this.refuse(line, [issue('duplicate', `${key} is also on line ${earlier}`, [`${type}.id`])]);
    try {
      this.repo.assertWritable(this.ctx, resource);
    } catch (err) {
      if (!(err instanceof FhirError)) throw err;
      return this.refuse(line, err.outcome.issue ?? []);
    }
    this.lineOf.set(key, line);
    return resource;
  }

  private async flush(): Promise<void> {
    if (!this.batch.length) return;
    const batch = this.batch;
    this.batch = [];
    const { stored, taken } = await this.repo.importMany(this.ctx, batch.map((b) => b.resource));
    for (const { line, resource } of batch) {
      const key = `${resource.resourceType}/${resource.id}`;
      if (taken.has(key)) this.refuse(line, [issue('duplicate', `${key} exists; $import creates resources and does not replace them (PUT changes one)`, [`${resource.resourceType}.id`])]);
    }
    for (const resource of stored) {
      for (const id of patientsOf(resource)) this.patients.add(id);
      if (this.entities.length < MAX_ENTITIES) this.entities.push(`${resource.resourceType}/${resource.id}`);
    }
    this.imported += stored.length;
  }

  private refuse(line: number, issues: OperationOutcomeIssue[]): undefined {
    this.refused.push({ line, issues });
    return undefined;
  }

  answer(stopped?: FhirError): { summary: string; outcome: OperationOutcome } {
    const summary = `${this.imported} imported, ${this.refused.length} refused, of ${this.lines} lines read`;
    const listed = [...this.refused].sort((a, b) => a.line - b.line).slice(0, MAX_REFUSALS_LISTED);
    const issues: OperationOutcomeIssue[] = [
      { severity: 'information', code: 'informational', diagnostics: summary + (this.refused.length > listed.length ? `; the first ${listed.length} refused lines are listed` : '') },
      ...listed.map(({ line, issues: reasons }) => {
        const text = reasons.map((r) => r.diagnostics ?? r.details?.text).filter(Boolean).join('; ');
        const expression = reasons.flatMap((r) => r.expression ?? []);
        return { severity: 'error', code: reasons[0]?.code ?? 'invalid', diagnostics: `Line ${line}: ${text}`, ...(expression.length ? { expression } : {}) } as OperationOutcomeIssue;
      }),
    ];
    if (stopped) issues.push({ severity: 'fatal', code: 'too-costly', diagnostics: `${stopped.message}: reading stopped after line ${this.lines}; the lines after it were not read` });
    return { summary, outcome: { resourceType: 'OperationOutcome', issue: issues } };
  }
}

function issue(code: OperationOutcomeIssue['code'], text: string, expression?: string[]): OperationOutcomeIssue {
  return { severity: 'error', code, diagnostics: text, ...(expression ? { expression } : {}) };
}
