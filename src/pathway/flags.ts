/**
 * The Flags care-pathway rules raise, and what happens to them afterwards: closed when the missing result
 * arrives, acknowledged by the care team ($acknowledge, audited).
 *
 * A pathway Flag is written by Tonet itself (a system actor), so it carries no meta.source: no single facility
 * supplied it, and none may change it by PUT. It sits in the regional Patient's compartment (subject), so every
 * facility with an active facility Consent for the patient — the care team, which $apply checked — sees it, and
 * it reaches the `alertRaised` subscription of each of them.
 */
import type { Extension, Flag } from '@medplum/fhirtypes';
import { systemActor } from '../core/context';
import { patientsOf } from '../core/compartments';
import type { AuditSink } from '../audit/types';
import { unprocessable } from '../core/errors';
import type { Repository } from '../fhir/repository';
import type { OperationHandler } from '../fhir/router';
import type { PathwayLedger } from '../store/pathway-ledger';
import type { Severity } from './rules';
import { assertMayStart } from '../consent/interactions';

/** The pathway ledger on a repository's connection: within its transaction when the repository is a transaction's. */
export type PathwayLedgerIn = (repo: Repository) => PathwayLedger;

/** Flags raised by care-pathway rules carry this category. */
export const ALERT_FLAG_CATEGORY = 'urn:tonet:flag-category';

export const FLAG_KIND = { abnormal: 'pathway-abnormal', missed: 'pathway-missed-test' } as const;
export type AlertKind = keyof typeof FLAG_KIND;

export const RULE_SYSTEM = 'urn:tonet:pathway-rule';
export const EXT = {
  carePlan: 'urn:tonet:extension:pathway-care-plan',
  observation: 'urn:tonet:extension:pathway-observation',
  activity: 'urn:tonet:extension:pathway-activity',
  value: 'urn:tonet:extension:pathway-value',
  severity: 'urn:tonet:extension:pathway-severity',
  due: 'urn:tonet:extension:pathway-due',
  followUp: 'urn:tonet:extension:pathway-follow-up',
  acknowledgement: 'urn:tonet:extension:flag-acknowledgement',
};

/** The missed-test rule has no ActivityDefinition extension: every activity has it. */
export const MISSED_TEST_RULE = 'missed-test';

export interface AlertInput {
  /** Assigned before the Flag is written, so the ledger's claim of the alert can name it. */
  flagId: string;
  kind: AlertKind;
  regionalId: string;
  carePlanId: string;
  /** ActivityDefinition canonical (url|version). */
  definition: string;
  activityTitle: string;
  ruleId: string;
  message: string;
  severity: Severity;
  followUp: string;
  valueText?: string;
  observationId?: string;
  /** ISO instant the abnormal result was obtained: one alert per rule and measurement, however many Observations carry it. */
  measuredAt?: string;
  periodDue?: string;
}

export function pathwayFlag(alert: AlertInput, at: string): Flag {
  const extension: Extension[] = [
    { url: EXT.carePlan, valueReference: { reference: `CarePlan/${alert.carePlanId}` } },
    { url: EXT.activity, valueCanonical: alert.definition },
    { url: EXT.severity, valueCode: alert.severity },
    { url: EXT.followUp, valueReference: { reference: alert.followUp } },
  ];
  if (alert.observationId) extension.push({ url: EXT.observation, valueReference: { reference: `Observation/${alert.observationId}` } });
  if (alert.valueText) extension.push({ url: EXT.value, valueString: alert.valueText });
  if (alert.periodDue) extension.push({ url: EXT.due, valueDate: alert.periodDue });
  const text = alert.kind === 'abnormal' ? `${alert.activityTitle} ${alert.valueText ?? ''}: ${alert.message}` : `${alert.activityTitle}: no result since ${alert.periodDue} (${alert.message})`;
  return {
    resourceType: 'Flag',
    id: alert.flagId,
    status: 'active',
    category: [{ coding: [{ system: ALERT_FLAG_CATEGORY, code: FLAG_KIND[alert.kind], display: alert.kind === 'abnormal' ? '連携パス: 異常値 (abnormal result)' : '連携パス: 検査未実施 (missed test)' }] }],
    code: { coding: [{ system: RULE_SYSTEM, code: alert.ruleId, display: alert.message }], text },
    subject: { reference: `Patient/${alert.regionalId}` },
    period: { start: at },
    author: { type: 'Device', display: 'Tonet (地域連携パス rules)' },
    extension,
  };
}

export function isPathwayFlag(flag: Flag): boolean {
  return (flag.category ?? []).some((c) => c.coding?.some((coding) => coding.system === ALERT_FLAG_CATEGORY && Object.values(FLAG_KIND).includes(coding.code as never)));
}

/**
 * Claims the alerts in the ledger (a claim already made — the same period missed, the same result or
 * measurement judged — is skipped) and writes a Flag for each new claim. Returns the Flags written.
 */
export async function raiseAlerts(repo: Repository, ledger: PathwayLedger, alerts: AlertInput[]): Promise<Flag[]> {
  if (!alerts.length) return [];
  const fresh = await ledger.claimAlerts(
    alerts.map((a) => ({
      flagId: a.flagId,
      kind: a.kind,
      carePlanId: a.carePlanId,
      activityKey: activityKey(a.definition),
      regionalId: a.regionalId,
      ruleId: a.ruleId,
      severity: a.severity,
      periodDue: a.periodDue,
      observationId: a.observationId,
      measuredAt: a.measuredAt,
    }))
  );
  return writeFlags(repo, alerts.filter((a) => fresh.has(a.flagId)));
}

/** Writes Flags for alerts already claimed, in batches of a fixed number of statements each. */
export async function writeFlags(repo: Repository, alerts: AlertInput[]): Promise<Flag[]> {
  const at = new Date().toISOString();
  const flags = alerts.map((a) => pathwayFlag(a, at));
  const system = systemActor('pathway-rules');
  for (let i = 0; i < flags.length; i += FLAG_BATCH) await repo.createMany(system, flags.slice(i, i + FLAG_BATCH));
  return flags;
}

const FLAG_BATCH = 2000;

/** The activity a canonical names: its url without the version. */
export function activityKey(canonical: string): string {
  return canonical.split('|')[0];
}

/** The new versions of the missed-test Flags whose alerts a result ended (PathwayLedger.recordResults). */
export async function endMissedTestFlags(repo: Repository, flags: Flag[]): Promise<void> {
  const system = systemActor('pathway-rules');
  const end = new Date().toISOString();
  for (const flag of flags) await repo.update(system, { ...flag, status: 'inactive', period: { ...flag.period, end } });
}

/** Keeps the ledger's alerts in step with later versions of pathway Flags (closed, acknowledged, edited by an administrator). */
export async function syncAlertState(ledger: PathwayLedger, flags: { flag: Flag; deleted: boolean }[]): Promise<void> {
  if (!flags.length) return;
  await ledger.syncAlerts(flags.map((f) => ({ flagId: f.flag.id as string, status: f.deleted ? 'entered-in-error' : f.flag.status, acknowledgedAt: acknowledgement(f.flag)?.at })));
}

export function acknowledgement(flag: Flag): { by?: string; at?: string } | undefined {
  const ext = flag.extension?.find((e) => e.url === EXT.acknowledgement);
  if (!ext) return undefined;
  return { by: ext.extension?.find((e) => e.url === 'by')?.valueReference?.reference, at: ext.extension?.find((e) => e.url === 'at')?.valueDateTime };
}

/**
 * Flag/{id}/$acknowledge: a clinician of the care team (or the network office) records that the alert was
 * seen. Who and when go on the Flag (a new version); the Flag stays active until the cause is resolved.
 */
export function acknowledgeOperation(audit: AuditSink): OperationHandler {
  return {
    name: 'acknowledge',
    levels: ['instance'],
    resourceTypes: ['Flag'],
    methods: ['POST'],
    async handle({ ctx, repo, id }) {
      assertMayStart(ctx, 'acknowledge-alert');
      // Read as the caller: a Flag the caller may not see is answered as not found.
      const flag = (await repo.read(ctx, 'Flag', id as string)) as Flag;
      if (!isPathwayFlag(flag)) throw unprocessable([{ severity: 'error', code: 'business-rule', diagnostics: `Flag/${id} was not raised by a care pathway` }]);
      if (acknowledgement(flag)) return { status: 200, resource: flag };
      const at = new Date().toISOString();
      const by = ctx.organization ? { reference: ctx.organization, display: ctx.clientName } : { display: ctx.clientName };
      const acknowledged: Flag = { ...flag, extension: [...(flag.extension ?? []), { url: EXT.acknowledgement, extension: [{ url: 'by', valueReference: by }, { url: 'at', valueDateTime: at }] }] };
      return repo.transaction(async (tx) => {
        const stored = (await tx.update(systemActor('flag-acknowledgement', ctx.requestId), acknowledged)).resource;
        await audit.record(tx.connection, {
          ctx,
          action: 'operation',
          patientIds: patientsOf(flag),
          entities: [`Flag/${id}`],
          outcome: '0',
          description: `$acknowledge Flag/${id} by ${ctx.organization ?? ctx.clientName}`,
          remoteAddress: ctx.remoteAddress,
        });
        return { status: 200, resource: stored, audited: true };
      });
    },
  };
}
