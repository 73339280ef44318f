/**
 * FHIR dates are ranges: "2024" means the whole year. Both indexing and searching turn a date of any
 * precision into [lo, hi) milliseconds, so that prefixes compare ranges as the spec describes.
 * A date without a zone is a day (month, year, time) in Japan, +09:00, the same way on both sides: the region's
 * data is written in Japan time, and `date=2024-01-15` must find a result taken at 07:30 that morning.
 */
const DATE_PATTERN = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export interface DateRange {
  lo: Date;
  hi: Date;
}

export function parseDateRange(value: string): DateRange | undefined {
  const m = DATE_PATTERN.exec(value.trim());
  if (!m) {
    return undefined;
  }
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  if (mo === undefined) {
    return { lo: japan(year, 0, 1), hi: japan(year + 1, 0, 1) };
  }
  const month = Number(mo) - 1;
  if (d === undefined) {
    return { lo: japan(year, month, 1), hi: japan(year, month + 1, 1) };
  }
  const day = Number(d);
  if (h === undefined) {
    return { lo: japan(year, month, day), hi: japan(year, month, day + 1) };
  }
  const offsetMs = zone === 'Z' ? 0 : zone ? (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60000 : JAPAN_OFFSET_MS;
  const base = Date.UTC(year, month, day, Number(h), Number(mi)) - offsetMs;
  if (s === undefined) {
    return { lo: new Date(base), hi: new Date(base + 60000) };
  }
  const ms = frac ? Math.floor(Number(frac) * 1000) : 0;
  const lo = base + Number(s) * 1000 + ms;
  // Seconds precision covers the whole second; fractional precision is a point.
  return { lo: new Date(lo), hi: new Date(frac ? lo + 1 : lo + 1000) };
}

/** Japan Standard Time has had no daylight saving since 1951, so one fixed offset is exact. */
const JAPAN_OFFSET_MS = 9 * 3600 * 1000;

function japan(year: number, month: number, day: number): Date {
  return new Date(Date.UTC(year, month, day) - JAPAN_OFFSET_MS);
}

/** Unbounded ends of periods, as PostgreSQL's timestamptz understands them. */
export const MIN_DATE = '-infinity';
export const MAX_DATE = 'infinity';
