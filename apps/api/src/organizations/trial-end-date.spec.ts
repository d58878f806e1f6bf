import { parseTrialEndDate } from './trial-end-date.js';

describe('trial end date parsing', () => {
  it('keeps a plain date', () => {
    expect(parseTrialEndDate('2026-03-01')).toBe('2026-03-01');
  });

  it('takes the UTC day of an ISO date-time with Z or an offset', () => {
    expect(parseTrialEndDate('2026-03-01T23:30:00Z')).toBe('2026-03-01');
    expect(parseTrialEndDate('2026-03-01T23:30:00-02:00')).toBe('2026-03-02');
  });

  it('reads epoch seconds and milliseconds, as numbers or strings', () => {
    expect(parseTrialEndDate(1_772_323_200)).toBe('2026-03-01');
    expect(parseTrialEndDate(1_772_323_200_000)).toBe('2026-03-01');
    expect(parseTrialEndDate('1772323200')).toBe('2026-03-01');
  });

  it('refuses text that is not a date, and dates that do not exist', () => {
    expect(parseTrialEndDate('next tuesday')).toBeNull();
    expect(parseTrialEndDate('2026-02-31')).toBeNull();
    // A date-time was handed to Date.parse, which rolled it over: a typo extended a trial by days.
    for (const v of [
      '2027-02-31T10:00:00Z',
      '2027-04-31T23:59:59-12:00',
      '2027-02-29T00:00:00+14:00',
      '2027-03-01T24:00:00Z',
      '2027-03-01T23:60Z',
      '2027-03-01T10:00:00+25:00',
    ])
      expect(parseTrialEndDate(v), v).toBeNull();
    expect(parseTrialEndDate('2028-02-29T23:30:00-01:00')).toBe('2028-03-01');
    expect(parseTrialEndDate(-5)).toBeNull();
    expect(parseTrialEndDate(true)).toBeNull();
  });

  it('refuses a moment past the year 9999 or past what a date holds (a 500 before)', () => {
    for (const v of [9e15, 1e308, 253_402_300_800_000]) expect(parseTrialEndDate(v), String(v)).toBeNull();
    expect(parseTrialEndDate('9999-12-31')).toBe('9999-12-31');
  });

  it('refuses a moment before 1970, which the tenancy DB may not store (year 0000 was a 500)', () => {
    for (const v of ['0000-01-01', '0000-01-01T00:00Z', '0001-01-01T00:30+00:31', '1969-12-31'])
      expect(parseTrialEndDate(v), v).toBeNull();
    expect(parseTrialEndDate('1970-01-01')).toBe('1970-01-01');
    expect(parseTrialEndDate(0)).toBe('1970-01-01');
  });
});
