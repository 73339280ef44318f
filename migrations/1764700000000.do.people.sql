-- People who log in (issue 15): practitioners, residents and network-office staff, with their password
-- (scrypt), second factors and lockout state; and what the OpenID Connect provider keeps between requests
-- (sessions, grants, codes, refresh tokens), so several processes share it and a revocation holds at once.

CREATE TABLE person_account (
  id text PRIMARY KEY,
  username text NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('practitioner', 'resident', 'office')),
  display_name text NOT NULL,
  practitioner text,
  patient text,
  facilities jsonb NOT NULL DEFAULT '[]',
  password_hash text NOT NULL,
  totp_secret text,
  recovery_hashes jsonb NOT NULL DEFAULT '[]',
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'offboarded')),
  failed_logins integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  changed_at timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'resident' OR patient IS NOT NULL),
  CHECK (kind <> 'practitioner' OR practitioner IS NOT NULL)
);

CREATE TABLE person_passkey (
  credential_id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES person_account (id),
  public_key text NOT NULL,
  counter bigint NOT NULL DEFAULT 0,
  transports jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX person_passkey_account ON person_passkey (account_id);

CREATE TABLE oidc_payload (
  model text NOT NULL,
  id text NOT NULL,
  payload jsonb NOT NULL,
  grant_id text,
  uid text,
  user_code text,
  expires_at timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (model, id)
);

CREATE INDEX oidc_payload_grant ON oidc_payload (grant_id) WHERE grant_id IS NOT NULL;

CREATE INDEX oidc_payload_uid ON oidc_payload (uid) WHERE uid IS NOT NULL;
