/**
 * Bookable slot times from a HealthcareService's opening hours (availableTime) minus its blocked times
 * (notAvailable). A pure function: dates and hours in, instants out; no database, no clock.
 */
import type { HealthcareServiceAvailableTime, HealthcareServiceNotAvailable } from '@medplum/fhirtypes';

/** The region's clock: Japan Standard Time has no daylight saving, so one fixed offset is exact. */
export const REGION_UTC_OFFSET = '+09:00';
const OFFSET_MINUTES = 9 * 60;
const MINUTE = 60_000;
const DAY_CODES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export interface SlotTime {
  start: string;
  end: string;
}

export interface OpeningHours {
  /** First and last calendar day (YYYY-MM-DD, local), both included. */
  from: string;
  to: string;
  slotMinutes: number;
  availableTime: HealthcareServiceAvailableTime[];
  notAvailable?: HealthcareServiceNotAvailable[];
}

export function slotTimes(hours: OpeningHours): SlotTime[] {
  const blocked = (hours.notAvailable ?? [])
    .filter((n) => n.during?.start || n.during?.end)
    .map((n) => ({ start: n.during?.start ? Date.parse(n.during.start) : -Infinity, end: n.during?.end ? Date.parse(n.during.end) : Infinity }));
  const slots: SlotTime[] = [];
  for (let day = Date.parse(`${hours.from}T00:00:00Z`); day <= Date.parse(`${hours.to}T00:00:00Z`); day += 24 * 60 * MINUTE) {
    const date = new Date(day).toISOString().slice(0, 10);
    const weekday = DAY_CODES[new Date(day).getUTCDay()];
    for (const period of hours.availableTime) {
      if (period.daysOfWeek && !period.daysOfWeek.includes(weekday)) continue;
      const open = localInstant(date, period.allDay ? '00:00:00' : (period.availableStartTime ?? '00:00:00'));
      const close = period.allDay || !period.availableEndTime ? open + 24 * 60 * MINUTE : localInstant(date, period.availableEndTime);
      for (let start = open; start + hours.slotMinutes * MINUTE <= close; start += hours.slotMinutes * MINUTE) {
        const end = start + hours.slotMinutes * MINUTE;
        if (blocked.some((b) => start < b.end && end > b.start)) continue;
        slots.push({ start: formatLocal(start), end: formatLocal(end) });
      }
    }
  }
  return slots.sort((a, b) => a.start.localeCompare(b.start)).filter((s, i, all) => i === 0 || all[i - 1].start !== s.start);
}

function localInstant(date: string, time: string): number {
  return Date.parse(`${date}T${time}${REGION_UTC_OFFSET}`);
}

/** An instant written in the region's offset, as the hospital reads its own schedule. */
function formatLocal(instant: number): string {
  return new Date(instant + OFFSET_MINUTES * MINUTE).toISOString().slice(0, 19) + REGION_UTC_OFFSET;
}
