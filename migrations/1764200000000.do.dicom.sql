-- DICOM instances received over STOW-RS. The bytes live once per content (SHA-256), so the same file sent
-- again by a re-run batch costs nothing; the instance row is keyed by SOP Instance UID, so one instance
-- sent in another transfer syntax is still one instance. The first bytes received are kept (see
-- src/dicomweb/instance-store.ts for why).

CREATE TABLE dicom_blob (
  sha256 text PRIMARY KEY,
  size bigint NOT NULL,
  bytes bytea NOT NULL
);

CREATE TABLE dicom_instance (
  sop_instance_uid text PRIMARY KEY,
  study_instance_uid text NOT NULL,
  series_instance_uid text NOT NULL,
  sop_class_uid text NOT NULL,
  transfer_syntax_uid text NOT NULL,
  sha256 text NOT NULL REFERENCES dicom_blob (sha256),
  size bigint NOT NULL,
  facility text NOT NULL,
  client_id text,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX dicom_instance_study ON dicom_instance (study_instance_uid, series_instance_uid);
