/**
 * What the care teams and the council read about a pathway: a facility's dashboard (patients, next due tests,
 * open alerts, recent values) and the outcome figures. Both count only CarePlans and Flags the caller may
 * see, of patients the caller may see now: the read scope is part of each statement (store/read-models/pathway-reports.ts), as everywhere else.
 * The patient matters beside the CarePlan because the hospital that applied a pathway keeps its CarePlan as its
 * own record after the resident revokes its Consent, while the values the activities hold come from every
 * facility's results.
 */
import type { RequestContext } from '../core/context';
import type { AccessPolicy } from '../consent/access';
import type { PathwayActivities } from '../store/read-models/pathway-reports';
import { CODES } from './definitions';
import { token } from './rules';

export interface DueTest {
  activity: string;
  definition: string;
  dueDate: string;
  overdue: boolean;
}

export interface RecentValue {
  activity: string;
  text: string;
  at: Date;
  abnormal: boolean;
  observationId?: string;
}

export interface OpenAlert {
  flagId: string;
  patientId: string;
  carePlanId: string;
  kind: string;
  severity: string;
  ruleId: string;
  activity: string;
  raisedAt: Date;
  acknowledged: boolean;
  flag: unknown;
}

export interface DashboardPatient {
  patientId: string;
  carePlanId: string;
  nextDue: DueTest[];
  recentValues: RecentValue[];
  openAlerts: number;
}

export interface Dashboard {
  pathway: string;
  facility: string;
  patients: DashboardPatient[];
  openAlertsBySeverity: { severity: string; count: number }[];
  openAlerts: OpenAlert[];
}

export interface ActivityOutcome {
  activity: string;
  definition: string;
  measured: number;
  controlledShare: number | null;
  overdueShare: number | null;
}

export interface Outcomes {
  pathway: string;
  enrolled: number;
  hba1cMeasured: number;
  hba1cControlledShare: number | null;
  missedTestRate: number | null;
  activities: ActivityOutcome[];
}

const HBA1C_TOKENS = CODES.hba1c.map(token);

export class PathwayReports {
  constructor(
    private readonly activities: PathwayActivities,
    private readonly access: AccessPolicy
  ) {}

  async dashboard(ctx: RequestContext, facility: string, pathway: string, first: number, today = new Date()): Promise<Dashboard> {
    this.access.assertMayRead(ctx, 'CarePlan');
    const organization = facility.startsWith('Organization/') ? facility : `Organization/${facility}`;
    const scope = this.access.readScope(ctx);
    const planned = await this.activities.ofFacility(scope, pathway, organization, first);
    const planIds = [...new Set(planned.map((a) => a.carePlanId))];
    const alerts: OpenAlert[] = (planIds.length ? await this.activities.openAlerts(scope, planIds) : []).map((alert) => ({
      flagId: alert.flagId,
      patientId: alert.regionalId,
      carePlanId: alert.carePlanId,
      kind: alert.kind,
      severity: alert.severity,
      ruleId: alert.ruleId,
      activity: alert.activityTitle,
      raisedAt: alert.raisedAt,
      acknowledged: alert.acknowledged,
      flag: alert.flag,
    }));
    const todayIso = today.toISOString().slice(0, 10);
    const patients = new Map<string, DashboardPatient>();
    for (const activity of planned) {
      const patient = patients.get(activity.carePlanId) ?? { patientId: activity.regionalId, carePlanId: activity.carePlanId, nextDue: [], recentValues: [], openAlerts: 0 };
      patients.set(activity.carePlanId, patient);
      patient.nextDue.push({ activity: activity.title, definition: activity.definition, dueDate: activity.dueDate, overdue: activity.dueDate < todayIso });
      if (activity.lastValue) patient.recentValues.push({ activity: activity.title, ...activity.lastValue });
    }
    for (const alert of alerts) {
      const patient = patients.get(alert.carePlanId);
      if (patient) patient.openAlerts++;
    }
    const bySeverity = new Map<string, number>();
    for (const alert of alerts) bySeverity.set(alert.severity, (bySeverity.get(alert.severity) ?? 0) + 1);
    const order = ['high', 'medium', 'low'];
    return {
      pathway,
      facility: organization,
      patients: [...patients.values()],
      openAlertsBySeverity: [...bySeverity.entries()].sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0])).map(([severity, count]) => ({ severity, count })),
      openAlerts: alerts,
    };
  }

  /**
   * For the council's reports: how many are on the pathway, the share whose latest HbA1c is controlled (no
   * alert rule fired on it, i.e. < 8.0% on the diabetes pathway), and the missed-test rate (the share of
   * activities with an open missed-test alert). Per activity: how many have a result, the share controlled,
   * the share overdue.
   */
  async outcomes(ctx: RequestContext, pathway: string, today = new Date()): Promise<Outcomes> {
    this.access.assertMayRead(ctx, 'CarePlan');
    const rows = await this.activities.countsByActivity(this.access.readScope(ctx), pathway, today.toISOString().slice(0, 10), HBA1C_TOKENS);
    const share = (part: number, whole: number) => (whole > 0 ? part / whole : null);
    const hba1c = rows.find((r) => r.hasTokenAsked);
    const totalActivities = rows.reduce((n, r) => n + r.activities, 0);
    const missed = rows.reduce((n, r) => n + r.missed, 0);
    return {
      pathway,
      enrolled: rows.length ? rows[0].enrolled : 0,
      hba1cMeasured: hba1c ? hba1c.measured : 0,
      hba1cControlledShare: hba1c ? share(hba1c.controlled, hba1c.measured) : null,
      missedTestRate: share(missed, totalActivities),
      activities: rows.map((r) => ({
        activity: r.title,
        definition: r.definition,
        measured: r.measured,
        controlledShare: share(r.controlled, r.measured),
        overdueShare: share(r.overdue, r.activities),
      })),
    };
  }
}
