import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  daysInMonth,
  fromDayNumber,
  isIsoDate,
  isoDate,
  toDayNumber,
} from './iso-date.js';

const DAY_MS = 86_400_000;
const viaDate = (days: number) => new Date(days * DAY_MS).toISOString().slice(0, 10);

describe('day numbers', () => {
  it('formats the days of years 1 to 9999 as Date does, and reads them back', () => {
    const first = Date.parse('0001-01-01T00:00:00Z') / DAY_MS;
    const last = Date.parse('9999-12-31T00:00:00Z') / DAY_MS;
    expect(toDayNumber('0001-01-01')).toBe(first);
    expect(toDayNumber('9999-12-31')).toBe(last);
    expect(fromDayNumber(first)).toBe('0001-01-01');
    expect(fromDayNumber(last)).toBe('9999-12-31');
    const dense = [toDayNumber('1600-01-01'), toDayNumber('2400-12-31')];
    // Every day of 1600-2400 (the leap-century rules twice over), every 7th day elsewhere.
    for (let days = first; days <= last; days += days >= dense[0]! && days <= dense[1]! ? 1 : 7) {
      const text = fromDayNumber(days);
      if (text !== viaDate(days)) expect(text).toBe(viaDate(days));
      if (days % 997 === 0) expect(toDayNumber(text)).toBe(days);
    }
  });

  it('reads years before 100 as themselves (Date.UTC would take 0050 for 1950)', () => {
    expect(isoDate(50, 2, 29)).toBe('0050-03-01');
    expect(isoDate(48, 2, 29)).toBe('0048-02-29');
    expect(isIsoDate('0048-02-29')).toBe(true);
    expect(isIsoDate('0050-02-29')).toBe(false);
    expect(addMonths('0099-12-31', 1)).toBe('0100-01-31');
  });

  it('carries a day or month past its range over, as Date.UTC does', () => {
    expect(isoDate(2025, 13, 1)).toBe('2026-01-01');
    expect(isoDate(2025, 0, 1)).toBe('2024-12-01');
    expect(isoDate(2025, 3, 0)).toBe('2025-02-28');
    expect(isoDate(2025, 1, 32)).toBe('2025-02-01');
  });

  it('knows the length of every month', () => {
    for (let year = 1890; year <= 2110; year++)
      for (let month = 1; month <= 12; month++)
        expect(daysInMonth(year, month)).toBe(new Date(Date.UTC(year, month, 0)).getUTCDate());
  });

  it('crosses leap days and century rules', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2100-02-28', 1)).toBe('2100-03-01');
    expect(addDays('2000-02-28', 1)).toBe('2000-02-29');
    expect(addDays('1970-01-01', -1)).toBe('1969-12-31');
    expect(fromDayNumber(0)).toBe('1970-01-01');
  });
});
