-- The audit trail: one row per AuditEvent, chained by hash, and the head of the chain.
-- - audit_event.seq is the position in the chain, assigned from audit_head under its row lock, so it has no
--   gaps and its order is the chain's order (an identity column could hand out numbers in another order).
-- - audit_head is one row: appending updates it in the same statement that inserts, so concurrent appends
--   queue only on that row, for the length of their statement or enclosing transaction.
-- - UPDATE, DELETE and TRUNCATE of audit_event are refused by triggers; whoever can drop them can also
--   tamper, which `tonet audit verify` then detects.

CREATE TABLE audit_event (
  seq bigint PRIMARY KEY,
  recorded timestamptz NOT NULL,
  client_id text,
  role text,
  organization text,
  purpose_of_use text,
  patient_ids text[] NOT NULL DEFAULT '{}',
  action text NOT NULL,
  outcome text NOT NULL,
  remote_address text,
  event text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL
);

CREATE INDEX audit_event_patients ON audit_event USING gin (patient_ids);

CREATE INDEX audit_event_recorded ON audit_event (recorded);

CREATE INDEX audit_event_client ON audit_event (client_id, seq);

CREATE INDEX audit_event_organization ON audit_event (organization, seq);

CREATE TABLE audit_head (
  single boolean PRIMARY KEY DEFAULT true CHECK (single),
  seq bigint NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL
);

INSERT INTO audit_head (seq, prev_hash, hash) VALUES (0, '', repeat('0', 64));

CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only (% refused)', TG_OP;
END $$;

CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();

CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
