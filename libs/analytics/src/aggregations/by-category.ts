import pl from 'nodejs-polars';
import { type CostCategory, COST_CATEGORIES } from '../frame/cost-category.js';
import { C, MONEY_NANOS, moneyPartsOf, moneySums, rowsCounted } from '../frame/cost-frame.js';
import { type Micros, type MoneyParts, partsToMicros, percentage, subtractParts } from '../money.js';
import { billedTotal } from './totals.js';

export interface CategoryCost {
  category: CostCategory;
  billed: Micros;
  effective: Micros;
  savings: Micros;
  recordCount: number;
  percentage: number;
}

/**
 * Cost per cost category, all four always present (zeros included) and in a fixed order. Each
 * row is in exactly one category, so the parts add up to the frame's totals to the micro-unit.
 */
export function costByCategory(df: pl.DataFrame): CategoryCost[] {
  const total = billedTotal(df);
  const groups = df
    .groupBy(C.category)
    .agg(
      ...moneySums(df, C.billed, 'billed'),
      ...moneySums(df, C.effective, 'effective'),
      rowsCounted(df).alias('n'),
    )
    .select(
      pl.col(C.category).cast(pl.Utf8).alias('category'),
      ...moneyPartsOf(df, C.billed, 'billed'),
      ...moneyPartsOf(df, C.effective, 'effective'),
      'n',
    )
    .toRecords() as ({ category: CostCategory; n: number } & Record<string, unknown>)[];
  const byCategory = new Map(groups.map((g) => [g.category, g]));
  const parts = (g: Record<string, unknown> | undefined, alias: string): MoneyParts => ({
    micros: Number(g?.[alias] ?? 0),
    nanos: Number(g?.[alias + MONEY_NANOS] ?? 0),
  });
  return COST_CATEGORIES.map((category) => {
    const g = byCategory.get(category);
    const billedParts = parts(g, 'billed');
    const effectiveParts = parts(g, 'effective');
    const billed = partsToMicros(billedParts);
    return {
      category,
      billed,
      effective: partsToMicros(effectiveParts),
      // The exact difference: see moneyDifference.
      savings: partsToMicros(subtractParts(billedParts, effectiveParts)),
      recordCount: Number(g?.n ?? 0),
      percentage: percentage(billed, total),
    };
  });
}
