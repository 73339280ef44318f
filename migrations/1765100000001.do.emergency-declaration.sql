-- Emergency declarations (ETREAT) are time-boxed: each one opens the emergency subset of one resident to the
-- declaring client until closes_at, and then it is closed (issue 12, item 2). The audit trail records every
-- declaration and re-read; this table only says which are open.

CREATE TABLE emergency_declaration (
  id bigserial PRIMARY KEY,
  client_id text NOT NULL,
  organization text,
  patient_id text NOT NULL,
  reason text NOT NULL,
  opened_at timestamptz NOT NULL DEFAULT now(),
  closes_at timestamptz NOT NULL
);

CREATE INDEX emergency_declaration_open ON emergency_declaration (client_id, patient_id, closes_at);
