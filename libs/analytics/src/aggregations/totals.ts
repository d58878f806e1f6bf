import pl from 'nodejs-polars';
import { C, moneyDifference, moneySum, rowsCounted } from '../frame/cost-frame.js';
import type { Micros } from '../money.js';

export interface CostTotals {
  billed: Micros;
  effective: Micros;
  list: Micros;
  /** Billed − effective: what discounts and commitments saved. */
  savings: Micros;
  recordCount: number;
}

/** Sums of the frame's costs; integer micro-unit sums, so exact. */
export function costTotals(df: pl.DataFrame): CostTotals {
  const [billed, effective, list, savings, count] = df
    .select(
      moneySum(df, C.billed).alias('billed'),
      moneySum(df, C.effective).alias('effective'),
      moneySum(df, C.list).alias('list'),
      // Not billed − effective of the two sums above: see moneyDifference.
      moneyDifference(df, C.billed, C.effective).alias('savings'),
      rowsCounted(df).alias('n'),
    )
    .row(0) as [number | null, number | null, number | null, number | null, number];
  return {
    billed: Number(billed ?? 0),
    effective: Number(effective ?? 0),
    list: Number(list ?? 0),
    savings: Number(savings ?? 0),
    recordCount: Number(count),
  };
}

/** The FOCUS rows the frame's rows stand for (see rowsCounted). */
export function recordCount(df: pl.DataFrame): number {
  return Number(df.select(rowsCounted(df)).row(0)[0] ?? 0);
}

/** Sum of billed cost only (the figure every share and forecast is based on). */
export function billedTotal(df: pl.DataFrame): Micros {
  return Number(df.select(moneySum(df, C.billed)).row(0)[0] ?? 0);
}

// Distinct codes first: casting a dictionary-encoded column to text per row costs far more.
const distinct = (column: string) => pl.col(column).unique().cast(pl.Utf8);
const sortedValues = (frame: pl.DataFrame, column: string) =>
  (frame.getColumn(column).toArray() as (string | null)[]).filter((v): v is string => v !== null).sort();

/** Distinct non-null values of a text column, sorted. */
export function distinctValues(df: pl.DataFrame, column: string): string[] {
  return sortedValues(df.select(distinct(column)), column);
}

/** distinctValues, found in Polars' thread pool (for a whole frame of a cold read: see granularTrend). */
export async function distinctValuesOff(df: pl.DataFrame, column: string): Promise<string[]> {
  return sortedValues(await df.lazy().select(distinct(column)).collect(), column);
}
