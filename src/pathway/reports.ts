/**
 * What the care teams and the council read about a pathway: a facility's dashboard (patients, next due tests,
 * open alerts, recent values) and the outcome figures. Both count only CarePlans and Flags the caller may
 * see, of patients the caller may see now: the access predicate is part of each statement, as everywhere else.
 * The patient matters beside the CarePlan because the hospital that applied a pathway keeps its CarePlan as its
 * own record after the resident revokes its Consent, while the values the activities hold come from every
 * facility's results.
 */
import type { RequestContext } from '../core/context';
import type { AccessPolicy } from '../consent/access';
import type { Db } from '../store/db/database';
import { sql, Sql } from '../core/sql';
import { CODES } from './definitions';
import { token } from './rules';
import { readScopeSql } from '../store/read-scope';

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
    private readonly db: Db,
    private readonly access: AccessPolicy
  ) {}

  async dashboard(ctx: RequestContext, facility: string, pathway: string, first: number, today = new Date()): Promise<Dashboard> {
    this.access.assertMayRead(ctx, 'CarePlan');
    const organization = facility.startsWith('Organization/') ? facility : `Organization/${facility}`;
    const rows = await this.db.query<{
      care_plan_id: string;
      regional_id: string;
      definition: string;
      title: string;
      due_date: string;
      last_value: { text: string } | null;
      last_at: Date | string | null;
      last_abnormal: boolean | null;
      last_observation: string | null;
    }>(sql`
      WITH plans AS (
        SELECT DISTINCT a.care_plan_id, a.regional_id FROM pathway_activity a
        JOIN resource r ON r.resource_type = 'CarePlan' AND r.id = a.care_plan_id AND NOT r.deleted AND ${readScopeSql(this.access.readScope(ctx), 'r')}
        WHERE (a.pathway_name = ${pathway} OR a.pathway_url = ${pathway}) AND ${organization} = ANY(a.organizations) AND ${this.patientVisible(ctx)}
        ORDER BY a.regional_id, a.care_plan_id LIMIT ${first})
      SELECT a.care_plan_id, a.regional_id, a.definition, a.title, a.due_date::text AS due_date, a.last_value, a.last_at, a.last_abnormal, a.last_observation
      FROM pathway_activity a JOIN plans p ON p.care_plan_id = a.care_plan_id
      ORDER BY a.regional_id, a.care_plan_id, a.due_date, a.title`);
    const planIds = [...new Set(rows.map((r) => r.care_plan_id))];
    const alerts = planIds.length ? await this.openAlerts(ctx, planIds) : [];
    const todayIso = today.toISOString().slice(0, 10);
    const patients = new Map<string, DashboardPatient>();
    for (const row of rows) {
      const patient = patients.get(row.care_plan_id) ?? { patientId: row.regional_id, carePlanId: row.care_plan_id, nextDue: [], recentValues: [], openAlerts: 0 };
      patients.set(row.care_plan_id, patient);
      patient.nextDue.push({ activity: row.title, definition: row.definition, dueDate: row.due_date, overdue: row.due_date < todayIso });
      if (row.last_value && row.last_at) {
        patient.recentValues.push({ activity: row.title, text: row.last_value.text, at: new Date(row.last_at), abnormal: !!row.last_abnormal, observationId: row.last_observation ?? undefined });
      }
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

  /** The regional Patient of pathway_activity row `a` is one the caller may read. */
  private patientVisible(ctx: RequestContext): Sql {
    return sql`EXISTS (SELECT 1 FROM resource pt WHERE pt.resource_type = 'Patient' AND pt.id = a.regional_id AND NOT pt.deleted AND ${readScopeSql(this.access.readScope(ctx), 'pt')})`;
  }

  private async openAlerts(ctx: RequestContext, planIds: string[]): Promise<OpenAlert[]> {
    const rows = await this.db.query<{ flag_id: string; regional_id: string; care_plan_id: string; kind: string; severity: string; rule_id: string; title: string; raised_at: Date; acknowledged_at: Date | null; content: string }>(sql`
      SELECT p.flag_id, p.regional_id, p.care_plan_id, p.kind, p.severity, p.rule_id, a.title, p.raised_at, p.acknowledged_at, f.content
      FROM pathway_alert p
      JOIN pathway_activity a ON a.care_plan_id = p.care_plan_id AND a.activity_key = p.activity_key
      JOIN resource f ON f.resource_type = 'Flag' AND f.id = p.flag_id AND NOT f.deleted AND ${readScopeSql(this.access.readScope(ctx), 'f')}
      WHERE p.status = 'active' AND p.care_plan_id = ANY(${planIds}::text[])
      ORDER BY CASE p.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, p.raised_at DESC`);
    return rows.map((r) => ({
      flagId: r.flag_id,
      patientId: r.regional_id,
      carePlanId: r.care_plan_id,
      kind: r.kind,
      severity: r.severity,
      ruleId: r.rule_id,
      activity: r.title,
      raisedAt: new Date(r.raised_at),
      acknowledged: r.acknowledged_at !== null,
      flag: JSON.parse(r.content),
    }));
  }

  /**
   * For the council's reports: how many are on the pathway, the share whose latest HbA1c is controlled (no
   * alert rule fired on it, i.e. < 8.0% on the diabetes pathway), and the missed-test rate (the share of
   * activities with an open missed-test alert). Per activity: how many have a result, the share controlled,
   * the share overdue.
   */
  async outcomes(ctx: RequestContext, pathway: string, today = new Date()): Promise<Outcomes> {
    this.access.assertMayRead(ctx, 'CarePlan');
    const rows = await this.db.query<{ activity_key: string; title: string; definition: string; enrolled: string; activities: string; measured: string; controlled: string; overdue: string; missed: string; hba1c: boolean }>(sql`
      WITH visible AS (
        SELECT a.* FROM pathway_activity a
        JOIN resource r ON r.resource_type = 'CarePlan' AND r.id = a.care_plan_id AND NOT r.deleted AND ${readScopeSql(this.access.readScope(ctx), 'r')}
        WHERE (a.pathway_name = ${pathway} OR a.pathway_url = ${pathway}) AND ${this.patientVisible(ctx)})
      SELECT v.activity_key, min(v.title) AS title, min(v.definition) AS definition,
        (SELECT count(DISTINCT care_plan_id) FROM visible) AS enrolled,
        count(*) AS activities,
        count(*) FILTER (WHERE v.last_at IS NOT NULL) AS measured,
        count(*) FILTER (WHERE v.last_at IS NOT NULL AND NOT v.last_abnormal) AS controlled,
        count(*) FILTER (WHERE v.due_date < ${today.toISOString().slice(0, 10)}::date) AS overdue,
        count(*) FILTER (WHERE EXISTS (SELECT 1 FROM pathway_alert p WHERE p.care_plan_id = v.care_plan_id AND p.activity_key = v.activity_key AND p.kind = 'missed' AND p.status = 'active')) AS missed,
        bool_or(v.codes && ${HBA1C_TOKENS}::text[]) AS hba1c
      FROM visible v GROUP BY v.activity_key ORDER BY min(v.title)`);
    const share = (part: number, whole: number) => (whole > 0 ? part / whole : null);
    const hba1c = rows.find((r) => r.hba1c);
    const totalActivities = rows.reduce((n, r) => n + Number(r.activities), 0);
    const missed = rows.reduce((n, r) => n + Number(r.missed), 0);
    return {
      pathway,
      enrolled: rows.length ? Number(rows[0].enrolled) : 0,
      hba1cMeasured: hba1c ? Number(hba1c.measured) : 0,
      hba1cControlledShare: hba1c ? share(Number(hba1c.controlled), Number(hba1c.measured)) : null,
      missedTestRate: share(missed, totalActivities),
      activities: rows.map((r) => ({
        activity: r.title,
        definition: r.definition,
        measured: Number(r.measured),
        controlledShare: share(Number(r.controlled), Number(r.measured)),
        overdueShare: share(Number(r.overdue), Number(r.activities)),
      })),
    };
  }
}
