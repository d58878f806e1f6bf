import pl from 'nodejs-polars';
import { C, moneyOf, moneySums, rowsCounted } from '../frame/cost-frame.js';
import { type Micros, percentage } from '../money.js';
import { billedTotal } from './totals.js';

export interface CostShare {
  key: string;
  billed: Micros;
  recordCount: number;
  /** Percent of the frame's billed total, 2 decimals. */
  percentage: number;
}

/**
 * Billed cost grouped by one text column, highest first (ties by name, so the order is stable);
 * a missing value is grouped as `unknown`.
 */
export function costSharesBy(df: pl.DataFrame, column: string, unknown = 'Unknown'): CostShare[] {
  const total = billedTotal(df);
  const groups = df
    .groupBy(column)
    .agg(...moneySums(df, C.billed, 'billed'), rowsCounted(df).alias('n'))
    .select(pl.col(column).cast(pl.Utf8).fillNull(unknown).alias('key'), moneyOf(df, C.billed, 'billed'), 'n')
    .toRecords() as { key: string; billed: number | null; n: number }[];
  const merged = new Map<string, { billed: number; n: number }>();
  // A real value spelled like the placeholder ("Unknown") lands in the same group.
  for (const g of groups) {
    const m = merged.get(g.key) ?? { billed: 0, n: 0 };
    m.billed += Number(g.billed ?? 0);
    m.n += Number(g.n);
    merged.set(g.key, m);
  }
  return [...merged]
    .map(([key, m]) => ({ key, billed: m.billed, recordCount: m.n, percentage: percentage(m.billed, total) }))
    .sort((a, b) => b.billed - a.billed || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export interface ProviderCost {
  provider: string;
  billed: Micros;
  recordCount: number;
  percentage: number;
}

/** Billed cost per ServiceProviderName, highest first. */
export function costByProvider(df: pl.DataFrame): ProviderCost[] {
  return costSharesBy(df, C.provider).map(({ key, ...rest }) => ({ provider: key, ...rest }));
}

export interface ServiceCategoryCost {
  category: string;
  billed: Micros;
  recordCount: number;
  percentage: number;
}

/** Billed cost per FOCUS ServiceCategory, highest first. */
export function costByServiceCategory(df: pl.DataFrame): ServiceCategoryCost[] {
  return costSharesBy(df, C.serviceCategory).map(({ key, ...rest }) => ({ category: key, ...rest }));
}
