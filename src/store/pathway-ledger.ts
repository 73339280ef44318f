/**
 * The care pathways' rows (地域連携パス): pathway_activity, one row per activity of an enrolled CarePlan with
 * its next due date and latest result, and pathway_alert, one row per alert claimed (an abnormal result
 * judged, a period missed), which the unique keys make idempotent. src/pathway keeps the rules — what an
 * activity measures, when a value is abnormal, which Flag says so; this module keeps the rows, on the
 * connection it is given, so the rules' writes share the transaction of the write that set them off.
 * The read side (dashboard and outcome counts) is read-models/pathway-reports.ts.
 */
import type { Flag, Observation } from '@medplum/fhirtypes';
import type { Db } from './db/database';
import { Connection, databaseOf } from './connection';
import { sql, Sql } from '../core/sql';
import { linkedPatientIds } from './read-scope';

/** One activity of a CarePlan entered into the pathway. */
export interface EnrolledActivity {
  /** The activity: its ActivityDefinition url without the version. */
  key: string;
  /** ActivityDefinition canonical (url|version). */
  definition: string;
  title: string;
  /** `system|code` tokens a result of the activity carries. */
  codes: string[];
  intervalMonths: number;
  /** The activity's alert rules, kept as JSON. */
  rules: unknown;
  /** Who follows the activity up (`Organization/<id>`). */
  followUp: string;
  /** yyyy-mm-dd */
  dueDate: string;
  baseline: number | null;
}

export interface Enrolment {
  carePlanId: string;
  regionalId: string;
  pathwayUrl: string;
  pathwayName: string;
  /** The core hospital and the follow-up clinic. */
  organizations: string[];
  /** yyyy-mm-dd */
  started: string;
  activities: EnrolledActivity[];
}

/** A result's code, for the `index`th result of a batch, about `subject` (a regional or a facility's local Patient id). */
export interface ResultKey {
  index: number;
  subject: string;
  /** `system|code` */
  code: string;
}

/** An activity a result answers. */
export interface ActivityMatch<Rule> {
  /** The ResultKey's index. */
  index: number;
  carePlanId: string;
  activityKey: string;
  regionalId: string;
  definition: string;
  title: string;
  rules: Rule[];
  baseline: number | null;
  followUp: string;
}

/** The latest result of an activity in a batch. */
export interface ActivityResult {
  carePlanId: string;
  activityKey: string;
  /** ISO instant the result was obtained. */
  at: string;
  /** Kept as JSON: the text shown and the values. */
  value: unknown;
  observationId: string;
  abnormal: boolean;
  baseline: number | null;
}

export interface AlertClaim {
  flagId: string;
  kind: 'abnormal' | 'missed';
  carePlanId: string;
  activityKey: string;
  regionalId: string;
  ruleId: string;
  severity: string;
  /** yyyy-mm-dd, for a missed period. */
  periodDue?: string;
  observationId?: string;
  /** ISO instant of the abnormal result: a measurement sent as several Observations (systolic, diastolic) is claimed once. */
  measuredAt?: string;
}

export interface AlertState {
  flagId: string;
  status: string;
  /** ISO instant of the acknowledgement, if any. */
  acknowledgedAt?: string;
}

/** A missed period claimed by the overdue sweep, with what its Flag says. */
export interface OverdueClaim {
  flagId: string;
  carePlanId: string;
  regionalId: string;
  /** yyyy-mm-dd */
  periodDue: string;
  definition: string;
  title: string;
  followUp: string;
  intervalMonths: number;
}

export class PathwayLedger {
  private readonly db: Db;

  /** `on`: the connection of the transaction whose writes the ledger follows. */
  constructor(on: Connection) {
    this.db = databaseOf(on);
  }

  /** Whether a Patient id is a facility's local record linked to a regional Patient. */
  async isLinkedLocalRecord(patientId: string): Promise<boolean> {
    const [local] = await this.db.query(sql`SELECT 1 FROM patient_link WHERE local_id = ${patientId}`);
    return !!local;
  }

  /** The CarePlan by which a regional Patient is on a pathway (by its url), if any. */
  async enrolmentOf(regionalId: string, pathwayUrl: string): Promise<string | undefined> {
    const [already] = await this.db.query<{ care_plan_id: string }>(sql`SELECT care_plan_id FROM pathway_activity WHERE regional_id = ${regionalId} AND pathway_url = ${pathwayUrl} LIMIT 1`);
    return already?.care_plan_id;
  }

  async enrol(enrolment: Enrolment): Promise<void> {
    const { activities } = enrolment;
    await this.db.query(sql`INSERT INTO pathway_activity (care_plan_id, activity_key, regional_id, pathway_url, pathway_name, definition, title, codes, interval_months,
        rules, organizations, follow_up, started, due_date, baseline)
      SELECT ${enrolment.carePlanId}, k, ${enrolment.regionalId}, ${enrolment.pathwayUrl}, ${enrolment.pathwayName}, d, t, string_to_array(c, ' '), m, r, ${enrolment.organizations}::text[], f, ${enrolment.started}::date, due, b
      FROM unnest(${activities.map((a) => a.key)}::text[], ${activities.map((a) => a.definition)}::text[], ${activities.map((a) => a.title)}::text[],
        ${activities.map((a) => a.codes.join(' '))}::text[], ${activities.map((a) => a.intervalMonths)}::int[], ${activities.map((a) => JSON.stringify(a.rules))}::jsonb[],
        ${activities.map((a) => a.followUp)}::text[], ${activities.map((a) => a.dueDate)}::date[],
        ${activities.map((a) => a.baseline)}::numeric[]) AS x(k, d, t, c, m, r, f, due, b)`);
  }

  /** CarePlans that are no longer active leave the rules. */
  async endPlans(carePlanIds: string[]): Promise<void> {
    await this.db.query(sql`DELETE FROM pathway_activity WHERE care_plan_id = ANY(${carePlanIds}::text[])`);
  }

  /**
   * The latest Observation (by its last update) of a regional Patient and its linked local records for each
   * wanted code, by `canonical`. A value of `patternSystem` is a LIKE pattern (JLAC10 leaves the method digits open).
   */
  async latestResults(regionalId: string, wanted: { canonical: string; system: string; value: string }[], patternSystem: string): Promise<{ canonical: string; observation: Observation }[]> {
    const rows = await this.db.query<{ canonical: string; content: string }>(sql`
      SELECT DISTINCT ON (x.canonical) x.canonical, r.content
      FROM unnest(${wanted.map((w) => w.canonical)}::text[], ${wanted.map((w) => w.system)}::text[], ${wanted.map((w) => w.value)}::text[]) AS x(canonical, system, value)
      JOIN sp_token t ON t.resource_type = 'Observation' AND t.code = 'code' AND t.system = x.system AND (t.value = x.value OR (x.system = ${patternSystem} AND t.value LIKE x.value))
      JOIN resource r ON r.rid = t.rid AND NOT r.deleted AND r.compartments && ${linkedPatientIds(regionalId)}
      ORDER BY x.canonical, r.last_updated DESC`);
    return rows.map((row) => ({ canonical: row.canonical, observation: JSON.parse(row.content) as Observation }));
  }

  /** The activities the results answer: of their subject's regional Patient (the subject itself or the one it is linked to), by code. */
  async activitiesAnswered<Rule>(keys: ResultKey[]): Promise<ActivityMatch<Rule>[]> {
    const rows = await this.db.query<{ i: number; care_plan_id: string; activity_key: string; regional_id: string; definition: string; title: string; rules: Rule[]; baseline: number | null; follow_up: string }>(sql`
      SELECT DISTINCT ON (x.i, a.care_plan_id, a.activity_key) x.i, a.care_plan_id, a.activity_key, a.regional_id, a.definition, a.title, a.rules,
        a.baseline::float8 AS baseline, a.follow_up
      FROM unnest(${keys.map((k) => k.index)}::int[], ${keys.map((k) => k.subject)}::text[], ${keys.map((k) => k.code)}::text[]) AS x(i, subject, code)
      LEFT JOIN patient_link l ON l.local_id = x.subject
      JOIN pathway_activity a ON a.regional_id = COALESCE(l.regional_id, x.subject) AND x.code = ANY(a.codes)`);
    return rows.map((r) => ({
      index: r.i,
      carePlanId: r.care_plan_id,
      activityKey: r.activity_key,
      regionalId: r.regional_id,
      definition: r.definition,
      title: r.title,
      rules: r.rules,
      baseline: r.baseline,
      followUp: r.follow_up,
    }));
  }

  /**
   * Records each activity's latest result — its next due date moves on, the baseline is kept once set — and
   * ends the open missed-test alerts of those activities, in one round trip. Returns the Flags of the alerts
   * it ended, for their new versions.
   */
  async recordResults(results: ActivityResult[]): Promise<Flag[]> {
    const x = sql`unnest(${results.map((u) => u.carePlanId)}::text[], ${results.map((u) => u.activityKey)}::text[], ${results.map((u) => u.at)}::timestamptz[],
        ${results.map((u) => JSON.stringify(u.value))}::jsonb[], ${results.map((u) => u.observationId)}::text[],
        ${results.map((u) => u.abnormal)}::boolean[], ${results.map((u) => u.baseline)}::numeric[]) AS x(care_plan_id, activity_key, at, value, observation, abnormal, baseline)`;
    const closed = await this.db.query<{ content: string }>(sql`
      WITH recorded AS (
        UPDATE pathway_activity a SET
          baseline = COALESCE(a.baseline, x.baseline),
          due_date = GREATEST(a.due_date, (x.at::date + make_interval(months => a.interval_months))::date),
          last_value = CASE WHEN a.last_at IS NULL OR x.at >= a.last_at THEN x.value ELSE a.last_value END,
          last_observation = CASE WHEN a.last_at IS NULL OR x.at >= a.last_at THEN x.observation ELSE a.last_observation END,
          last_abnormal = CASE WHEN a.last_at IS NULL OR x.at >= a.last_at THEN x.abnormal ELSE a.last_abnormal END,
          last_at = GREATEST(a.last_at, x.at)
        FROM ${x}
        WHERE a.care_plan_id = x.care_plan_id AND a.activity_key = x.activity_key),
      closed AS (${missedTestsClosed(x)})
      SELECT r.content FROM resource r JOIN closed c ON r.resource_type = 'Flag' AND r.id = c.flag_id AND NOT r.deleted`);
    return closed.map((c) => JSON.parse(c.content) as Flag);
  }

  /**
   * Claims alerts; one already claimed (the same period missed, the same result judged, the same measurement
   * judged by the same rule) is skipped: no conflict target, so each unique key of pathway_alert skips its own.
   * Returns the Flag ids claimed now.
   */
  async claimAlerts(alerts: AlertClaim[]): Promise<Set<string>> {
    const claimed = await this.db.query<{ flag_id: string }>(sql`
      INSERT INTO pathway_alert (flag_id, kind, care_plan_id, activity_key, regional_id, rule_id, severity, period_due, observation_id, measured_at)
      SELECT * FROM unnest(${alerts.map((a) => a.flagId)}::text[], ${alerts.map((a) => a.kind)}::text[], ${alerts.map((a) => a.carePlanId)}::text[],
        ${alerts.map((a) => a.activityKey)}::text[], ${alerts.map((a) => a.regionalId)}::text[], ${alerts.map((a) => a.ruleId)}::text[],
        ${alerts.map((a) => a.severity)}::text[], ${alerts.map((a) => a.periodDue ?? null)}::date[], ${alerts.map((a) => a.observationId ?? null)}::text[],
        ${alerts.map((a) => a.measuredAt ?? null)}::timestamptz[])
      ON CONFLICT DO NOTHING RETURNING flag_id`);
    return new Set(claimed.map((c) => c.flag_id));
  }

  /** Alert rows follow their Flags' later versions (closed, acknowledged, edited by an administrator). */
  async syncAlerts(states: AlertState[]): Promise<void> {
    await this.db.query(sql`UPDATE pathway_alert p SET status = x.status, acknowledged_at = x.acknowledged_at
      FROM unnest(${states.map((f) => f.flagId)}::text[], ${states.map((f) => f.status)}::text[],
        ${states.map((f) => f.acknowledgedAt ?? null)}::timestamptz[]) AS x(flag_id, status, acknowledged_at)
      WHERE p.flag_id = x.flag_id`);
  }

  /**
   * Claims, under `ruleId` with `severity`, the period each activity past its due date by `asOf` (yyyy-mm-dd)
   * is missed in: its due date plus as many whole intervals as have passed. The activity rows are locked, so a
   * result stored meanwhile either moves the due date first or closes this claim's Flag after.
   */
  async claimOverdue(asOf: string, ruleId: string, severity: string): Promise<OverdueClaim[]> {
    const claimed = await this.db.query<{ flag_id: string; care_plan_id: string; regional_id: string; period_due: string; definition: string; title: string; follow_up: string; interval_months: number }>(sql`
      WITH due AS (
        SELECT a.care_plan_id, a.activity_key, a.regional_id,
          (a.due_date + make_interval(months => a.interval_months *
            ((date_part('year', age(${asOf}::date, a.due_date)) * 12 + date_part('month', age(${asOf}::date, a.due_date)))::int / a.interval_months)))::date AS period_due
        FROM pathway_activity a WHERE a.due_date <= ${asOf}::date
        FOR UPDATE OF a
      ), claimed AS (
        INSERT INTO pathway_alert (flag_id, kind, care_plan_id, activity_key, regional_id, rule_id, severity, period_due)
        SELECT gen_random_uuid()::text, 'missed', care_plan_id, activity_key, regional_id, ${ruleId}, ${severity}, period_due FROM due
        ON CONFLICT (care_plan_id, activity_key, period_due) WHERE kind = 'missed' DO NOTHING
        RETURNING flag_id, care_plan_id, activity_key, regional_id, period_due
      )
      SELECT c.flag_id, c.care_plan_id, c.regional_id, c.period_due::text AS period_due, a.definition, a.title, a.follow_up, a.interval_months
      FROM claimed c JOIN pathway_activity a ON a.care_plan_id = c.care_plan_id AND a.activity_key = c.activity_key`);
    return claimed.map((c) => ({
      flagId: c.flag_id,
      carePlanId: c.care_plan_id,
      regionalId: c.regional_id,
      periodDue: c.period_due,
      definition: c.definition,
      title: c.title,
      followUp: c.follow_up,
      intervalMonths: c.interval_months,
    }));
  }
}

/** Ends the open missed-test alerts of the activities of FROM item `activities` (aliased x, with care_plan_id and activity_key). */
function missedTestsClosed(activities: Sql): Sql {
  return sql`UPDATE pathway_alert p SET status = 'inactive' FROM ${activities}
    WHERE p.kind = 'missed' AND p.status = 'active' AND p.care_plan_id = x.care_plan_id AND p.activity_key = x.activity_key
    RETURNING p.flag_id`;
}
