-- The cross-facility timeline's read model (issue 11): one row per entry and patient compartment it belongs to,
-- with the entry's time and kind, kept by the write path (records/timeline.ts) in the writing transaction. A page
-- of a patient's timeline is then an index walk newest first, instead of computing the time of each of a
-- patient's thousands of rows to keep 50. The rows are derived data: the server fills them at start whenever
-- server_setting 'timeline_read_model' does not name the current rules (so also right after this migration).

CREATE TABLE timeline_entry (
  patient_id text NOT NULL,
  at timestamptz NOT NULL,
  rid bigint NOT NULL,
  kind text NOT NULL,
  PRIMARY KEY (patient_id, at, rid)
);

CREATE INDEX timeline_entry_rid ON timeline_entry (rid);
