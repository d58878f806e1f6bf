import pl from 'nodejs-polars';
import type { CostDays } from '../calendar/cost-days.js';
import type { IsoDate } from '../calendar/iso-date.js';
import { type CostCategory, COST_CATEGORIES } from '../frame/cost-category.js';
import { applyCostFilters } from '../frame/cost-filters.js';
import { C } from '../frame/cost-frame.js';
import type { Micros } from '../money.js';
import {
  costByProvider,
  costByServiceCategory,
  type ProviderCost,
  type ServiceCategoryCost,
} from './cost-shares.js';
import {
  categoryForecast,
  type Forecast,
  forecastFromMonthToDate,
  forecastFromRange,
  monthInfo,
  monthToDate,
  type RunRates,
} from './forecast.js';
import { billedTotal, type CostTotals, costTotals, distinctValues } from './totals.js';

export interface PeriodRange {
  start: IsoDate;
  end: IsoDate;
}

/** The summary of a period: totals, month to date and run rates, and what it contains. */
export interface CostSummary {
  totals: CostTotals;
  mtd: Micros;
  forecast: Forecast;
  providers: string[];
  serviceCategories: string[];
}

/** Run rates come from month to date within the period (see `forecastFromMonthToDate`). */
export function costSummary(df: pl.DataFrame, period: PeriodRange, days: CostDays): CostSummary {
  const month = monthInfo(days, period);
  const mtd = monthToDate(df, month);
  return {
    totals: costTotals(df),
    mtd,
    forecast: forecastFromMonthToDate(mtd, month),
    providers: distinctValues(df, C.provider),
    serviceCategories: distinctValues(df, C.serviceCategory),
  };
}

export interface CategorySummary extends CostSummary {
  category: CostCategory;
  byProvider: ProviderCost[];
  byServiceCategory: ServiceCategoryCost[];
}

/**
 * One cost category of a period. Usage-billed categories with no cost this month yet forecast
 * from the whole period; subscriptions never do (see `categoryForecast`).
 */
export function categorySummary(
  df: pl.DataFrame,
  category: CostCategory,
  period: PeriodRange,
  days: CostDays,
): CategorySummary {
  const rows = applyCostFilters(df, { category });
  const totals = costTotals(rows);
  const month = monthInfo(days, period);
  const mtd = monthToDate(rows, month);
  return {
    category,
    totals,
    mtd,
    forecast: categoryForecast(mtd, totals.billed, period, month, category !== 'subscription'),
    providers: distinctValues(rows, C.provider),
    serviceCategories: distinctValues(rows, C.serviceCategory),
    byProvider: costByProvider(rows),
    byServiceCategory: costByServiceCategory(rows),
  };
}

export interface CategoryTotal {
  totals: CostTotals;
  mtd: Micros;
  forecast: RunRates;
}

export interface TotalByCategory {
  parts: Record<CostCategory, CategorySummary>;
  /** The sum of the parts, unrounded, taken of their rows: every row is in exactly one part. */
  total: CategoryTotal;
}

/** The rows of `df` in one of `categories`. */
function rowsIn(df: pl.DataFrame, categories: readonly CostCategory[]): pl.DataFrame {
  return categories.length ? df.filter(pl.col(C.category).isIn([...categories])) : df.head(0);
}

/**
 * Every category of a period and their sum. The sum is taken of the rows, in the frame (every
 * row is in exactly one part), not of the parts' figures: adding those, each a Float64 with its
 * nano-unit fraction, is off by rounding errors that can move a half-cent sum's cents (parts of
 * 0.794094037, 0.434703181 and 0.016202782 added up to 1.2449999…, shown 1.24 beside a summary
 * of 1.25). The run rates likewise: those of the parts projected from month to date are those of
 * their rows' month to date, plus those of the parts projected from their period.
 */
export function totalByCategory(df: pl.DataFrame, period: PeriodRange, days: CostDays): TotalByCategory {
  const parts = Object.fromEntries(
    COST_CATEGORIES.map((category) => [category, categorySummary(df, category, period, days)]),
  ) as Record<CostCategory, CategorySummary>;
  const month = monthInfo(days, period);
  const basedOn = (basis: Forecast['basis']) =>
    COST_CATEGORIES.filter((category) => parts[category].forecast.basis === basis);
  const fromMonth = forecastFromMonthToDate(monthToDate(rowsIn(df, basedOn('month_to_date')), month), month);
  const rangeParts = basedOn('range');
  const fromRange = rangeParts.length
    ? forecastFromRange(billedTotal(rowsIn(df, rangeParts)), period.start, period.end)
    : null;
  return {
    parts,
    total: {
      totals: costTotals(df),
      mtd: monthToDate(df, month),
      forecast: {
        dailyRate: fromMonth.dailyRate + (fromRange?.dailyRate ?? 0),
        monthlyForecast: fromMonth.monthlyForecast + (fromRange?.monthlyForecast ?? 0),
        // 12 × the month-to-date parts' month in cents, as for one part (see forecastFromMonthToDate).
        annualForecast: fromMonth.annualForecast + (fromRange?.annualForecast ?? 0),
      },
    },
  };
}
