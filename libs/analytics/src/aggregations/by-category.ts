import pl from 'nodejs-polars';
import { type CostCategory, COST_CATEGORIES } from '../frame/cost-category.js';
import { C, moneyOf, moneySums, rowsCounted } from '../frame/cost-frame.js';
import { type Micros, percentage } from '../money.js';
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
      moneyOf(df, C.billed, 'billed'),
      moneyOf(df, C.effective, 'effective'),
      'n',
    )
    .toRecords() as { category: CostCategory; billed: number | null; effective: number | null; n: number }[];
  const byCategory = new Map(groups.map((g) => [g.category, g]));
  return COST_CATEGORIES.map((category) => {
    const g = byCategory.get(category);
    const billed = Number(g?.billed ?? 0);
    const effective = Number(g?.effective ?? 0);
    return {
      category,
      billed,
      effective,
      savings: billed - effective,
      recordCount: Number(g?.n ?? 0),
      percentage: percentage(billed, total),
    };
  });
}
