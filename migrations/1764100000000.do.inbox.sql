-- The ingest inbox: every HL7 v2 message (and every other inbound document) is kept as received, with what
-- became of it. An accepted message is written in the same transaction as the resources it produced, so an
-- acknowledged message is never lost and never stored twice; a rejected one stays here for an administrator
-- to fix and replay.

CREATE TABLE inbox_message (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  transport text NOT NULL,
  client_id text,
  facility text,
  message_control_id text,
  message_type text,
  data_type text,
  file_name text,
  content_hash text NOT NULL,
  raw bytea NOT NULL,
  status text NOT NULL CHECK (status IN ('processed', 'rejected', 'replayed')),
  ack_code text,
  error jsonb,
  resources text[] NOT NULL DEFAULT '{}',
  processed_at timestamptz
);

CREATE INDEX inbox_status ON inbox_message (status, received_at);

-- One processed copy per facility and content: a re-sent message is answered, not stored again.
CREATE UNIQUE INDEX inbox_processed_once ON inbox_message (facility, content_hash) WHERE status = 'processed';
