import { type CostDays, lastCostDay } from './cost-days.js';
import { DatePeriod, type LabelledRange, lastDays, periodRange } from './date-periods.js';
import { fiscalYearOf, fiscalYearRange } from './fiscal-year.js';
import { addDays, minDate, startOfWeek } from './iso-date.js';

export enum ComparisonType {
  WeekOverWeek = 'wow',
  MonthOverMonth = 'mom',
  QuarterOverQuarter = 'qoq',
  YearOverYear = 'yoy',
  CustomDays = 'custom',
}

export interface ComparisonRanges {
  current: LabelledRange;
  previous: LabelledRange;
}

/**
 * The two periods a comparison puts side by side, in the org's calendar (see periodRange). The
 * current one is capped at the latest day costs exist for; the previous one is whole (last week Monday..Sunday, last month, last fiscal quarter or year, or
 * the `customDays` days just before the current window).
 */
export function comparisonRanges(
  type: ComparisonType,
  days: CostDays,
  fiscalStartMonth: number,
  customDays = 30,
): ComparisonRanges {
  switch (type) {
    case ComparisonType.WeekOverWeek: {
      const monday = startOfWeek(days.today);
      const lastMonday = addDays(monday, -7);
      const end = minDate(addDays(monday, 6), lastCostDay(days));
      return {
        current: { start: monday, end, label: 'This week' },
        previous: { start: lastMonday, end: addDays(monday, -1), label: 'Last week' },
      };
    }
    case ComparisonType.MonthOverMonth:
      return {
        current: periodRange(DatePeriod.MonthToDate, days, fiscalStartMonth),
        previous: periodRange(DatePeriod.LastMonth, days, fiscalStartMonth),
      };
    case ComparisonType.QuarterOverQuarter:
      return {
        current: periodRange(DatePeriod.QuarterToDate, days, fiscalStartMonth),
        previous: periodRange(DatePeriod.LastQuarter, days, fiscalStartMonth),
      };
    case ComparisonType.YearOverYear: {
      const fy = fiscalYearOf(days.today, fiscalStartMonth);
      const previous = fiscalYearRange(fy - 1, fiscalStartMonth);
      return {
        current: periodRange(DatePeriod.YearToDate, days, fiscalStartMonth),
        previous: { ...previous, label: `FY ${fy - 1}` },
      };
    }
    case ComparisonType.CustomDays: {
      const current = lastDays(customDays, lastCostDay(days));
      const previousEnd = addDays(current.start, -1);
      return {
        current: { ...current, label: `Last ${customDays} days` },
        previous: {
          start: addDays(previousEnd, -(customDays - 1)),
          end: previousEnd,
          label: `Previous ${customDays} days`,
        },
      };
    }
  }
}
