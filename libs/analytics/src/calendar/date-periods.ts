import { type CostDays, lastCostDay } from './cost-days.js';
import {
  capAt,
  type DateRange,
  fiscalQuarterOf,
  fiscalQuarterRange,
  fiscalYearOf,
  fiscalYearRange,
} from './fiscal-year.js';
import { addDays, addMonths, dateParts, endOfMonth, type IsoDate, startOfMonth } from './iso-date.js';

export enum DatePeriod {
  Today = 'today',
  Yesterday = 'yesterday',
  Last7Days = 'last_7_days',
  Last30Days = 'last_30_days',
  Last90Days = 'last_90_days',
  MonthToDate = 'mtd',
  LastMonth = 'last_month',
  QuarterToDate = 'qtd',
  LastQuarter = 'last_quarter',
  YearToDate = 'ytd',
  LastYear = 'last_year',
}

export interface LabelledRange extends DateRange {
  label: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function shortDate(date: IsoDate): string {
  const { year, month, day } = dateParts(date);
  return `${MONTHS[month - 1]} ${String(day).padStart(2, '0')}, ${year}`;
}

function monthLabel(date: IsoDate): string {
  const { year, month } = dateParts(date);
  return `${MONTHS[month - 1]} ${year}`;
}

/** "Jan 01 - Jan 31, 2025" (the year of the end), as the dashboard shows custom ranges. */
export function customRangeLabel(range: DateRange): string {
  const start = shortDate(range.start);
  return `${start.slice(0, 6)} - ${shortDate(range.end)}`;
}

/** The last `days` days ending on `lastDay`, both ends included. */
export function lastDays(days: number, lastDay: IsoDate): DateRange {
  return { start: addDays(lastDay, -(days - 1)), end: lastDay };
}

/**
 * A named period of the org's calendar: today, yesterday, months, quarters and years are the
 * org's (quarters and years fiscal), relative to its today. Periods to date and the last n days
 * end on the latest day costs exist for (see lastCostDay), which west of UTC is the UTC day
 * already running.
 */
export function periodRange(period: DatePeriod, days: CostDays, fiscalStartMonth: number): LabelledRange {
  const { today } = days;
  const last = lastCostDay(days);
  const fy = fiscalYearOf(today, fiscalStartMonth);
  const quarter = fiscalQuarterOf(today, fiscalStartMonth);
  switch (period) {
    case DatePeriod.Today:
      return { start: today, end: today, label: shortDate(today) };
    case DatePeriod.Yesterday: {
      const y = addDays(today, -1);
      return { start: y, end: y, label: `Yesterday (${shortDate(y).slice(0, 6)})` };
    }
    case DatePeriod.Last7Days:
      return { ...lastDays(7, last), label: 'Last 7 days' };
    case DatePeriod.Last30Days:
      return { ...lastDays(30, last), label: 'Last 30 days' };
    case DatePeriod.Last90Days:
      return { ...lastDays(90, last), label: 'Last 90 days' };
    case DatePeriod.MonthToDate: {
      const start = startOfMonth(today);
      return { ...capAt({ start, end: endOfMonth(start) }, last), label: monthLabel(today) };
    }
    case DatePeriod.LastMonth: {
      const start = addMonths(startOfMonth(today), -1);
      return { start, end: endOfMonth(start), label: monthLabel(start) };
    }
    case DatePeriod.QuarterToDate:
      return quarterRange(fy, quarter, fiscalStartMonth, last);
    case DatePeriod.LastQuarter:
      return quarter === 1
        ? quarterRange(fy - 1, 4, fiscalStartMonth, last)
        : quarterRange(fy, quarter - 1, fiscalStartMonth, last);
    case DatePeriod.YearToDate:
      return { ...capAt(fiscalYearRange(fy, fiscalStartMonth), last), label: `FY ${fy}` };
    case DatePeriod.LastYear:
      return { ...fiscalYearRange(fy - 1, fiscalStartMonth), label: `FY ${fy - 1}` };
  }
}

function quarterRange(fy: number, quarter: number, startMonth: number, lastDay: IsoDate): LabelledRange {
  const range = capAt(fiscalQuarterRange(fy, quarter, startMonth), lastDay);
  // The label names the calendar quarter of the start, as the dashboard always has.
  const { year, month } = dateParts(range.start);
  return { ...range, label: `Q${Math.floor((month - 1) / 3) + 1} ${year}` };
}
