/**
 * The write hook of the care pathways: in the transaction that stores an Observation, the rules of every
 * pathway activity it answers run, the activity's next due date moves on, a missed-test Flag it answers is
 * closed, and an abnormal value raises a Flag. A patient on no pathway costs one indexed lookup per write.
 * CarePlans that stop being active leave the rules; later versions of pathway Flags update their alert rows.
 */
import { randomUUID } from 'node:crypto';
import type { CarePlan, Flag, Observation } from '@medplum/fhirtypes';
import type { Repository } from '../fhir/repository';
import type { WriteHook } from '../store/resource-table';
import type { StoredVersion } from '../store/resource-writes';
import type { ActivityMatch, PathwayLedger } from '../store/pathway-ledger';
import { AlertInput, endMissedTestFlags, isPathwayFlag, PathwayLedgerIn, raiseAlerts, syncAlertState } from './flags';
import { AlertRule, describeValues, evaluate, primaryValue, ResultValues, resultValues, tokensAnswering } from './rules';

/** `repository` is asked for at write time: the repository is built with this hook among its hooks. */
export function pathwayAlerts(repository: () => Repository, ledgerIn: PathwayLedgerIn): WriteHook {
  return async (tx, versions: StoredVersion[]) => {
    const observations: Observation[] = [];
    const endedPlans: string[] = [];
    const flags: { flag: Flag; deleted: boolean }[] = [];
    for (const version of versions) {
      const resource = version.resource;
      if (resource.resourceType === 'Observation' && !version.deleted && countsAsResult(resource)) observations.push(resource);
      else if (resource.resourceType === 'CarePlan' && (version.deleted || (resource as CarePlan).status !== 'active')) endedPlans.push(resource.id as string);
      else if (resource.resourceType === 'Flag' && resource.meta?.versionId !== '1' && isPathwayFlag(resource)) flags.push({ flag: resource, deleted: version.deleted });
    }
    if (!observations.length && !endedPlans.length && !flags.length) return;
    const repo = repository().withConnection(tx);
    const ledger = ledgerIn(repo);
    if (endedPlans.length) await ledger.endPlans(endedPlans);
    await syncAlertState(ledger, flags);
    if (observations.length) await runRules(repo, ledger, observations);
  };
}

function countsAsResult(observation: Observation): boolean {
  return !['entered-in-error', 'cancelled', 'registered'].includes(observation.status) && !!observation.subject?.reference?.startsWith('Patient/');
}

type Match = ActivityMatch<AlertRule>;

/**
 * What one activity's results at one time say together: a facility sends one blood pressure as a systolic and a
 * diastolic Observation, and the rules judge the measurement once ("165/95 mm[Hg]"), as they judge a panel.
 */
interface Measurement {
  match: Match;
  at: string;
  /** The first of its results, which the Flag names. */
  observation: Observation;
  values: ResultValues;
  unit?: string;
}

async function runRules(repo: Repository, ledger: PathwayLedger, observations: Observation[]): Promise<void> {
  const keys = observations.flatMap((o, index) =>
    (o.code.coding ?? []).filter((c) => c.system && c.code).flatMap((c) => tokensAnswering(c).map((code) => ({ index, subject: o.subject?.reference?.slice('Patient/'.length) as string, code })))
  );
  if (!keys.length) return;
  // The subject may be a facility's local record: the pathway is kept for the regional Patient it is linked to.
  const matches = await ledger.activitiesAnswered<AlertRule>(keys);
  if (!matches.length) return;

  const alerts: AlertInput[] = [];
  const latest = new Map<string, { measurement: Measurement; text: string; abnormal: boolean; baseline: number | null }>();
  const baselines = new Map<string, number | null>();
  // Earliest first, so a batch holding several results of one activity judges each against the baseline in order.
  for (const measurement of measurementsOf(matches, observations)) {
    const { match, values, unit, at } = measurement;
    const activity = `${match.carePlanId} ${match.activityKey}`;
    const known = baselines.has(activity) ? baselines.get(activity) : match.baseline;
    const baseline = known ?? primaryValue({ rules: match.rules }, values) ?? null;
    baselines.set(activity, baseline);
    const raised = evaluate({ rules: match.rules }, values, known ?? undefined, unit);
    for (const { rule, valueText } of raised) {
      alerts.push({
        flagId: randomUUID(),
        kind: 'abnormal',
        regionalId: match.regionalId,
        carePlanId: match.carePlanId,
        definition: match.definition,
        activityTitle: match.title,
        ruleId: rule.id,
        message: rule.message,
        severity: rule.severity,
        followUp: match.followUp,
        valueText,
        observationId: measurement.observation.id,
        measuredAt: at,
      });
    }
    const previous = latest.get(activity);
    if (!previous || previous.measurement.at <= at) {
      latest.set(activity, { measurement, text: describeValues({ rules: match.rules }, values, unit), abnormal: raised.length > 0, baseline });
    }
  }

  // One round trip records the results and ends the missed-test alerts they answer.
  const closed = await ledger.recordResults(
    [...latest.values()].map((u) => ({
      carePlanId: u.measurement.match.carePlanId,
      activityKey: u.measurement.match.activityKey,
      at: u.measurement.at,
      value: { text: u.text, values: u.measurement.values },
      observationId: u.measurement.observation.id as string,
      abnormal: u.abnormal,
      baseline: u.baseline,
    }))
  );
  await endMissedTestFlags(repo, closed);
  await raiseAlerts(repo, ledger, alerts);
}

/** The batch's results as measurements: one per activity and time, earliest first. */
function measurementsOf(matches: Match[], observations: Observation[]): Measurement[] {
  const byActivityAndTime = new Map<string, Measurement>();
  for (const match of matches) {
    const observation = observations[match.index];
    const at = effectiveOf(observation);
    const key = `${match.carePlanId} ${match.activityKey} ${at}`;
    const values = resultValues(observation);
    const measurement = byActivityAndTime.get(key);
    if (measurement) Object.assign(measurement.values, values);
    else byActivityAndTime.set(key, { match, at, observation, values, unit: observation.valueQuantity?.unit ?? observation.component?.[0]?.valueQuantity?.unit });
  }
  return [...byActivityAndTime.values()].sort((a, b) => a.at.localeCompare(b.at));
}

/** When the result was obtained: the clinically relevant time, else when it was stored. */
export function effectiveOf(observation: Observation): string {
  const at = observation.effectiveDateTime ?? observation.effectivePeriod?.start ?? observation.effectiveInstant ?? observation.issued ?? observation.meta?.lastUpdated ?? new Date().toISOString();
  return new Date(at).toISOString();
}
