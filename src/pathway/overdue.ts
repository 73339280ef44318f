/**
 * The missed-test sweep: every activity past its due date with no result since raises one Flag per activity
 * period. Which activities are overdue, and which periods are new, is decided by one statement over
 * pathway_activity (the unique key on pathway_alert makes a second run raise nothing); the Flags are then
 * written in batches. Run daily in the server process, and by operators with CarePlan/$check-overdue.
 */
import type { Parameters } from '@medplum/fhirtypes';
import { sql } from '../core/sql';
import { forbidden } from '../core/errors';
import { OperationParameters } from '../fhir/parameters';
import type { Repository } from '../fhir/repository';
import type { OperationHandler } from '../fhir/router';
import type { Logger } from '../core/logger';
import { isoDate } from './enrolment';
import { AlertInput, MISSED_TEST_RULE, writeFlags } from './flags';

export interface SweepResult {
  asOf: string;
  raised: number;
}

export async function checkOverdue(repo: Repository, asOf: string): Promise<SweepResult> {
  return repo.transaction(async (tx) => {
    // The period an activity is missed in: its due date plus as many whole intervals as have passed by asOf.
    // Rows are locked so a result stored meanwhile either moves due_date first or closes this sweep's Flag after.
    const claimed = await tx.db.query<{ flag_id: string; care_plan_id: string; regional_id: string; period_due: string; definition: string; title: string; follow_up: string; interval_months: number }>(sql`
      WITH due AS (
        SELECT a.care_plan_id, a.activity_key, a.regional_id,
          (a.due_date + make_interval(months => a.interval_months *
            ((date_part('year', age(${asOf}::date, a.due_date)) * 12 + date_part('month', age(${asOf}::date, a.due_date)))::int / a.interval_months)))::date AS period_due
        FROM pathway_activity a WHERE a.due_date <= ${asOf}::date
        FOR UPDATE OF a
      ), claimed AS (
        INSERT INTO pathway_alert (flag_id, kind, care_plan_id, activity_key, regional_id, rule_id, severity, period_due)
        SELECT gen_random_uuid()::text, 'missed', care_plan_id, activity_key, regional_id, ${MISSED_TEST_RULE}, 'medium', period_due FROM due
        ON CONFLICT (care_plan_id, activity_key, period_due) WHERE kind = 'missed' DO NOTHING
        RETURNING flag_id, care_plan_id, activity_key, regional_id, period_due
      )
      SELECT c.flag_id, c.care_plan_id, c.regional_id, c.period_due::text AS period_due, a.definition, a.title, a.follow_up, a.interval_months
      FROM claimed c JOIN pathway_activity a ON a.care_plan_id = c.care_plan_id AND a.activity_key = c.activity_key`);
    const alerts = claimed.map(
      (c): AlertInput => ({
        flagId: c.flag_id,
        kind: 'missed',
        regionalId: c.regional_id,
        carePlanId: c.care_plan_id,
        definition: c.definition,
        activityTitle: c.title,
        ruleId: MISSED_TEST_RULE,
        message: `due every ${c.interval_months} months`,
        severity: 'medium',
        followUp: c.follow_up,
        periodDue: c.period_due,
      })
    );
    await writeFlags(tx, alerts);
    return { asOf, raised: alerts.length };
  });
}

/** CarePlan/$check-overdue with Parameters `asOf` (valueDate; default today): runs the sweep now. */
export const checkOverdueOperation: OperationHandler = {
  name: 'check-overdue',
  levels: ['type'],
  resourceTypes: ['CarePlan'],
  methods: ['POST'],
  async handle({ ctx, repo, request }) {
    if (ctx.role !== 'admin' && ctx.role !== 'clinician') throw forbidden('The overdue sweep is run by the network office or a clinician');
    const asOf = (request.body === undefined ? undefined : OperationParameters.from(request.body, 'check-overdue').date('asOf')) ?? isoDate(new Date());
    const result = await checkOverdue(repo, asOf);
    const answer: Parameters = { resourceType: 'Parameters', parameter: [{ name: 'asOf', valueDate: result.asOf }, { name: 'raised', valueInteger: result.raised }] };
    return { status: 200, resource: answer };
  },
};

const DAY_MS = 24 * 60 * 60 * 1000;

/** The daily sweep in the server process: shortly after start, then every 24 hours. Returns the stop function. */
export function scheduleDailySweep(repo: Repository, logger: Logger, firstRunMs = 60_000): () => void {
  const run = async () => {
    try {
      const result = await checkOverdue(repo, isoDate(new Date()));
      logger.info(result, 'pathway overdue sweep');
    } catch (err) {
      logger.error({ err }, 'pathway overdue sweep failed');
    }
  };
  let interval: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    void run();
    interval = setInterval(() => void run(), DAY_MS);
    interval.unref();
  }, firstRunMs);
  first.unref();
  return () => {
    clearTimeout(first);
    if (interval) clearInterval(interval);
  };
}
