/**
 * Slot times from opening hours: the week, the lunch break, blocked times and the slot length.
 */
import { slotTimes } from '../../src/booking/opening-hours';

const WEEKDAYS: ('mon' | 'tue' | 'wed' | 'thu' | 'fri')[] = ['mon', 'tue', 'wed', 'thu', 'fri'];

test('weekday hours give slots in Japan time, none at weekends, lunch or blocked times', () => {
  const slots = slotTimes({
    from: '2030-01-04', // Friday
    to: '2030-01-07', // Monday
    slotMinutes: 60,
    availableTime: [
      { daysOfWeek: WEEKDAYS, availableStartTime: '09:00:00', availableEndTime: '12:00:00' },
      { daysOfWeek: WEEKDAYS, availableStartTime: '13:00:00', availableEndTime: '15:30:00' },
    ],
    notAvailable: [{ description: 'maintenance', during: { start: '2030-01-07T10:30:00+09:00', end: '2030-01-07T11:00:00+09:00' } }],
  });
  expect(slots.map((s) => s.start)).toEqual([
    '2030-01-04T09:00:00+09:00',
    '2030-01-04T10:00:00+09:00',
    '2030-01-04T11:00:00+09:00',
    '2030-01-04T13:00:00+09:00',
    '2030-01-04T14:00:00+09:00',
    '2030-01-07T09:00:00+09:00',
    '2030-01-07T11:00:00+09:00',
    '2030-01-07T13:00:00+09:00',
    '2030-01-07T14:00:00+09:00',
  ]);
  expect(slots[0].end).toBe('2030-01-04T10:00:00+09:00');
});

test('an all-day service is cut into slots from midnight to midnight', () => {
  const slots = slotTimes({ from: '2030-01-05', to: '2030-01-05', slotMinutes: 240, availableTime: [{ allDay: true }] });
  expect(slots).toEqual([
    { start: '2030-01-05T00:00:00+09:00', end: '2030-01-05T04:00:00+09:00' },
    { start: '2030-01-05T04:00:00+09:00', end: '2030-01-05T08:00:00+09:00' },
    { start: '2030-01-05T08:00:00+09:00', end: '2030-01-05T12:00:00+09:00' },
    { start: '2030-01-05T12:00:00+09:00', end: '2030-01-05T16:00:00+09:00' },
    { start: '2030-01-05T16:00:00+09:00', end: '2030-01-05T20:00:00+09:00' },
    { start: '2030-01-05T20:00:00+09:00', end: '2030-01-06T00:00:00+09:00' },
  ]);
});
