import { fhirDate, fhirDateTime, parseTimestamp } from '../../../src/mapping/common/time';

const dateTime = (value: string) => {
  const parts = parseTimestamp(value);
  return parts && fhirDateTime(parts);
};

describe('HL7 v2 / v3 / DICOM timestamps → FHIR', () => {
  it.each([
    ['1996', '1996'],
    ['199601', '1996-01'],
    ['19960131', '1996-01-31'],
    // An hour alone still needs minutes, seconds and a zone in FHIR: Japan time.
    ['2011101607', '2011-10-16T07:00:00+09:00'],
    ['20111220224447.3399', '2011-12-20T22:44:47.3399+09:00'],
    // DICOM DA + TM (6-digit fraction) + (0008,0201)
    ['20061219111154.812000-0500', '2006-12-19T11:11:54.812000-05:00'],
    ['20240415103015+0000', '2024-04-15T10:30:15+00:00'],
  ])('%s → %s', (value, expected) => {
    expect(dateTime(value)).toBe(expected);
  });

  it('rejects impossible months, days and times, and other spellings', () => {
    for (const value of ['20241301', '20240432', '2024041524', '202404151060', '2024-04-15', '']) {
      expect(parseTimestamp(value)).toBeUndefined();
    }
  });

  it('gives the date part at the precision sent', () => {
    expect(fhirDate(parseTimestamp('19650415120000')!)).toBe('1965-04-15');
    expect(fhirDate(parseTimestamp('196504')!)).toBe('1965-04');
  });
});
