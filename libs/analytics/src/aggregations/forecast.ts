import type pl from 'nodejs-polars';
import { type CostDays, lastCostDay } from '../calendar/cost-days.js';
import type { DateRange } from '../calendar/fiscal-year.js';
import {
  dateParts,
  daysBetween,
  daysInMonth,
  endOfMonth,
  type IsoDate,
  maxDate,
  minDate,
  startOfMonth,
} from '../calendar/iso-date.js';
import { filterDates } from '../frame/cost-filters.js';
import { type Micros, roundToCents } from '../money.js';
import { billedTotal } from './totals.js';

/**
 * The days of the org's current month (of its today, up to the latest day costs exist for: see
 * lastCostDay) that a period covers: month to date counts their rows, and the run rate spreads
 * them over these days only, so that a period starting mid-month (a "today" view) does not
 * divide its few days' cost by every day elapsed in the month.
 */
export interface MonthInfo {
  /** The first and last of those days; start > end when the period covers none. */
  start: IsoDate;
  end: IsoDate;
  /** Days from `start` to `end`, both included; at least 1. */
  daysCovered: number;
  daysInMonth: number;
}

export function monthInfo(days: CostDays, period: DateRange): MonthInfo {
  const monthStart = startOfMonth(days.today);
  const start = maxDate(period.start, monthStart);
  const end = minDate(period.end, minDate(endOfMonth(monthStart), lastCostDay(days)));
  const { year, month } = dateParts(monthStart);
  return {
    start,
    end,
    daysCovered: Math.max(1, daysBetween(start, end) + 1),
    daysInMonth: daysInMonth(year, month),
  };
}

/**
 * Billed cost of the month to date within the frame (see monthInfo): a frame whose period ends
 * before this month has none.
 */
export function monthToDate(df: pl.DataFrame, month: MonthInfo): Micros {
  return month.start > month.end ? 0 : billedTotal(filterDates(df, month.start, month.end));
}

/** Run rates. Daily and monthly are unrounded (money is rounded once, when shown). */
export interface RunRates {
  dailyRate: Micros;
  monthlyForecast: Micros;
  /**
   * Projected from month to date: 12 × the monthly forecast in cents (reference §1.5), so exactly
   * 12 times the monthly figure shown beside it. From the whole period: daily × 365, unrounded.
   */
  annualForecast: Micros;
}

/** Run rates of one set of rows, and what they were projected from. */
export interface Forecast extends RunRates {
  /** This month so far (`forecastFromMonthToDate`) or the whole period (`forecastFromRange`). */
  basis: 'month_to_date' | 'range';
}

/** The year of a monthly forecast: 12 × the month rounded to cents, as the reference rounds it. */
const annualOf = (monthly: Micros): Micros => roundToCents(monthly) * 12;

/**
 * From month to date: daily = MTD / the month's days the period covers (the reference divided by
 * every day elapsed, whatever the period; the same for a period covering the month so far);
 * month = daily × days in month; year = month × 12.
 */
export function forecastFromMonthToDate(mtd: Micros, month: MonthInfo): Forecast {
  const { daysCovered, daysInMonth: days } = month;
  // MTD × days / covered rather than (MTD / covered) × days: one division, one rounding error.
  const monthly = (mtd * days) / daysCovered;
  return {
    dailyRate: mtd / daysCovered,
    monthlyForecast: monthly,
    annualForecast: annualOf(monthly),
    basis: 'month_to_date',
  };
}

/**
 * From a whole range, when the month has no cost yet: daily = total / days in the range; month =
 * daily × 30; year = daily × 365 (the reference's fallback: a year of days, not 12 such months).
 */
export function forecastFromRange(total: Micros, start: IsoDate, end: IsoDate): Forecast {
  const days = Math.max(1, daysBetween(start, end) + 1);
  return {
    dailyRate: total / days,
    monthlyForecast: (total * 30) / days,
    annualForecast: (total * 365) / days,
    basis: 'range',
  };
}

/**
 * A category's run rates: from month-to-date, or — for usage-billed categories (`rangeFallback`)
 * whose month has no cost yet while the period has — from the whole period. Subscriptions are
 * fixed fees billed on their own dates, so an empty month means nothing is due yet, not a rate.
 */
export function categoryForecast(
  mtd: Micros,
  total: Micros,
  range: DateRange,
  month: MonthInfo,
  rangeFallback: boolean,
): Forecast {
  if (rangeFallback && mtd === 0 && total > 0) return forecastFromRange(total, range.start, range.end);
  return forecastFromMonthToDate(mtd, month);
}
