-- Clients can be deactivated and their secrets rotated (issue 10). `token_generation` is carried in every
-- client-credentials token and moves on at each deactivation and rotation, so the tokens issued before stop
-- working at once; the two dates are what the office sees in `tonet client list`.

ALTER TABLE auth_client
  ADD COLUMN token_generation integer NOT NULL DEFAULT 0,
  ADD COLUMN secret_rotated_at timestamptz,
  ADD COLUMN deactivated_at timestamptz;
