import { addDays, addMonths, dateParts, type IsoDate, isoDate, minDate } from './iso-date.js';

export interface DateRange {
  start: IsoDate;
  end: IsoDate;
}

/** 1..12; anything else (a missing or corrupt profile value) means a calendar fiscal year. */
export function normaliseFiscalStartMonth(month: number | null | undefined): number {
  return Number.isInteger(month) && (month as number) >= 1 && (month as number) <= 12 ? (month as number) : 1;
}

/**
 * The fiscal year `date` falls in, named after the calendar year it starts in: with April as
 * the first month, 2025-03-31 is in FY 2024 and 2025-04-01 in FY 2025.
 */
export function fiscalYearOf(date: IsoDate, startMonth: number): number {
  const { year, month } = dateParts(date);
  return startMonth === 1 || month >= startMonth ? year : year - 1;
}

/** The whole fiscal year (not capped). */
export function fiscalYearRange(fiscalYear: number, startMonth: number): DateRange {
  const start = isoDate(fiscalYear, startMonth, 1);
  return { start, end: addDays(addMonths(start, 12), -1) };
}

/** 1..4: quarters count from the fiscal year's first month. */
export function fiscalQuarterOf(date: IsoDate, startMonth: number): number {
  const { month } = dateParts(date);
  const monthsIn = (month - startMonth + 12) % 12;
  return Math.floor(monthsIn / 3) + 1;
}

/** Quarter `quarter` (1..4) of `fiscalYear` (not capped). */
export function fiscalQuarterRange(fiscalYear: number, quarter: number, startMonth: number): DateRange {
  const start = addMonths(isoDate(fiscalYear, startMonth, 1), (quarter - 1) * 3);
  return { start, end: addDays(addMonths(start, 3), -1) };
}

/** Caps a range at `lastDay`, the latest day costs can exist for (see lastCostDay). */
export function capAt(range: DateRange, lastDay: IsoDate): DateRange {
  return { start: range.start, end: minDate(range.end, lastDay) };
}
