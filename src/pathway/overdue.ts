/**
 * The missed-test sweep: every activity past its due date with no result since raises one Flag per activity
 * period. Which activities are overdue, and which periods are new, is decided by one statement of the
 * pathway ledger (its unique key on alerts makes a second run raise nothing); the Flags are then
 * written in batches. Run daily in the server process, and by operators with CarePlan/$check-overdue.
 */
import type { Parameters } from '@medplum/fhirtypes';
import { OperationParameters } from '../fhir/parameters';
import type { Repository } from '../fhir/repository';
import type { OperationHandler } from '../fhir/router';
import type { Logger } from '../core/logger';
import { isoDate } from './enrolment';
import { AlertInput, MISSED_TEST_RULE, PathwayLedgerIn, writeFlags } from './flags';
import type { Severity } from './rules';
import { assertMayStart } from '../consent/interactions';

const MISSED_TEST_SEVERITY: Severity = 'medium';

export interface SweepResult {
  asOf: string;
  raised: number;
}

export async function checkOverdue(repo: Repository, ledgerIn: PathwayLedgerIn, asOf: string): Promise<SweepResult> {
  return repo.transaction(async (tx) => {
    const claimed = await ledgerIn(tx).claimOverdue(asOf, MISSED_TEST_RULE, MISSED_TEST_SEVERITY);
    const alerts = claimed.map(
      (c): AlertInput => ({
        flagId: c.flagId,
        kind: 'missed',
        regionalId: c.regionalId,
        carePlanId: c.carePlanId,
        definition: c.definition,
        activityTitle: c.title,
        ruleId: MISSED_TEST_RULE,
        message: `due every ${c.intervalMonths} months`,
        severity: MISSED_TEST_SEVERITY,
        followUp: c.followUp,
        periodDue: c.periodDue,
      })
    );
    await writeFlags(tx, alerts);
    return { asOf, raised: alerts.length };
  });
}

/** CarePlan/$check-overdue with Parameters `asOf` (valueDate; default today): runs the sweep now. */
export function checkOverdueOperation(ledgerIn: PathwayLedgerIn): OperationHandler {
  return {
    name: 'check-overdue',
    levels: ['type'],
    resourceTypes: ['CarePlan'],
    methods: ['POST'],
    async handle({ ctx, repo, request }) {
      assertMayStart(ctx, 'overdue-sweep');
      const asOf = (request.body === undefined ? undefined : OperationParameters.from(request.body, 'check-overdue').date('asOf')) ?? isoDate(new Date());
      const result = await checkOverdue(repo, ledgerIn, asOf);
      const answer: Parameters = { resourceType: 'Parameters', parameter: [{ name: 'asOf', valueDate: result.asOf }, { name: 'raised', valueInteger: result.raised }] };
      return { status: 200, resource: answer };
    },
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The daily sweep in the server process: shortly after start, then every 24 hours. Returns the stop function. */
export function scheduleDailySweep(repo: Repository, ledgerIn: PathwayLedgerIn, logger: Logger, firstRunMs = 60_000): () => void {
  const run = async () => {
    try {
      const result = await checkOverdue(repo, ledgerIn, isoDate(new Date()));
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
