/** HL7 v2 TS/DT → FHIR date, dateTime and instant; the timestamp rules themselves are shared (common/time.ts). */
import { fhirDate, fhirDateTime, parseTimestamp } from '../common/time';

/** FHIR dateTime, keeping the precision of date-only values ("199601" → "1996-01"). */
export function toDateTime(value: string): string | undefined {
  const parts = parseTimestamp(value);
  return parts && fhirDateTime(parts);
}

/** FHIR date: the date part of a TS. */
export function toDate(value: string): string | undefined {
  const parts = parseTimestamp(value);
  return parts && fhirDate(parts);
}

/** FHIR instant needs a full time; a date-only TS becomes midnight Japan time. */
export function toInstant(value: string): string | undefined {
  const parts = parseTimestamp(value);
  if (!parts || !parts.month || !parts.day) {
    return undefined;
  }
  return fhirDateTime({ ...parts, hour: parts.hour ?? '00' });
}
