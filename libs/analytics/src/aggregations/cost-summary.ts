import type pl from 'nodejs-polars';
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
  monthInfo,
  monthToDate,
  type RunRates,
  sumOfForecasts,
} from './forecast.js';
import { type CostTotals, costTotals, distinctValues } from './totals.js';

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
  /** The sum of the parts, unrounded: every row is in exactly one part. */
  total: CategoryTotal;
}

/** Every category of a period and their sum. */
export function totalByCategory(df: pl.DataFrame, period: PeriodRange, days: CostDays): TotalByCategory {
  const parts = Object.fromEntries(
    COST_CATEGORIES.map((category) => [category, categorySummary(df, category, period, days)]),
  ) as Record<CostCategory, CategorySummary>;
  const list = COST_CATEGORIES.map((category) => parts[category]);
  const sum = (pick: (p: CategorySummary) => number) => list.reduce((s, p) => s + pick(p), 0);
  return {
    parts,
    total: {
      totals: {
        billed: sum((p) => p.totals.billed),
        effective: sum((p) => p.totals.effective),
        list: sum((p) => p.totals.list),
        savings: sum((p) => p.totals.savings),
        recordCount: sum((p) => p.totals.recordCount),
      },
      mtd: sum((p) => p.mtd),
      forecast: sumOfForecasts(list.map((p) => p.forecast)),
    },
  };
}
