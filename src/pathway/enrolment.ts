/**
 * PlanDefinition/{id}/$apply: the specialist at a core hospital puts a patient on a pathway. Unlike the bare
 * FHIR operation, which only returns a proposal, this stores an active CarePlan — activities with their
 * first due dates, the hospital as author, a CareTeam of the hospital and the follow-up clinic — and enters
 * its activities into the pathway ledger (store/pathway-ledger.ts), in one transaction. Both facilities must be linked to the patient
 * (an active facility Consent, i.e. an access grant), as both will see its results and alerts.
 */
import type { ActivityDefinition, CarePlan, CarePlanActivity, Organization, PlanDefinition } from '@medplum/fhirtypes';
import { RequestContext, systemActor } from '../core/context';
import { FACILITY_TYPE_SYSTEM } from '../consent/model';
import { SYSTEM } from '../mapping/hl7v2/codesystems';
import { badRequest, conflict, FhirError, forbidden, outcome } from '../core/errors';
import { OperationParameters } from '../fhir/parameters';
import type { Repository } from '../fhir/repository';
import type { PathwayLedger } from '../store/pathway-ledger';
import { OperationHandler, parseQuery } from '../fhir/router';
import { activityKey, PathwayLedgerIn } from './flags';
import { ActivityRules, activityRules, PATHWAY_ROLE_SYSTEM, primaryValue, resultValues } from './rules';
import { facilityStarting } from '../consent/interactions';

const refused = (text: string) => new FhirError(422, outcome('error', 'business-rule', text));

export function applyOperation(ledgerIn: PathwayLedgerIn): OperationHandler {
  return {
    name: 'apply',
    levels: ['instance'],
    resourceTypes: ['PlanDefinition'],
    methods: ['POST'],
    async handle({ ctx, repo, request, id }) {
      const hospital = await coreHospitalOf(repo, ctx);
      const params = OperationParameters.from(request.body, 'apply');
      const subject = params.requiredString('subject');
      const clinic = params.requiredString('organization');
      if (!/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(subject)) throw badRequest('Parameter "subject" must be "Patient/<regional id>"', ['Parameters.parameter[subject]']);
      if (!/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(clinic)) throw badRequest('Parameter "organization" must be "Organization/<id>" of the follow-up clinic', ['Parameters.parameter[organization]']);
      const regionalId = subject.slice('Patient/'.length);
      const plan = (await repo.read(ctx, 'PlanDefinition', id as string)) as PlanDefinition;
      if (plan.status !== 'active') throw refused(`PlanDefinition/${id} is ${plan.status}, not active`);

      // The caller must see the patient itself (a hidden id answers as one that never existed); whether the
      // follow-up clinic may see them is its own Consent's business, decided on every read it makes, and is not
      // told to the hospital by the answer.
      await repo.read(ctx, 'Patient', regionalId);
      await repo.read(systemActor('follow-up-clinic', ctx.requestId), 'Organization', clinic.slice('Organization/'.length));
      const ledger = ledgerIn(repo);
      if (await ledger.isLinkedLocalRecord(regionalId)) throw refused(`${subject} is a facility's own record; apply the pathway to the regional Patient it is linked to`);
      const activities = await activityDefinitions(repo, plan);
      const already = await ledger.enrolmentOf(regionalId, plan.url as string);
      if (already) throw conflict(`${subject} is already on ${plan.url} (CarePlan/${already})`);

      const start = new Date();
      const carePlan = buildCarePlan(plan, activities, { subject, hospital, clinic, start });
      const created = await repo.transaction(async (tx) => {
        const stored = (await tx.create(ctx, carePlan)) as CarePlan;
        const txLedger = ledgerIn(tx);
        const baselines = await valuesBefore(txLedger, regionalId, activities);
        await txLedger.enrol({
          carePlanId: stored.id as string,
          regionalId,
          pathwayUrl: plan.url as string,
          pathwayName: plan.name ?? (plan.url as string),
          organizations: [hospital, clinic],
          started: isoDate(start),
          activities: activities.map((a) => ({
            key: activityKey(a.canonical),
            definition: a.canonical,
            title: a.title,
            codes: a.rules.codes,
            intervalMonths: a.rules.intervalMonths,
            rules: a.rules.rules,
            followUp: a.rules.followUp === 'core-hospital' ? hospital : clinic,
            dueDate: isoDate(addMonths(start, a.rules.intervalMonths)),
            baseline: baselines.get(a.canonical) ?? null,
          })),
        });
        return stored;
      });
      return { status: 201, resource: created, headers: { location: `CarePlan/${created.id}/_history/${created.meta?.versionId}` } };
    },
  };
}

/** The caller's facility, which must be a core hospital (医療機関種別 in Organization.type). */
async function coreHospitalOf(repo: Repository, ctx: RequestContext): Promise<string> {
  const facility = facilityStarting(ctx, 'apply-pathway');
  const organization = (await repo.read(systemActor('facility-type', ctx.requestId), 'Organization', facility.slice('Organization/'.length))) as Organization;
  const isCoreHospital = (organization.type ?? []).some((t) => t.coding?.some((c) => c.system === FACILITY_TYPE_SYSTEM && c.code === 'core-hospital'));
  if (!isCoreHospital) throw forbidden(`${facility} is not a core hospital; pathways are applied by the specialist at a core hospital`);
  return facility;
}

interface AppliedActivity {
  canonical: string;
  title: string;
  definition: ActivityDefinition;
  rules: ActivityRules;
}

/** The ActivityDefinitions the plan's actions name (url|version), with their rules read and checked. */
async function activityDefinitions(repo: Repository, plan: PlanDefinition): Promise<AppliedActivity[]> {
  const system = systemActor('pathway-definitions');
  const out: AppliedActivity[] = [];
  for (const action of plan.action ?? []) {
    const canonical = action.definitionCanonical;
    if (!canonical) continue;
    const [url, version] = canonical.split('|');
    const page = await repo.search(system, { ...parseQuery('ActivityDefinition', { url, ...(version ? { version } : {}), _sort: '-_lastUpdated' }), count: 1, total: 'none' });
    if (!page.matches.length) throw refused(`${plan.url}: ActivityDefinition ${canonical} is not on this server`);
    const definition = JSON.parse(page.matches[0].content) as ActivityDefinition;
    try {
      out.push({ canonical: `${url}|${definition.version ?? ''}`, title: definition.title ?? action.title ?? url, definition, rules: activityRules(definition) });
    } catch (err) {
      throw refused(`${plan.url}: ${(err as Error).message}`);
    }
  }
  if (!out.length) throw refused(`${plan.url} has no actions with a definitionCanonical`);
  return out;
}

function buildCarePlan(plan: PlanDefinition, activities: AppliedActivity[], who: { subject: string; hospital: string; clinic: string; start: Date }): CarePlan {
  const role = (code: string) => [{ coding: [{ system: PATHWAY_ROLE_SYSTEM, code }] }];
  const activity = activities.map(
    (a): CarePlanActivity => ({
      detail: {
        kind: 'ServiceRequest',
        instantiatesCanonical: [a.canonical],
        code: a.definition.code,
        status: 'scheduled',
        description: a.title,
        scheduledTiming: { event: [isoDate(addMonths(who.start, a.rules.intervalMonths))], repeat: a.definition.timingTiming?.repeat },
        performer: [{ reference: a.rules.followUp === 'core-hospital' ? who.hospital : who.clinic }],
      },
    })
  );
  return {
    resourceType: 'CarePlan',
    status: 'active',
    intent: 'plan',
    instantiatesCanonical: [`${plan.url}|${plan.version ?? ''}`],
    title: plan.title,
    subject: { reference: who.subject },
    period: { start: who.start.toISOString() },
    created: who.start.toISOString(),
    author: { reference: who.hospital },
    contained: [
      {
        resourceType: 'CareTeam',
        id: 'care-team',
        status: 'active',
        subject: { reference: who.subject },
        participant: [
          { role: role('core-hospital'), member: { reference: who.hospital } },
          { role: role('follow-up-clinic'), member: { reference: who.clinic } },
        ],
      },
    ],
    careTeam: [{ reference: '#care-team' }],
    activity,
  };
}

/**
 * The patient's latest value of each activity before enrolment, from any facility: the baseline that
 * "fell by 25%" is measured against. Activities without one take their first result on the pathway.
 */
async function valuesBefore(ledger: PathwayLedger, regionalId: string, activities: AppliedActivity[]): Promise<Map<string, number>> {
  const wanted = activities.flatMap((a) => a.rules.codes.map((code) => ({ canonical: a.canonical, system: code.split('|')[0], value: code.split('|').slice(1).join('|') })));
  // A JLAC10 token leaves the method digits open as "___" (rules.ts token), which the ledger matches as a pattern.
  const latest = await ledger.latestResults(regionalId, wanted, SYSTEM.jlac10);
  const baselines = new Map<string, number>();
  for (const { canonical, observation } of latest) {
    const activity = activities.find((a) => a.canonical === canonical);
    const value = activity && primaryValue(activity.rules, resultValues(observation));
    if (value !== undefined) baselines.set(canonical, value);
  }
  return baselines;
}

export function addMonths(date: Date, months: number): Date {
  const out = new Date(date);
  out.setUTCMonth(out.getUTCMonth() + months);
  return out;
}

export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
