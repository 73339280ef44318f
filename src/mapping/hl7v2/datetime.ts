/**
 * HL7 TS/DT → FHIR date, dateTime and instant. SS-MIX2 times carry no offset; they are Japan local time, so +09:00
 * is assumed unless the value states its own offset. FHIR dateTime needs seconds once a time is given, so missing
 * minutes and seconds are filled with zeros (the HL7 precision is not kept).
 */
const TS = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$/;
const JAPAN_OFFSET = '+09:00';

interface TsParts {
  year: string;
  month?: string;
  day?: string;
  hour?: string;
  minute?: string;
  second?: string;
  fraction?: string;
  offset?: string;
}

function parseTs(value: string): TsParts | undefined {
  const match = TS.exec(value.trim());
  if (!match) {
    return undefined;
  }
  const [, year, month, day, hour, minute, second, fraction, offset] = match;
  if ((month && (+month < 1 || +month > 12)) || (day && (+day < 1 || +day > 31)) || (hour && +hour > 23) || (minute && +minute > 59) || (second && +second > 59)) {
    return undefined;
  }
  return { year, month, day, hour, minute, second, fraction, offset };
}

function dateOf(parts: TsParts): string {
  return [parts.year, parts.month, parts.day].filter(Boolean).join('-');
}

function timeOf(parts: TsParts): string {
  const fraction = parts.fraction ? `.${parts.fraction.slice(0, 3)}` : '';
  const offset = parts.offset ? `${parts.offset.slice(0, 3)}:${parts.offset.slice(3)}` : JAPAN_OFFSET;
  return `T${parts.hour}:${parts.minute ?? '00'}:${parts.second ?? '00'}${fraction}${offset}`;
}

/** FHIR dateTime, keeping the precision of date-only values ("199601" → "1996-01"). */
export function toDateTime(value: string): string | undefined {
  const parts = parseTs(value);
  if (!parts) {
    return undefined;
  }
  return parts.hour && parts.day ? dateOf(parts) + timeOf(parts) : dateOf(parts);
}

/** FHIR date: the date part of a TS. */
export function toDate(value: string): string | undefined {
  const parts = parseTs(value);
  return parts ? dateOf(parts) : undefined;
}

/** FHIR instant needs a full time; a date-only TS becomes midnight Japan time. */
export function toInstant(value: string): string | undefined {
  const parts = parseTs(value);
  if (!parts || !parts.month || !parts.day) {
    return undefined;
  }
  return dateOf(parts) + timeOf({ ...parts, hour: parts.hour ?? '00' });
}
