import { setImmediate as nextTurn } from 'node:timers/promises';
import pl from 'nodejs-polars';
import type { FieldType } from '#warehouse';
import { type ColumnPlan, COST_COLUMNS } from './focus-columns.js';
import { MAX_ROW_COST, TIMESTAMP_RANGE_MS, toJson } from './focus-values.js';
import { checkedSlice, type ImportSlice } from './import-slice.js';
import { readParquetFile } from './row-source.js';

/** What the columnar check found: every row valid, and the slice they replace. */
export interface TypedFileCheck {
  rows: number;
  slice: ImportSlice;
}

const INTEGER_TYPES = ['Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32'];
const NUMBER_TYPES = [...INTEGER_TYPES, 'Float32', 'Float64'];

/** The Parquet column types whose values the row normalizer would keep as they are. */
function nativeFor(type: FieldType, dtype: string): boolean {
  switch (type) {
    case 'NUMERIC':
    case 'BIGNUMERIC':
    case 'FLOAT':
    case 'FLOAT64':
      return NUMBER_TYPES.includes(dtype);
    case 'INTEGER':
    case 'INT64':
      return INTEGER_TYPES.includes(dtype);
    case 'BOOL':
    case 'BOOLEAN':
      return dtype === 'Bool';
    // Milliseconds only: the row path reads JavaScript Dates, which drop anything finer.
    case 'TIMESTAMP':
      return dtype === 'Datetime(ms,UTC)' || dtype === 'Datetime(ms,)';
    case 'DATE':
      return dtype === 'Date';
    case 'STRING':
    case 'JSON':
      return dtype === 'String';
    default:
      return false;
  }
}

/** A row passes when this column's value is what the row normalizer accepts unchanged. */
function valueRule(name: string, type: FieldType, dtype: string, required: boolean): pl.Expr {
  const col = pl.col(name);
  const float = dtype.startsWith('Float');
  let fits: pl.Expr | null = null;
  if (type === 'NUMERIC' || type === 'BIGNUMERIC') {
    const bound = COST_COLUMNS.has(name) ? MAX_ROW_COST : 1e29;
    fits = float ? col.isFinite().and(col.abs().lt(bound)) : col.abs().lt(bound);
  } else if (type === 'FLOAT' || type === 'FLOAT64') fits = float ? col.isFinite() : null;
  // Epoch milliseconds (nativeFor: a Datetime in ms): the years a TIMESTAMP holds, as toTimestamp.
  else if (type === 'TIMESTAMP')
    fits = col
      .cast(pl.Int64)
      .gtEq(TIMESTAMP_RANGE_MS.min)
      .and(col.cast(pl.Int64).ltEq(TIMESTAMP_RANGE_MS.max));
  else if (type === 'INTEGER' || type === 'INT64') fits = col.abs().ltEq(Number.MAX_SAFE_INTEGER);
  // Blank text is NULL to the row path but '' to a load: a blank cell sends the file the row way.
  else if (type === 'STRING' || type === 'JSON') fits = col.str.strip().neq(pl.lit(''));
  const present = fits ? col.isNotNull().and(fits) : col.isNotNull();
  return required ? present : col.isNull().or(present);
}

/**
 * A columnar stand-in for the row-by-row validation of a Parquet file, for the files it can
 * vouch for: every column typed natively for its table column (numbers, ms timestamps, dates,
 * text), fed under its own name, nothing ignored or renamed. Such a file can be bulk-loaded as
 * it is, because the row normalizer would keep every value unchanged. Returns null when the file
 * does not qualify or any row would be rejected: the row path then runs and reports the errors.
 * JSON columns are staged as their text, so the text is checked here as the row path checks it.
 */
export async function checkTypedParquet(
  path: string,
  plan: ColumnPlan,
  header: readonly string[],
  currency: string,
): Promise<TypedFileCheck | null> {
  if (plan.mappings.length || plan.ignored.length || plan.fed.length !== header.length) return null;
  if (plan.fed.some((c) => header[c.source] !== c.name)) return null;
  let frame: pl.DataFrame;
  try {
    frame = await readParquetFile(path);
  } catch {
    // A column type Polars cannot read: the row path reads the file again and reports why (422).
    return null;
  }
  const dtypes = new Map(
    frame.getColumns().map((s) => [s.name, String(s.dtype).replace(/^DataType\((.*)\)$/, '$1')]),
  );
  if (plan.fed.some((c) => !nativeFor(c.type, dtypes.get(c.name) ?? ''))) return null;
  if (frame.height === 0) return null;
  const rules = plan.fed.map((c) => valueRule(c.name, c.type, dtypes.get(c.name)!, c.required));
  // The normalizer's rules across columns.
  rules.push(
    pl.col('ChargePeriodEnd').gtEq(pl.col('ChargePeriodStart')),
    pl.col('BillingPeriodEnd').gtEq(pl.col('BillingPeriodStart')),
    pl.col('BillingCurrency').eq(pl.lit(currency)),
  );
  const ok = rules.reduce((all, rule) => all.and(rule));
  // Computed in Polars' thread pool (lazy), as the read is: the event loop keeps serving.
  const [summaryFrame, periods] = await Promise.all([
    frame
      .lazy()
      .select(
        ok.not().fillNull(true).sum().alias('bad'),
        pl.col('ChargePeriodStart').min().alias('first'),
        pl.col('ChargePeriodStart').max().alias('last'),
      )
      .collect(),
    // Epoch milliseconds: the column is a Datetime in ms (nativeFor), naive ones read as UTC.
    frame.lazy().select(pl.col('BillingPeriodStart').unique().cast(pl.Int64).cast(pl.Float64)).collect(),
  ]);
  const summary = summaryFrame.toRecords()[0] as { bad: number; first: Date | null; last: Date | null };
  if (Number(summary.bad) > 0 || !summary.first || !summary.last) return null;
  for (const c of plan.fed) if (c.type === 'JSON' && !(await allJson(frame.getColumn(c.name)))) return null;
  const billingPeriods = periods.getColumn('BillingPeriodStart').toArray() as number[];
  return {
    rows: frame.height,
    slice: checkedSlice({ first: summary.first.getTime(), last: summary.last.getTime(), billingPeriods }),
  };
}

/** Values of a JSON column checked between two turns of the event loop. */
const JSON_CHECK_SLICE = 10_000;

/**
 * Every value of the text column is JSON text (or NULL), as the row path (toJson) takes it.
 * Checked a slice at a time, yielding between slices: the Tags of millions of rows take seconds
 * to parse.
 */
async function allJson(column: pl.Series): Promise<boolean> {
  for (let offset = 0; offset < column.length; offset += JSON_CHECK_SLICE) {
    const texts = column.slice(offset, JSON_CHECK_SLICE).toArray() as (string | null)[];
    const valid = texts.every((text) => {
      if (text === null) return true;
      try {
        toJson(text);
        return true;
      } catch {
        return false;
      }
    });
    if (!valid) return false;
    await nextTurn();
  }
  return true;
}
