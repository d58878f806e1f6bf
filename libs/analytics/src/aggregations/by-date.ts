import pl from 'nodejs-polars';
import { C, moneyColumns, moneyOf, moneySums, rowCountColumns, rowsCounted } from '../frame/cost-frame.js';
import type { Micros } from '../money.js';

export type TrendGranularity = 'daily' | 'weekly' | 'monthly';
export const TREND_GRANULARITIES: readonly TrendGranularity[] = ['daily', 'weekly', 'monthly'];

export interface DatedCost {
  /** `YYYY-MM-DD` (daily; weekly: the Monday starting the week) or `YYYY-MM` (monthly). */
  date: string;
  billed: Micros;
  recordCount: number;
}

/** The bucket's first day, as a Date (grouping on dates is cheaper than on their text). */
function bucket(granularity: TrendGranularity): pl.Expr {
  const day = pl.col(C.date);
  switch (granularity) {
    case 'daily':
      return day;
    case 'weekly':
      // Polars' 1w buckets start on Mondays.
      return day.dt.truncate('1w');
    case 'monthly':
      return day.dt.truncate('1mo');
  }
}

/** Billed cost per day, week or month, oldest first; only buckets with rows appear. */
export function costByDate(df: pl.DataFrame, granularity: TrendGranularity): DatedCost[] {
  const format = granularity === 'monthly' ? '%Y-%m' : '%Y-%m-%d';
  const rows = df
    .select(bucket(granularity).alias('bucket'), ...moneyColumns(df, C.billed), ...rowCountColumns(df))
    .groupBy('bucket')
    .agg(...moneySums(df, C.billed, 'billed'), rowsCounted(df).alias('n'))
    .sort('bucket')
    .select(pl.col('bucket').dt.strftime(format).alias('date'), moneyOf(df, C.billed, 'billed'), 'n')
    .toRecords() as { date: string; billed: number | null; n: number }[];
  return rows.map((r) => ({ date: r.date, billed: Number(r.billed ?? 0), recordCount: Number(r.n) }));
}
