/**
 * The write hook of the care pathways: in the transaction that stores an Observation, the rules of every
 * pathway activity it answers run, the activity's next due date moves on, a missed-test Flag it answers is
 * closed, and an abnormal value raises a Flag. A patient on no pathway costs one indexed lookup per write.
 * CarePlans that stop being active leave the rules; later versions of pathway Flags update their alert rows.
 */
import { randomUUID } from 'node:crypto';
import type { CarePlan, Flag, Observation } from '@medplum/fhirtypes';
import type { Db } from '../store/db/database';
import { sql } from '../core/sql';
import type { Repository, WriteHook } from '../fhir/repository';
import type { StoredVersion } from '../fhir/store';
import { AlertInput, endMissedTestFlags, isPathwayFlag, missedTestsClosed, raiseAlerts, syncAlertState } from './flags';
import { AlertRule, describeValues, evaluate, primaryValue, resultValues, token } from './rules';

/** `repository` is asked for at write time: the repository is built with this hook among its hooks. */
export function pathwayAlerts(repository: () => Repository): WriteHook {
  return async (tx: Db, versions: StoredVersion[]) => {
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
    const repo = repository().withDb(tx);
    if (endedPlans.length) await tx.query(sql`DELETE FROM pathway_activity WHERE care_plan_id = ANY(${endedPlans}::text[])`);
    await syncAlertState(repo, flags);
    if (observations.length) await runRules(repo, observations);
  };
}

function countsAsResult(observation: Observation): boolean {
  return !['entered-in-error', 'cancelled', 'registered'].includes(observation.status) && !!observation.subject?.reference?.startsWith('Patient/');
}

interface Match {
  i: number;
  care_plan_id: string;
  activity_key: string;
  regional_id: string;
  definition: string;
  title: string;
  rules: AlertRule[];
  baseline: number | null;
  follow_up: string;
}

async function runRules(repo: Repository, observations: Observation[]): Promise<void> {
  const keys = observations.flatMap((o, i) => (o.code.coding ?? []).filter((c) => c.system && c.code).map((c) => ({ i, subject: o.subject?.reference?.slice('Patient/'.length) as string, code: token(c) })));
  if (!keys.length) return;
  // The subject may be a facility's local record: the pathway is kept for the regional Patient it is linked to.
  const matches = await repo.db.query<Match>(sql`
    SELECT DISTINCT ON (x.i, a.care_plan_id, a.activity_key) x.i, a.care_plan_id, a.activity_key, a.regional_id, a.definition, a.title, a.rules,
      a.baseline::float8 AS baseline, a.follow_up
    FROM unnest(${keys.map((k) => k.i)}::int[], ${keys.map((k) => k.subject)}::text[], ${keys.map((k) => k.code)}::text[]) AS x(i, subject, code)
    LEFT JOIN patient_link l ON l.local_id = x.subject
    JOIN pathway_activity a ON a.regional_id = COALESCE(l.regional_id, x.subject) AND x.code = ANY(a.codes)`);
  if (!matches.length) return;

  const alerts: AlertInput[] = [];
  const latest = new Map<string, { match: Match; at: string; observation: Observation; text: string; abnormal: boolean; baseline: number | null }>();
  // Earliest first, so a batch holding several results of one activity judges each against the baseline in order.
  const ordered = [...matches].sort((a, b) => effectiveOf(observations[a.i]).localeCompare(effectiveOf(observations[b.i])));
  const baselines = new Map<string, number | null>();
  for (const match of ordered) {
    const observation = observations[match.i];
    const activity = `${match.care_plan_id} ${match.activity_key}`;
    const values = resultValues(observation);
    const unit = observation.valueQuantity?.unit ?? observation.component?.[0]?.valueQuantity?.unit;
    const known = baselines.has(activity) ? baselines.get(activity) : match.baseline;
    const baseline = known ?? primaryValue({ rules: match.rules }, values) ?? null;
    baselines.set(activity, baseline);
    const raised = evaluate({ rules: match.rules }, values, known ?? undefined, unit);
    for (const { rule, valueText } of raised) {
      alerts.push({
        flagId: randomUUID(),
        kind: 'abnormal',
        regionalId: match.regional_id,
        carePlanId: match.care_plan_id,
        definition: match.definition,
        activityTitle: match.title,
        ruleId: rule.id,
        message: rule.message,
        severity: rule.severity,
        followUp: match.follow_up,
        valueText,
        observationId: observation.id,
      });
    }
    const at = effectiveOf(observation);
    const previous = latest.get(activity);
    if (!previous || previous.at <= at) {
      latest.set(activity, { match, at, observation, text: describeValues({ rules: match.rules }, values, unit), abnormal: raised.length > 0, baseline });
    }
  }

  // One round trip records the results and ends the missed-test alerts they answer.
  const updates = [...latest.values()];
  const results = sql`unnest(${updates.map((u) => u.match.care_plan_id)}::text[], ${updates.map((u) => u.match.activity_key)}::text[], ${updates.map((u) => u.at)}::timestamptz[],
      ${updates.map((u) => JSON.stringify({ text: u.text, values: resultValues(u.observation) }))}::jsonb[], ${updates.map((u) => u.observation.id as string)}::text[],
      ${updates.map((u) => u.abnormal)}::boolean[], ${updates.map((u) => u.baseline)}::numeric[])`;
  const closed = await repo.db.query<{ content: string }>(sql`
    WITH recorded AS (
      UPDATE pathway_activity a SET
        baseline = COALESCE(a.baseline, x.baseline),
        due_date = GREATEST(a.due_date, (x.at::date + make_interval(months => a.interval_months))::date),
        last_value = CASE WHEN a.last_at IS NULL OR x.at >= a.last_at THEN x.value ELSE a.last_value END,
        last_observation = CASE WHEN a.last_at IS NULL OR x.at >= a.last_at THEN x.observation ELSE a.last_observation END,
        last_abnormal = CASE WHEN a.last_at IS NULL OR x.at >= a.last_at THEN x.abnormal ELSE a.last_abnormal END,
        last_at = GREATEST(a.last_at, x.at)
      FROM ${results} AS x(care_plan_id, activity_key, at, value, observation, abnormal, baseline)
      WHERE a.care_plan_id = x.care_plan_id AND a.activity_key = x.activity_key),
    closed AS (${missedTestsClosed(sql`${results} AS x(care_plan_id, activity_key, at, value, observation, abnormal, baseline)`)})
    SELECT r.content FROM resource r JOIN closed c ON r.resource_type = 'Flag' AND r.id = c.flag_id AND NOT r.deleted`);
  await endMissedTestFlags(repo, closed.map((c) => c.content));
  await raiseAlerts(repo, alerts);
}

/** When the result was obtained: the clinically relevant time, else when it was stored. */
export function effectiveOf(observation: Observation): string {
  const at = observation.effectiveDateTime ?? observation.effectivePeriod?.start ?? observation.effectiveInstant ?? observation.issued ?? observation.meta?.lastUpdated ?? new Date().toISOString();
  return new Date(at).toISOString();
}
