/**
 * Aggregate research queries over the whole region (role researcher only). A person is an enrolled regional
 * Patient (active network-enrolment Consent: a withdrawn resident is no longer counted) with its linked local
 * records; criteria select persons, groups count them, and the lab value (the latest in the period) gives
 * means and quartiles. No identifier leaves this module.
 *
 * Four defences, in order (docs/security.md, "Research statistics cannot be reversed"):
 * - cells under MIN_CELL persons are suppressed, and complementary suppression hides a second cell wherever one
 *   suppressed cell could be recovered from the others by subtraction;
 * - overlap restriction (query-set-size control with overlap restriction, Dobkin, Jones & Lipton 1979): a cell
 *   whose set of persons differs from any cell released before, to any researcher, by 1 to MIN_CELL − 1 persons
 *   is suppressed too (then complementary suppression runs again), so two queries differing by one person,
 *   one municipality or one day cannot be subtracted to isolate anyone; the same set again is answered alike;
 * - the audit (audit-expert.ts, Chin & Özsoyoglu 1982): a cell is suppressed when, with every cell released
 *   before, some combination of three or more of them would isolate one person (all − one part − the other);
 * - a quartile is the mean of the QUARTILE_SPREAD values nearest its rank, never one person's value.
 */
import type { RequestContext } from '../core/context';
import type { AuditTrail } from '../audit/types';
import { ENROLMENT } from '../consent/model';
import { badRequest } from '../core/errors';
import { escapeLike } from '../store/search/normalize';
import { isolatesSomeone } from './audit-expert';
import { CohortCell, CohortCells, CohortDimension, CohortSelection, PersonCriteria, ReleasedCells, ResearchReleases } from '../store/read-models/cohort';
import { assertMayStart } from '../consent/interactions';

export { COHORT_DIMENSIONS, type CohortDimension } from '../store/read-models/cohort';

export const MIN_CELL = 10;
/** Values averaged into one quartile: fewer than MIN_CELL, so a small cell still has three distinct quartiles. */
export const QUARTILE_SPREAD = 5;

export interface CohortCriteria extends PersonCriteria {
  icd10Prefix?: string;
  labCode?: string;
  labMin?: number;
  labMax?: number;
  hotPrefix?: string;
}

export interface CohortGroup {
  key: string[];
  count: number | null;
  suppressed: boolean;
  mean: number | null;
  quartiles: number[] | null;
}

export interface CohortStatistics {
  groups: CohortGroup[];
  suppressedGroups: number;
}

const ICD10_SYSTEMS = ['http://jpfhir.jp/fhir/core/mhlw/CodeSystem/ICD10-2013-full', 'http://hl7.org/fhir/sid/icd-10', 'http://hl7.org/fhir/sid/icd-10-cm'];
const HOT_SYSTEMS = ['http://medis.or.jp/CodeSystem/master-HOT9', 'http://medis.or.jp/CodeSystem/master-HOT7', 'http://medis.or.jp/CodeSystem/master-HOT13', 'urn:oid:1.2.392.200119.4.403.1'];

export class CohortStatisticsService {
  constructor(
    private readonly cells: CohortCells,
    private readonly releases: ResearchReleases,
    private readonly audit: AuditTrail
  ) {}

  async compute(ctx: RequestContext, criteria: CohortCriteria, groupBy: CohortDimension[]): Promise<CohortStatistics> {
    assertMayStart(ctx, 'cohort-statistics');
    if (new Set(groupBy).size !== groupBy.length) throw badRequest('groupBy lists a dimension twice');
    if ((criteria.labMin !== undefined || criteria.labMax !== undefined) && !criteria.labCode) throw badRequest('labMin/labMax need labCode');
    const cells = await this.cells.of(selectionOf(criteria), groupBy, QUARTILE_SPREAD);
    // Releases are decided one query at a time: two concurrent queries differing by one person must not both
    // pass the overlap check before either is recorded.
    const groups = await this.releases.decide(async (released) => {
      const overlapping: boolean[] = [];
      const passed: string[][] = [];
      for (const [i, hidden] of suppressedCells(cells).entries()) {
        const members = cells[i].members;
        const refused = !hidden && ((await released.someDiffersByFewerThan(MIN_CELL, members)) || (await isolatesWithReleased(released, members, passed)));
        if (!hidden && !refused) passed.push(members);
        overlapping.push(refused);
      }
      const hidden = suppressedCells(cells, overlapping);
      for (const cell of cells.filter((_, i) => !hidden[i])) await released.record(ctx.clientId, cell.members);
      return cells.map((cell, i) => shown(cell, hidden[i]));
    });
    await this.audit.append({
      ctx,
      action: 'operation',
      patientIds: [],
      entities: [],
      outcome: '0',
      description: `cohortStatistics ${JSON.stringify({ criteria, groupBy })}: ${groups.length} groups, ${groups.filter((g) => g.suppressed).length} suppressed`,
      remoteAddress: ctx.remoteAddress,
    });
    return { groups, suppressedGroups: groups.filter((g) => g.suppressed).length };
  }
}

/** Released cells connected to a candidate through shared persons are followed this many steps, and this many cells. */
const MAX_AUDIT_STEPS = 50;
const MAX_AUDIT_CELLS = 5_000;

/**
 * Would releasing this set of persons, beside the cells released before (to any researcher) and the cells of this
 * answer that passed, isolate anyone by some combination of them (audit-expert.ts)? Only released cells connected
 * to the candidate through shared persons can combine with it, so that connected part is read, step by step. When
 * it is larger than the audit will look at, the cell is refused: a cell that cannot be checked is not released.
 */
async function isolatesWithReleased(released: ReleasedCells, members: string[], passed: string[][]): Promise<boolean> {
  const sets = [...passed, members];
  const persons = new Set(sets.flat());
  const seen: string[] = [];
  let frontier = [...persons];
  for (let step = 0; frontier.length; step++) {
    if (step === MAX_AUDIT_STEPS || seen.length > MAX_AUDIT_CELLS) return true;
    const rows = await released.sharingAnyOf(frontier, seen);
    frontier = [];
    for (const row of rows) {
      seen.push(row.id);
      sets.push(row.members);
      for (const person of row.members) if (!persons.has(person)) persons.add(person), frontier.push(person);
    }
  }
  return isolatesSomeone(sets);
}

/** The criteria as the store selects by them: the code systems each prefix is of, the prefixes as patterns. */
function selectionOf(criteria: CohortCriteria): CohortSelection {
  const { icd10Prefix, hotPrefix, labCode, labMin, labMax, ...person } = criteria;
  return {
    ...person,
    enrolment: { system: ENROLMENT.system as string, code: ENROLMENT.code as string },
    condition: icd10Prefix ? { systems: ICD10_SYSTEMS, pattern: escapeLike(icd10Prefix) + '%' } : undefined,
    medication: hotPrefix ? { systems: HOT_SYSTEMS, pattern: escapeLike(hotPrefix) + '%' } : undefined,
    lab: labCode ? { code: labCode, min: labMin, max: labMax } : undefined,
  };
}

type Cell = Omit<CohortCell, 'members'>;

/**
 * Which cells are hidden: primary suppression (< MIN_CELL, or named in `alsoHidden`), then complementary
 * suppression to a fixed point: within the whole table and within every slice that fixes all dimensions but
 * one, a lone suppressed cell would be the slice's total (known from a coarser query) minus the others, so the
 * smallest other cell is suppressed too.
 */
function suppressedCells(cells: Cell[], alsoHidden: boolean[] = []): boolean[] {
  const hidden = cells.map((c, i) => c.count < MIN_CELL || alsoHidden[i] === true);
  const dimensions = cells[0]?.key.length ?? 0;
  const slices: number[][] = [cells.map((_, i) => i)];
  for (let d = 0; d < dimensions && dimensions > 1; d++) {
    const byRest = new Map<string, number[]>();
    cells.forEach((cell, i) => {
      const rest = JSON.stringify(cell.key.filter((_, j) => j !== d));
      byRest.set(rest, [...(byRest.get(rest) ?? []), i]);
    });
    slices.push(...byRest.values());
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const slice of slices) {
      const suppressedHere = slice.filter((i) => hidden[i]);
      const open = slice.filter((i) => !hidden[i]).sort((a, b) => cells[a].count - cells[b].count);
      if (suppressedHere.length === 1 && open.length > 0) {
        hidden[open[0]] = true;
        changed = true;
      }
    }
  }
  return hidden;
}

function shown(cell: Cell, hidden: boolean): CohortGroup {
  return hidden ? { key: cell.key, count: null, suppressed: true, mean: null, quartiles: null } : { key: cell.key, count: cell.count, suppressed: false, mean: cell.mean, quartiles: cell.quartiles };
}
