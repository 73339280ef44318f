-- Each TOTP code opens one login (RFC 6238 §5.2): the account keeps the time step (30-second periods since
-- 1970) of the last code it accepted, and a code of that step or an earlier one is refused. NULL: none yet
-- under the secret in force.
ALTER TABLE person_account ADD COLUMN totp_last_step bigint;
