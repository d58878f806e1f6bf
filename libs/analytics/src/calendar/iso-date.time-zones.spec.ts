import { isIsoDate, nextMidnightIn, safeTimeZone, startOfWeek, todayIn } from './iso-date.js';

describe('calendar dates and org time zones', () => {
  it('accepts only real calendar dates', () => {
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2025-02-29')).toBe(false);
    expect(isIsoDate('2025-13-01')).toBe(false);
    expect(isIsoDate('2025-1-01')).toBe(false);
  });

  it('starts weeks on Mondays', () => {
    expect(startOfWeek('2025-01-01')).toBe('2024-12-30');
    expect(startOfWeek('2024-12-30')).toBe('2024-12-30');
    expect(startOfWeek('2025-01-05')).toBe('2024-12-30');
  });

  it('knows today in the org time zone', () => {
    const instant = Date.parse('2025-03-14T23:30:00Z');
    expect(todayIn('UTC', instant)).toBe('2025-03-14');
    expect(todayIn('Asia/Tokyo', instant)).toBe('2025-03-15');
    expect(todayIn('America/Los_Angeles', instant)).toBe('2025-03-14');
  });

  it('finds the next midnight in the zone, across a DST change', () => {
    expect(new Date(nextMidnightIn('UTC', Date.parse('2025-03-14T23:30:00Z'))).toISOString()).toBe(
      '2025-03-15T00:00:00.000Z',
    );
    expect(new Date(nextMidnightIn('Asia/Tokyo', Date.parse('2025-03-14T10:00:00Z'))).toISOString()).toBe(
      '2025-03-14T15:00:00.000Z',
    );
    // New York moves from UTC-5 to UTC-4 on 2025-03-09 at 02:00.
    expect(
      new Date(nextMidnightIn('America/New_York', Date.parse('2025-03-09T12:00:00Z'))).toISOString(),
    ).toBe('2025-03-10T04:00:00.000Z');
  });

  it('falls back to UTC for a zone the runtime does not know', () => {
    expect(safeTimeZone('Mars/Olympus')).toBe('UTC');
    expect(safeTimeZone(null)).toBe('UTC');
    expect(safeTimeZone('Europe/Paris')).toBe('Europe/Paris');
  });
});
