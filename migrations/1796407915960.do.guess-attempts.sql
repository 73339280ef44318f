-- The card-proof attempt counter becomes one counter of guesses per purpose: card links as before, and
-- client secrets at /oauth2/token, keyed by client and address.
ALTER TABLE card_link_attempt RENAME TO guess_attempt;
ALTER TABLE guess_attempt RENAME COLUMN client_id TO key;
ALTER TABLE guess_attempt ADD COLUMN purpose text NOT NULL DEFAULT 'card-link';
ALTER TABLE guess_attempt ALTER COLUMN purpose DROP DEFAULT;
DROP INDEX card_link_attempt_client;
CREATE INDEX guess_attempt_key ON guess_attempt (purpose, key, attempted_at);
