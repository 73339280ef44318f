-- What consent decisions read, kept in step with the Consent and Patient resources in the same transaction
-- that writes them (so a revoked Consent ends access at once):
-- - patient_link: which facility-local Patient records belong to which regional Patient (Patient.link);
-- - access_grant: each facility's right to see each patient id, and the Consent it comes from.
-- Both are derived data: they can be rebuilt from the resources at any time.

CREATE TABLE patient_link (
  local_id text PRIMARY KEY,
  regional_id text NOT NULL,
  organization text
);

CREATE INDEX patient_link_regional ON patient_link (regional_id);

CREATE TABLE access_grant (
  organization text NOT NULL,
  patient_id text NOT NULL,
  regional_id text NOT NULL,
  consent_id text NOT NULL,
  PRIMARY KEY (organization, patient_id, consent_id)
);

CREATE INDEX access_grant_regional ON access_grant (regional_id);

CREATE TABLE card_link_attempt (
  client_id text NOT NULL,
  attempted_at timestamptz NOT NULL DEFAULT now(),
  succeeded boolean NOT NULL
);

CREATE INDEX card_link_attempt_client ON card_link_attempt (client_id, attempted_at);
