/**
 * Timestamps as HL7 v2 TS, HL7 v3 (CDA) TS and DICOM DA+TM write them — YYYY[MM[DD[HH[MM[SS[.F…]]]]]][±ZZZZ] —
 * to FHIR date and dateTime. Japanese senders write local time and mostly omit the zone, while FHIR requires one as
 * soon as a time is given; every facility on this network is in Japan, so a time without a zone is +09:00.
 * FHIR dateTime also needs seconds once a time is given, so missing minutes and seconds become zeros.
 */
const TIMESTAMP = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,9}))?([+-]\d{4})?$/;
const JAPAN_OFFSET = '+09:00';

export interface TimestampParts {
  year: string;
  month?: string;
  day?: string;
  hour?: string;
  minute?: string;
  second?: string;
  fraction?: string;
  /** As sent, "+0900". */
  offset?: string;
}

/** The parts of a timestamp, or undefined when it is not one or names an impossible month, day or time. */
export function parseTimestamp(value: string): TimestampParts | undefined {
  const match = TIMESTAMP.exec(value.trim());
  if (!match) {
    return undefined;
  }
  const [, year, month, day, hour, minute, second, fraction, offset] = match;
  if ((month && (+month < 1 || +month > 12)) || (day && (+day < 1 || +day > 31)) || (hour && +hour > 23) || (minute && +minute > 59) || (second && +second > 59)) {
    return undefined;
  }
  return { year, month, day, hour, minute, second, fraction, offset };
}

/** FHIR date at the precision sent: "1996", "1996-01", "1996-01-31". */
export function fhirDate(parts: TimestampParts): string {
  return [parts.year, parts.month, parts.day].filter(Boolean).join('-');
}

/** FHIR dateTime: the date alone, or with the time and its zone (Japan's when none was sent) when an hour is given. */
export function fhirDateTime(parts: TimestampParts): string {
  if (!parts.hour || !parts.day) {
    return fhirDate(parts);
  }
  const fraction = parts.fraction ? `.${parts.fraction}` : '';
  const zone = parts.offset ? `${parts.offset.slice(0, 3)}:${parts.offset.slice(3)}` : JAPAN_OFFSET;
  return `${fhirDate(parts)}T${parts.hour}:${parts.minute ?? '00'}:${parts.second ?? '00'}${fraction}${zone}`;
}
