-- The FHIR store. One table holds the current version of every resource of every type, one its history,
-- and one table per search-value kind holds what the SearchParameters extract (HAPI's layout rather than
-- Medplum's column-per-parameter one: no resource type needs DDL of its own, and a new SearchParameter
-- needs no migration). `rid` is an internal key that survives updates, so index rows and paging cursors
-- can point at a resource with 8 bytes.
--
-- `compartments` (the Patient ids whose compartment holds the row) and `source` (the supplying facility)
-- are what the consent filter reads; both are copied to history so that history reads are filtered alike.

CREATE TABLE resource (
  rid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  resource_type text NOT NULL,
  id text NOT NULL,
  version_id integer NOT NULL,
  last_updated timestamptz NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  content text NOT NULL,
  compartments text[] NOT NULL DEFAULT '{}',
  source text,
  UNIQUE (resource_type, id)
);

CREATE INDEX resource_type_updated ON resource (resource_type, last_updated, rid);

CREATE INDEX resource_compartments ON resource USING gin (compartments);

CREATE TABLE resource_history (
  rid bigint NOT NULL,
  resource_type text NOT NULL,
  id text NOT NULL,
  version_id integer NOT NULL,
  last_updated timestamptz NOT NULL,
  deleted boolean NOT NULL,
  content text NOT NULL,
  compartments text[] NOT NULL DEFAULT '{}',
  source text,
  PRIMARY KEY (resource_type, id, version_id)
);

CREATE INDEX resource_history_updated ON resource_history (last_updated);

CREATE INDEX resource_history_type_updated ON resource_history (resource_type, last_updated);

-- Search values. Every table leads with (resource_type, code) so that one B-tree serves every parameter.
CREATE TABLE sp_token (
  rid bigint NOT NULL, resource_type text NOT NULL, code text NOT NULL,
  system text, value text COLLATE "C", display text);

CREATE INDEX sp_token_lookup ON sp_token (resource_type, code, value, system, rid);

CREATE INDEX sp_token_rid ON sp_token (rid);

CREATE TABLE sp_string (
  rid bigint NOT NULL, resource_type text NOT NULL, code text NOT NULL,
  value text COLLATE "C" NOT NULL, exact text NOT NULL);

CREATE INDEX sp_string_lookup ON sp_string (resource_type, code, value, rid);

CREATE INDEX sp_string_rid ON sp_string (rid);

CREATE TABLE sp_date (
  rid bigint NOT NULL, resource_type text NOT NULL, code text NOT NULL,
  lo timestamptz NOT NULL, hi timestamptz NOT NULL);

CREATE INDEX sp_date_lookup ON sp_date (resource_type, code, lo, hi, rid);

CREATE INDEX sp_date_rid ON sp_date (rid);

CREATE TABLE sp_number (
  rid bigint NOT NULL, resource_type text NOT NULL, code text NOT NULL, value numeric NOT NULL);

CREATE INDEX sp_number_lookup ON sp_number (resource_type, code, value, rid);

CREATE INDEX sp_number_rid ON sp_number (rid);

CREATE TABLE sp_quantity (
  rid bigint NOT NULL, resource_type text NOT NULL, code text NOT NULL,
  value numeric NOT NULL, system text, unit text);

CREATE INDEX sp_quantity_lookup ON sp_quantity (resource_type, code, value, rid);

CREATE INDEX sp_quantity_rid ON sp_quantity (rid);

CREATE TABLE sp_reference (
  rid bigint NOT NULL, resource_type text NOT NULL, code text NOT NULL,
  target_type text, target_id text COLLATE "C" NOT NULL);

CREATE INDEX sp_reference_lookup ON sp_reference (resource_type, code, target_id, rid);

CREATE INDEX sp_reference_target ON sp_reference (target_id);

CREATE INDEX sp_reference_rid ON sp_reference (rid);

CREATE TABLE auth_client (
  client_id text PRIMARY KEY,
  name text NOT NULL,
  role text NOT NULL,
  organization text,
  patient text,
  secret_hash text NOT NULL,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now());

CREATE TABLE server_setting (key text PRIMARY KEY, value text NOT NULL);
