-- A search by a code and a value together (`Observation?code=…&value-quantity=gt…`, issue 11) tested each
-- Observation with the code against its value, one resource row at a time: every Observation of a common test
-- was read to keep the few above the threshold. One row per (code token, quantity) pair of a resource
-- answers both in one index range, so only the matches are read. The pairs are the cross product of the
-- resource's token and quantity rows for the pair's two parameters (src/fhir/search/layout.ts, TOKEN_QUANTITY_PAIRS),
-- so "has this code and has a value above n" is exactly "has a pair with this code and a value above n".

CREATE TABLE sp_token_quantity (
  rid bigint NOT NULL, resource_type text NOT NULL, code text NOT NULL,
  system text, value text COLLATE "C",
  quantity numeric NOT NULL, quantity_system text, quantity_unit text);

CREATE INDEX sp_token_quantity_lookup ON sp_token_quantity (resource_type, code, value, system, quantity, rid);

CREATE INDEX sp_token_quantity_rid ON sp_token_quantity (rid);

-- The pairs of what is already stored (a text-only token row, with neither system nor value, matches no code).
INSERT INTO sp_token_quantity (rid, resource_type, code, system, value, quantity, quantity_system, quantity_unit)
SELECT t.rid, t.resource_type, 'code-value-quantity', t.system, t.value, q.value, q.system, q.unit
FROM sp_token t
JOIN sp_quantity q ON q.rid = t.rid AND q.resource_type = t.resource_type AND q.code = 'value-quantity'
WHERE t.resource_type = 'Observation' AND t.code = 'code' AND (t.system IS NOT NULL OR t.value IS NOT NULL);
