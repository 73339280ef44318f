-- Dates without a zone (birthDate 1956-01-01, an effective date, a month) are days in Japan, +09:00, no longer
-- UTC days (issue 13). Such a value was indexed as a range from one UTC midnight to another; a value with a
-- time never lands on both, so exactly those rows (and the open ends of periods) move nine hours earlier.

UPDATE sp_date SET
  lo = CASE WHEN isfinite(lo) THEN lo - interval '9 hours' ELSE lo END,
  hi = CASE WHEN isfinite(hi) THEN hi - interval '9 hours' ELSE hi END
WHERE (NOT isfinite(lo) OR date_trunc('day', lo AT TIME ZONE 'UTC') = lo AT TIME ZONE 'UTC')
  AND (NOT isfinite(hi) OR date_trunc('day', hi AT TIME ZONE 'UTC') = hi AT TIME ZONE 'UTC')
  AND (isfinite(lo) OR isfinite(hi));
