import { dateFromTS, dateTimeFromTS, instantFromTS } from '../../../src/mapping/cda/datatypes';

describe('CDA TS → FHIR date/dateTime', () => {
  it.each([
    ['2024', '2024'],
    ['202404', '2024-04'],
    ['20240415', '2024-04-15'],
    ['2024041510', '2024-04-15T10:00:00+09:00'],
    ['202404151030', '2024-04-15T10:30:00+09:00'],
    ['20240415103015.25-0500', '2024-04-15T10:30:15.25-05:00'],
    ['20240415103015+0000', '2024-04-15T10:30:15+00:00'],
  ])('%s → %s', (ts, fhir) => {
    expect(dateTimeFromTS(ts)).toBe(fhir);
  });

  it('rejects what is not a TS', () => {
    expect(dateTimeFromTS('2024-04-15')).toBeUndefined();
    expect(dateTimeFromTS(undefined)).toBeUndefined();
  });

  it('gives an instant only when there is a time, and a date part for birth dates', () => {
    expect(instantFromTS('20240415')).toBeUndefined();
    expect(instantFromTS('20240415103000+0900')).toBe('2024-04-15T10:30:00+09:00');
    expect(dateFromTS('19300628120000')).toBe('1930-06-28');
  });
});
