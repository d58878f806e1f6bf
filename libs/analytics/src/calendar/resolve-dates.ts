import { type CostDays, lastCostDay } from './cost-days.js';
import { DatePeriod, lastDays, type LabelledRange, customRangeLabel, periodRange } from './date-periods.js';
import { capAt, fiscalYearOf, fiscalYearRange } from './fiscal-year.js';
import { daysBetween, type IsoDate, minDate } from './iso-date.js';

/**
 * The most days a cost read may cover, both ends included: as many as the longest `days` window
 * (730, today included), so an explicit range and `days` reach equally far.
 */
export const MAX_RANGE_DAYS = 730;

export interface CostDateQuery {
  startDate?: IsoDate;
  endDate?: IsoDate;
  period?: DatePeriod;
  fiscalYear?: number;
}

/** The org's today and the UTC day (see CostDays), and its fiscal year. */
export interface DateContext extends CostDays {
  /** 1..12, from the org profile. */
  fiscalStartMonth: number;
}

export type PeriodSource = 'custom' | 'period' | 'fiscal_year' | 'fiscal_ytd' | 'last_days';

export interface ResolvedPeriod extends LabelledRange {
  source: PeriodSource;
}

/** A date range the caller asked for that cannot be served; the API answers 422 naming `field`. */
export class DateRangeError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'DateRangeError';
  }
}

/**
 * A start after the end, checked on the dates as given; then the length of the period actually
 * read, the end capped at `lastDay` (see lastCostDay): more than MAX_RANGE_DAYS days, both ends
 * included, is refused (an end in the future reads no more days than today does).
 */
export function assertCustomRange(start: IsoDate, end: IsoDate, lastDay: IsoDate): void {
  if (start > end) throw new DateRangeError('start_date', 'start_date must be on or before end_date');
  const last = minDate(end, lastDay);
  if (start <= last && daysBetween(start, last) + 1 > MAX_RANGE_DAYS)
    throw new DateRangeError(
      'end_date',
      `a date range may cover at most ${MAX_RANGE_DAYS} days, start_date and end_date included ` +
        `(an end_date after today counts up to today)`,
    );
}

function custom(start: IsoDate, end: IsoDate, days: CostDays): ResolvedPeriod {
  const last = lastCostDay(days);
  assertCustomRange(start, end, last);
  // The end is capped at the latest day costs exist for: the org's today or, west of UTC, the
  // UTC day already running, whose rows would otherwise be out of reach until the org's
  // midnight. A start after it gives an empty period (start > end), which reads as no data.
  const range = { start, end: minDate(end, last) };
  return { ...range, label: customRangeLabel({ start, end }), source: 'custom' };
}

/**
 * The period a cost read covers, by priority: both `startDate` and `endDate` (a custom range); a
 * named period; a fiscal year; else the current fiscal year to date, with the org's fiscal-year
 * start month and its today. Every end is capped at the latest day costs exist for (see
 * lastCostDay). One date without the other is ignored, as the dashboard has always relied on.
 */
export function resolveCostPeriod(query: CostDateQuery, ctx: DateContext): ResolvedPeriod {
  const { fiscalStartMonth } = ctx;
  const last = lastCostDay(ctx);
  if (query.startDate && query.endDate) return custom(query.startDate, query.endDate, ctx);
  if (query.period) return { ...periodRange(query.period, ctx, fiscalStartMonth), source: 'period' };
  if (query.fiscalYear !== undefined) {
    const range = capAt(fiscalYearRange(query.fiscalYear, fiscalStartMonth), last);
    return { ...range, label: `FY ${query.fiscalYear}`, source: 'fiscal_year' };
  }
  const fy = fiscalYearOf(ctx.today, fiscalStartMonth);
  const range = capAt(fiscalYearRange(fy, fiscalStartMonth), last);
  return { ...range, label: `FY ${fy}`, source: 'fiscal_ytd' };
}

/**
 * Trend windows: both dates when given (a custom range), else the last `days` days ending on the
 * latest day costs exist for, both ends included (days=30 is 30 calendar days, like the "Last 30
 * days" period).
 */
export function resolveTrendWindow(query: CostDateQuery, days: number, ctx: DateContext): ResolvedPeriod {
  if (query.startDate && query.endDate) return custom(query.startDate, query.endDate, ctx);
  return { ...lastDays(days, lastCostDay(ctx)), label: `Last ${days} days`, source: 'last_days' };
}

export { DatePeriod };
