-- What the care-pathway rules (地域連携パス) read and write, beside the CarePlan and Flag resources:
-- - pathway_activity: one row per activity of an active CarePlan made by PlanDefinition/$apply — its codes,
--   interval and alert rules (copied from the ActivityDefinition version applied), when it is next due, the
--   baseline and the latest value. Results move `due_date` on; the overdue sweep is one statement over it.
-- - pathway_alert: one row per Flag the rules raised (abnormal result or missed test). The unique key on
--   (care plan, activity, period) for missed tests is what makes the sweep raise each period once.

CREATE TABLE pathway_activity (
  care_plan_id text NOT NULL,
  activity_key text NOT NULL,
  regional_id text NOT NULL,
  pathway_url text NOT NULL,
  pathway_name text NOT NULL,
  definition text NOT NULL,
  title text NOT NULL,
  codes text[] NOT NULL,
  interval_months int NOT NULL,
  rules jsonb NOT NULL,
  organizations text[] NOT NULL,
  follow_up text NOT NULL,
  started date NOT NULL,
  due_date date NOT NULL,
  baseline numeric,
  last_value jsonb,
  last_at timestamptz,
  last_observation text,
  last_abnormal boolean,
  PRIMARY KEY (care_plan_id, activity_key)
);

CREATE INDEX pathway_activity_patient ON pathway_activity (regional_id);

CREATE INDEX pathway_activity_due ON pathway_activity (due_date);

CREATE INDEX pathway_activity_pathway ON pathway_activity (pathway_name, pathway_url);

CREATE TABLE pathway_alert (
  flag_id text PRIMARY KEY,
  kind text NOT NULL,
  care_plan_id text NOT NULL,
  activity_key text NOT NULL,
  regional_id text NOT NULL,
  rule_id text NOT NULL,
  severity text NOT NULL,
  period_due date,
  observation_id text,
  status text NOT NULL DEFAULT 'active',
  raised_at timestamptz NOT NULL DEFAULT now(),
  acknowledged_at timestamptz
);

CREATE UNIQUE INDEX pathway_alert_missed ON pathway_alert (care_plan_id, activity_key, period_due) WHERE kind = 'missed';

CREATE UNIQUE INDEX pathway_alert_abnormal ON pathway_alert (care_plan_id, activity_key, observation_id, rule_id) WHERE kind = 'abnormal';

CREATE INDEX pathway_alert_open ON pathway_alert (care_plan_id, activity_key) WHERE status = 'active';
