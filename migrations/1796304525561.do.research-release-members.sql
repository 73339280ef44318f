-- The audit of research releases (src/research/audit-expert.ts) reads the released cells that share persons
-- with a candidate cell, step by step: an index over each cell's persons.

CREATE INDEX research_release_members ON research_release USING gin (members);
