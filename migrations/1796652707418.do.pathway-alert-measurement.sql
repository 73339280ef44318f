-- A facility sends one blood pressure as two Observations (systolic 8480-6, diastolic 8462-4, JAHIS vital signs),
-- and both answer the blood-pressure activity (issue 14). The alert is the measurement's, not each Observation's:
-- measured_at is when the abnormal result was obtained, and an activity's rule is claimed once per measurement.
-- Alerts claimed before this have no measured_at and keep their one-per-Observation key alone (NULLs never conflict).

ALTER TABLE pathway_alert ADD COLUMN measured_at timestamptz;

CREATE UNIQUE INDEX pathway_alert_measurement ON pathway_alert (care_plan_id, activity_key, rule_id, measured_at) WHERE kind = 'abnormal';
