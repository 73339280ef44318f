/**
 * The pathway reports' read model over pathway_activity and pathway_alert: a facility's activities on a
 * pathway, their open alerts, and per-activity counts for the outcome figures. Every statement counts only
 * CarePlans and Flags within the caller's read scope, of regional Patients within it now (a hospital keeps its
 * CarePlan after the resident revokes its Consent). The figures themselves are pathway/reports.ts's.
 */
import type { Flag } from '@medplum/fhirtypes';
import type { Db } from '../db/database';
import { sql, Sql } from '../../core/sql';
import { readScopeSql, type ReadScope } from '../read-scope';

export interface PlannedActivity {
  carePlanId: string;
  regionalId: string;
  definition: string;
  title: string;
  /** yyyy-mm-dd */
  dueDate: string;
  lastValue?: { text: string; at: Date; abnormal: boolean; observationId?: string };
}

export interface OpenAlertRecord {
  flagId: string;
  regionalId: string;
  carePlanId: string;
  kind: string;
  severity: string;
  ruleId: string;
  activityTitle: string;
  raisedAt: Date;
  acknowledged: boolean;
  flag: Flag;
}

export interface ActivityCounts {
  title: string;
  definition: string;
  /** CarePlans on the pathway in scope, the same on every row. */
  enrolled: number;
  activities: number;
  measured: number;
  controlled: number;
  overdue: number;
  missed: number;
  /** Whether the activity's codes include one of the tokens asked about (the HbA1c test). */
  hasTokenAsked: boolean;
}

export class PathwayActivities {
  constructor(private readonly db: Db) {}

  /** The activities of the first `first` CarePlans (by patient) on `pathway` (its name or URL) that name `organization`. */
  async ofFacility(scope: ReadScope, pathway: string, organization: string, first: number): Promise<PlannedActivity[]> {
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
        JOIN resource r ON r.resource_type = 'CarePlan' AND r.id = a.care_plan_id AND NOT r.deleted AND ${readScopeSql(scope, 'r')}
        WHERE (a.pathway_name = ${pathway} OR a.pathway_url = ${pathway}) AND ${organization} = ANY(a.organizations) AND ${patientVisible(scope)}
        ORDER BY a.regional_id, a.care_plan_id LIMIT ${first})
      SELECT a.care_plan_id, a.regional_id, a.definition, a.title, a.due_date::text AS due_date, a.last_value, a.last_at, a.last_abnormal, a.last_observation
      FROM pathway_activity a JOIN plans p ON p.care_plan_id = a.care_plan_id
      ORDER BY a.regional_id, a.care_plan_id, a.due_date, a.title`);
    return rows.map((row) => ({
      carePlanId: row.care_plan_id,
      regionalId: row.regional_id,
      definition: row.definition,
      title: row.title,
      dueDate: row.due_date,
      lastValue: row.last_value && row.last_at ? { text: row.last_value.text, at: new Date(row.last_at), abnormal: !!row.last_abnormal, observationId: row.last_observation ?? undefined } : undefined,
    }));
  }

  /** The active alerts of these CarePlans whose Flag is in scope, the most severe first, newest first within. */
  async openAlerts(scope: ReadScope, carePlanIds: string[]): Promise<OpenAlertRecord[]> {
    const rows = await this.db.query<{ flag_id: string; regional_id: string; care_plan_id: string; kind: string; severity: string; rule_id: string; title: string; raised_at: Date; acknowledged_at: Date | null; content: string }>(sql`
      SELECT p.flag_id, p.regional_id, p.care_plan_id, p.kind, p.severity, p.rule_id, a.title, p.raised_at, p.acknowledged_at, f.content
      FROM pathway_alert p
      JOIN pathway_activity a ON a.care_plan_id = p.care_plan_id AND a.activity_key = p.activity_key
      JOIN resource f ON f.resource_type = 'Flag' AND f.id = p.flag_id AND NOT f.deleted AND ${readScopeSql(scope, 'f')}
      WHERE p.status = 'active' AND p.care_plan_id = ANY(${carePlanIds}::text[])
      ORDER BY CASE p.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, p.raised_at DESC`);
    return rows.map((r) => ({
      flagId: r.flag_id,
      regionalId: r.regional_id,
      carePlanId: r.care_plan_id,
      kind: r.kind,
      severity: r.severity,
      ruleId: r.rule_id,
      activityTitle: r.title,
      raisedAt: new Date(r.raised_at),
      acknowledged: r.acknowledged_at !== null,
      flag: JSON.parse(r.content) as Flag,
    }));
  }

  /** Per activity of `pathway` in scope, by title: how many, measured, controlled, overdue on `today` (yyyy-mm-dd), with an open missed-test alert. */
  async countsByActivity(scope: ReadScope, pathway: string, today: string, tokensAsked: string[]): Promise<ActivityCounts[]> {
    const rows = await this.db.query<{ title: string; definition: string; enrolled: string; activities: string; measured: string; controlled: string; overdue: string; missed: string; asked: boolean }>(sql`
      WITH visible AS (
        SELECT a.* FROM pathway_activity a
        JOIN resource r ON r.resource_type = 'CarePlan' AND r.id = a.care_plan_id AND NOT r.deleted AND ${readScopeSql(scope, 'r')}
        WHERE (a.pathway_name = ${pathway} OR a.pathway_url = ${pathway}) AND ${patientVisible(scope)})
      SELECT min(v.title) AS title, min(v.definition) AS definition,
        (SELECT count(DISTINCT care_plan_id) FROM visible) AS enrolled,
        count(*) AS activities,
        count(*) FILTER (WHERE v.last_at IS NOT NULL) AS measured,
        count(*) FILTER (WHERE v.last_at IS NOT NULL AND NOT v.last_abnormal) AS controlled,
        count(*) FILTER (WHERE v.due_date < ${today}::date) AS overdue,
        count(*) FILTER (WHERE EXISTS (SELECT 1 FROM pathway_alert p WHERE p.care_plan_id = v.care_plan_id AND p.activity_key = v.activity_key AND p.kind = 'missed' AND p.status = 'active')) AS missed,
        bool_or(v.codes && ${tokensAsked}::text[]) AS asked
      FROM visible v GROUP BY v.activity_key ORDER BY min(v.title)`);
    return rows.map((r) => ({
      title: r.title,
      definition: r.definition,
      enrolled: Number(r.enrolled),
      activities: Number(r.activities),
      measured: Number(r.measured),
      controlled: Number(r.controlled),
      overdue: Number(r.overdue),
      missed: Number(r.missed),
      hasTokenAsked: !!r.asked,
    }));
  }
}

/** The regional Patient of pathway_activity row `a` is in scope. */
function patientVisible(scope: ReadScope): Sql {
  return sql`EXISTS (SELECT 1 FROM resource pt WHERE pt.resource_type = 'Patient' AND pt.id = a.regional_id AND NOT pt.deleted AND ${readScopeSql(scope, 'pt')})`;
}
