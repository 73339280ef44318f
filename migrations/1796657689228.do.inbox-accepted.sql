-- Enhanced acknowledgment mode (issue 11): a message whose MSH-15 asks for an accept acknowledgment is kept
-- as 'accepted' and answered CA before it is mapped; the inbox's worker maps it later and marks it processed
-- or rejected. The sender's identity (the token's claims, never the token) is kept for that later write, and
-- patient_key (sending facility and PID-3) orders the messages of one patient.
ALTER TABLE inbox_message DROP CONSTRAINT inbox_message_status_check;
ALTER TABLE inbox_message ADD CONSTRAINT inbox_message_status_check CHECK (status IN ('accepted', 'processed', 'rejected', 'replayed'));
ALTER TABLE inbox_message ADD COLUMN sender jsonb;
ALTER TABLE inbox_message ADD COLUMN patient_key text;

-- The queue: the worker takes the oldest accepted message (inbox_accepted_order, which holds only the queue,
-- not the processed rows before it) whose patient has none older still accepted (inbox_accepted_patient).
CREATE INDEX inbox_accepted_order ON inbox_message (id) WHERE status = 'accepted';
CREATE INDEX inbox_accepted_patient ON inbox_message (patient_key, id) WHERE status = 'accepted';

-- One accepted copy per facility and content, as one processed: a re-sent message is answered, not kept again.
CREATE UNIQUE INDEX inbox_accepted_once ON inbox_message (facility, content_hash) WHERE status = 'accepted';
