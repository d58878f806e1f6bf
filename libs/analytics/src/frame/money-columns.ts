import pl from 'nodejs-polars';
import { C } from './cost-columns.js';
import type { FramePlan } from './frame-plan.js';

// The money columns of a cost frame: integer micro-units and the nano-units their rounding left
// out, and the expressions that sum them exactly.

/** Each cost column and the column of what its micro-units left out. */
const REST_OF = { [C.billed]: C.billedRest, [C.effective]: C.effectiveRest, [C.list]: C.listRest } as const;
export type MoneyColumn = keyof typeof REST_OF;

const REST = '__nano_rest';
const hasRests = (df: pl.DataFrame, column: MoneyColumn) => df.columns.includes(REST_OF[column]);

/**
 * The exact sum of a cost column of `df`, in micro-units: the micro-units' 64-bit sum plus the
 * rows' sub-micro rests (nano-units) as its fraction. Float64, so exact to well below a nano-unit
 * up to 2^53 micro-units (9 billion currency units); a rest sum that is a whole number of
 * micro-units (a half-cent tie) divides exactly. A frame whose costs have no sub-micro digits
 * carries no rests (see prepareCostFrame) and sums its micro-units alone; one whose costs add up
 * past Int64 sums them as Float64 (see summableMoney).
 */
export function moneySum(df: pl.DataFrame, column: MoneyColumn): pl.Expr {
  // Polars sums an Int16 column as Int64.
  return withRests(df, column, pl.col(column).sum(), pl.col(REST_OF[column]).sum());
}

/**
 * In a group-by of `df`: the sums a money figure is made of, as `alias` and its rests beside it
 * (Polars runs plain column sums on its fast grouped path; arithmetic inside `agg` takes it off that
 * path, three times slower). Then `moneyOf(df, column, alias)` in the select after it.
 */
export function moneySums(df: pl.DataFrame, column: MoneyColumn, alias: string): pl.Expr[] {
  const micros = pl.col(column).sum().alias(alias);
  return hasRests(df, column)
    ? [
        micros,
        pl
          .col(REST_OF[column])
          .sum()
          .alias(alias + REST),
      ]
    : [micros];
}

/** After `moneySums(df, column, alias)`: the figure in micro-units, its rests as the fraction. */
export function moneyOf(df: pl.DataFrame, column: MoneyColumn, alias: string): pl.Expr {
  return withRests(df, column, pl.col(alias), pl.col(alias + REST)).alias(alias);
}

/** Summed micro-units plus summed rests (nano-units) as the fraction, when `df` has rests. */
function withRests(df: pl.DataFrame, column: MoneyColumn, micros: pl.Expr, rests: pl.Expr): pl.Expr {
  const sum = micros.cast(pl.Float64);
  return hasRests(df, column) ? sum.plus(rests.cast(pl.Float64).div(1000)) : sum;
}

/** The suffix of a group's rests column in moneyPartsOf. */
export const MONEY_NANOS = '__nanos';

/**
 * The exact difference of two cost columns' sums (savings: billed − effective), in micro-units:
 * their micro-units and their rests subtracted apart, then combined. The difference of the two
 * sums, each already a Float64 with its fraction, is off by a rounding error, which turns a
 * half-cent difference (0.825) into 0.8249999… and its cents down (0.82).
 */
export function moneyDifference(df: pl.DataFrame, a: MoneyColumn, b: MoneyColumn): pl.Expr {
  const micros = pl.col(a).sum().cast(pl.Float64).minus(pl.col(b).sum().cast(pl.Float64));
  if (!hasRests(df, a) && !hasRests(df, b)) return micros;
  const rests = (column: MoneyColumn) =>
    hasRests(df, column) ? pl.col(REST_OF[column]).sum().cast(pl.Float64) : pl.lit(0);
  return micros.plus(rests(a).minus(rests(b)).div(1000));
}

/**
 * After `moneySums(df, column, alias)`: the group's micro-units (`alias`) and rests (`alias` and
 * MONEY_NANOS, 0 without rests) as two numbers, for figures added up over groups in JavaScript
 * (see MoneyParts): adding the groups' figures, each a Float64 with its fraction, is off by
 * rounding errors that can move a half-cent sum's cents.
 */
export function moneyPartsOf(df: pl.DataFrame, column: MoneyColumn, alias: string): pl.Expr[] {
  return [
    pl.col(alias).cast(pl.Float64).alias(alias),
    (hasRests(df, column) ? pl.col(alias + REST).cast(pl.Float64) : pl.lit(0).cast(pl.Float64)).alias(
      alias + MONEY_NANOS,
    ),
  ];
}

/** The columns a cost column's sums read: itself, and its rests when the frame has them. */
export function moneyColumns(df: pl.DataFrame, column: MoneyColumn): string[] {
  return hasRests(df, column) ? [column, REST_OF[column]] : [column];
}

/**
 * A row's cost for listing it, exactly: its micro-units as decimal text (an Int64 reaches
 * JavaScript as a Float64, which past 2^53 is no longer the integer), and the nano-units they left
 * out (`rowRest`). `rowNanos` makes them one amount.
 */
export function rowMicros(column: MoneyColumn): pl.Expr {
  return pl.col(column).cast(pl.Utf8);
}

/** The nano-units a row's micro-units left out (0 in a frame without rests). */
export function rowRest(df: pl.DataFrame, column: MoneyColumn): pl.Expr {
  return (hasRests(df, column) ? pl.col(REST_OF[column]) : pl.lit(0)).cast(pl.Int32).alias(column);
}

/**
 * A listed row's cost in nano-units (see rowMicros): a number while it is an exact integer (below
 * 2^53, ~9 million currency units), else a bigint. A frame whose micro-units were made Float64
 * (summableMoney) gives a float's text: a number.
 */
export function rowNanos(micros: string | null, rest: number | null): number | bigint {
  if (micros === null) return 0;
  const value = Number(micros);
  if (Math.abs(value) < MAX_EXACT_MICROS || !/^-?\d+$/.test(micros)) return value * 1000 + (rest ?? 0);
  return BigInt(micros) * 1000n + BigInt(rest ?? 0);
}

/** Micro-units whose nano-units (plus a rest of at most ±999) are all below 2^53. */
const MAX_EXACT_MICROS = 9e12;

/**
 * Polars sums Int64 with wrap-around: a sum past 2^63 − 1 micro-units (9.22e12 currency units)
 * would come out as a wrong number, silently. No sum of a frame's rows (nor a partial sum on the
 * way) exceeds the sum of their absolute values, so a column whose absolute values add up to less
 * than this (a margin below 2^63 for the Float64 estimate) can never wrap, in any group or filter.
 */
const MAX_INT64_MICRO_SUM = 9e18;

/**
 * The frame with its money columns settled for summing: without the rest columns whose costs have
 * no sub-micro digits (all zero: most billing exports give 6 decimals at most), so their sums cost
 * what a plain micro-unit sum costs; and with a micro-unit column whose absolute values add up past
 * MAX_INT64_MICRO_SUM as Float64, whose sums cannot wrap (exact below 2^53 micro-units, then to
 * about 1e-15 of the amount: a cent or two of a 9-trillion total, as in a VND or IDR org's year
 * of the largest spenders, where Int64 would answer nonsense).
 */
export function* summableMoney(df: pl.DataFrame): FramePlan<pl.DataFrame> {
  const rests = Object.values(REST_OF).filter((name) => df.columns.includes(name));
  const micros = (Object.keys(REST_OF) as MoneyColumn[]).filter((name) => df.columns.includes(name));
  if (!rests.length && !micros.length) return df;
  const measures = (yield df
    .lazy()
    .select(
      ...rests.map((name) => pl.col(name).abs().max().alias(name)),
      ...micros.map((name) => pl.col(name).cast(pl.Float64).abs().sum().alias(name)),
    )).row(0);
  const empty = rests.filter((_, i) => !measures[i]);
  const large = micros.filter((_, i) => Number(measures[rests.length + i]) >= MAX_INT64_MICRO_SUM);
  const summable = large.length
    ? yield df.lazy().withColumns(...large.map((name) => pl.col(name).cast(pl.Float64)))
    : df;
  return empty.length ? summable.drop(empty) : summable;
}
