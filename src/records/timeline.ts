/**
 * One patient's record across facilities as a single time line, newest first: encounters, diagnoses,
 * prescriptions, injections, lab results, imaging, documents and the resident's own vitals. The kind and the
 * time of each entry are computed when it is written, by the rules below (the read model
 * store/read-models/timeline.ts keeps, replaced by a write hook), so a page is one statement that walks a
 * patient's entries newest first, under the caller's read scope like every other read.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import type { AccessPolicy } from '../consent/access';
import { badRequest } from '../core/errors';
import type { TimelineEntries, TimelineRules } from '../store/read-models/timeline';

export const TIMELINE_KINDS = ['ENCOUNTER', 'CONDITION', 'ALLERGY', 'MEDICATION', 'INJECTION', 'LAB_RESULT', 'IMAGING', 'DOCUMENT', 'VITAL'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

const INJECTION_PROFILES = [
  'http://jpfhir.jp/fhir/core/StructureDefinition/JP_MedicationRequest_Injection',
  'http://jpfhir.jp/fhir/core/StructureDefinition/JP_MedicationAdministration_Injection',
];
/** Vital signs and JP Core 1.2's body measurements (height, weight from ADT-00) are shown as vitals, not lab results. */
const VITAL_CATEGORIES = ['vital-signs', 'body-measurement'];
const injection = { token: '_profile', values: INJECTION_PROFILES, kind: 'INJECTION' } as const;

/**
 * Which types are on the line, the date search parameters that place each (in order of preference), and the
 * kind of each: from its type and, where a type holds two, its category or profile. `version` names these
 * rules: a change to them must change it, and the server then refills the read model at its next start.
 */
export const TIMELINE_RULES: TimelineRules<TimelineKind> = {
  version: '1',
  types: {
    Encounter: { times: ['date'], kind: 'ENCOUNTER' },
    Condition: { times: ['onset-date', 'recorded-date'], kind: 'CONDITION' },
    AllergyIntolerance: { times: ['onset', 'date'], kind: 'ALLERGY' },
    MedicationRequest: { times: ['authoredon'], kind: 'MEDICATION', unless: injection },
    MedicationAdministration: { times: ['effective-time'], kind: 'MEDICATION', unless: injection },
    Immunization: { times: ['date'], kind: 'INJECTION' },
    Observation: { times: ['date'], kind: 'LAB_RESULT', unless: { token: 'category', values: VITAL_CATEGORIES, kind: 'VITAL' } },
    ImagingStudy: { times: ['started'], kind: 'IMAGING' },
    DocumentReference: { times: ['date'], kind: 'DOCUMENT' },
  },
};

export interface TimelineEntry {
  at: Date;
  kind: TimelineKind;
  resource: Resource;
  /** "Organization/<id>" that supplied it, or "Patient/<id>" for the resident's own entries. */
  source?: string;
  rid: string;
}

export interface TimelinePage {
  entries: TimelineEntry[];
  endCursor?: string;
  hasNextPage: boolean;
}

export interface TimelineQuery {
  patientId: string;
  from?: Date;
  to?: Date;
  kinds?: TimelineKind[];
  first: number;
  after?: string;
}

export const MAX_TIMELINE_PAGE = 500;

export class Timeline {
  constructor(
    private readonly entries: TimelineEntries,
    private readonly access: AccessPolicy
  ) {}

  async page(ctx: RequestContext, query: TimelineQuery): Promise<TimelinePage> {
    if (query.first < 1 || query.first > MAX_TIMELINE_PAGE) throw badRequest(`first must be between 1 and ${MAX_TIMELINE_PAGE}`);
    this.access.assertMayRead(ctx, 'Patient');
    const kinds = query.kinds?.length ? query.kinds : [...TIMELINE_KINDS];
    const after = query.after ? decodeCursor(query.after) : undefined;
    const rows = await this.entries.newestFirst(this.access.readScope(ctx), {
      patientId: query.patientId,
      kinds: new Set(kinds).size < TIMELINE_KINDS.length ? kinds : undefined,
      from: query.from,
      to: query.to,
      after: after && { at: after[0], rid: after[1] },
      limit: query.first + 1,
    });
    const more = rows.length > query.first;
    const entries = rows.slice(0, query.first).map((row) => ({ ...row, kind: row.kind as TimelineKind }));
    const last = entries[entries.length - 1];
    return { entries, hasNextPage: more, endCursor: last ? encodeCursor(last.at, last.rid) : undefined };
  }
}

function encodeCursor(at: Date, rid: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), rid])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const [at, rid] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof at !== 'string' || !/^\d+$/.test(rid)) throw new Error();
    return [at, rid];
  } catch {
    throw badRequest('Invalid cursor "after"');
  }
}
