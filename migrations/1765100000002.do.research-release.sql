-- Every cell of research statistics ever released, as the set of persons it counted, so that a later cell
-- differing from one of them by fewer than MIN_CELL persons is suppressed (overlap restriction; issue 12,
-- item 10). Never served; size narrows the comparison to cells that could be that close.

CREATE TABLE research_release (
  id bigserial PRIMARY KEY,
  client_id text NOT NULL,
  released_at timestamptz NOT NULL DEFAULT now(),
  size integer NOT NULL,
  members text[] NOT NULL
);

CREATE INDEX research_release_size ON research_release (size);
