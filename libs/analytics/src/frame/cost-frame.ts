import pl from 'nodejs-polars';
import { costCategoryOf, COST_CATEGORIES } from './cost-category.js';
import { C } from './cost-columns.js';
import { type FramePlan, rechunked, runPlan, runPlanSync } from './frame-plan.js';
import { summableMoney } from './money-columns.js';

export { C } from './cost-columns.js';
export {
  type MoneyColumn,
  moneyColumns,
  moneyDifference,
  moneyOf,
  moneyPartsOf,
  MONEY_NANOS,
  moneySum,
  moneySums,
  rowMicros,
  rowNanos,
  rowRest,
} from './money-columns.js';

export type RawColumnKind = 'text' | 'micros' | 'nano_rest' | 'float' | 'date' | 'timestamp' | 'count';

/**
 * What the warehouse query must return, and as what: costs as integral micro-units (rounded once
 * in the warehouse, where NUMERIC is exact; a grouped sum may come as an integral FLOAT64, see
 * CostsRepository) and the nano-units the rounding left out, TIMESTAMP as
 * Datetime, and a day either as the timestamp whose UTC date it is (the cheap form) or as
 * 'YYYY-MM-DD' text; both become a Date.
 */
export const RAW_COST_COLUMNS: Readonly<Record<string, RawColumnKind>> = {
  [C.subAccountId]: 'text',
  [C.provider]: 'text',
  [C.serviceCategory]: 'text',
  [C.serviceName]: 'text',
  [C.resourceName]: 'text',
  [C.billed]: 'micros',
  [C.effective]: 'micros',
  [C.list]: 'micros',
  [C.billedRest]: 'nano_rest',
  [C.effectiveRest]: 'nano_rest',
  [C.listRest]: 'nano_rest',
  [C.currency]: 'text',
  [C.quantity]: 'float',
  [C.unit]: 'text',
  [C.chargeCategory]: 'text',
  [C.chargeClass]: 'text',
  [C.region]: 'text',
  [C.billingPeriodStart]: 'timestamp',
  [C.billingPeriodEnd]: 'timestamp',
  [C.date]: 'date',
  [C.endDate]: 'date',
  [C.source]: 'text',
  [C.entityId]: 'text',
  [C.entityName]: 'text',
  [C.levelCode]: 'text',
  [C.path]: 'text',
  [C.pathNames]: 'text',
};

/**
 * Dictionary-encoded (Categorical) after load: text drawn from a bounded vocabulary (providers,
 * their services, regions, units, loaders, level codes), a few hundred values over a million rows,
 * so group-bys and filters work on small integer codes. Per-tenant identifiers (sub-accounts,
 * hierarchy ids, names and paths) and resource names stay text: nodejs-polars 0.24 keeps one
 * global string cache that never shrinks, so encoding them would grow it with every org served.
 */
export const COST_FRAME_CATEGORICAL: readonly string[] = [
  C.provider,
  C.serviceCategory,
  C.serviceName,
  C.currency,
  C.unit,
  C.chargeCategory,
  C.chargeClass,
  C.region,
  C.source,
  C.levelCode,
];

/**
 * Which columns a frame holds, three nested sets:
 * - `costs`: what totals, shares, services, dates and the category read (10 columns);
 * - `hierarchy`: those and the five hierarchy columns, for hierarchy filters, the per-entity and
 *   granular reads;
 * - `rows`: every column of RAW_COST_COLUMNS, for the routes that list FOCUS rows.
 * A period's first unfiltered read (its cold `/summary`) then loads 10 columns instead of 24; the
 * hierarchy's per-tenant text (ids, names, paths) is most of a frame's bytes.
 */
export type CostFrameColumns = 'costs' | 'hierarchy' | 'rows';

/** The sets from narrowest to widest: each one holds every column of the ones before it. */
export const COST_FRAME_COLUMN_SETS: readonly CostFrameColumns[] = ['costs', 'hierarchy', 'rows'];

const COSTS_COLUMNS: readonly string[] = [
  C.provider,
  C.serviceCategory,
  C.serviceName,
  C.billed,
  C.effective,
  C.list,
  C.billedRest,
  C.effectiveRest,
  C.listRest,
  C.quantity,
  C.unit,
  C.date,
  C.source,
];

const HIERARCHY_COLUMNS: readonly string[] = [C.entityId, C.entityName, C.levelCode, C.path, C.pathNames];

const SET_COLUMNS: Readonly<Record<CostFrameColumns, ReadonlySet<string>>> = {
  costs: new Set(COSTS_COLUMNS),
  hierarchy: new Set([...COSTS_COLUMNS, ...HIERARCHY_COLUMNS]),
  rows: new Set(Object.keys(RAW_COST_COLUMNS)),
};

/**
 * Whether a frame of `columns` holds grouped rows: the period's FOCUS rows summed, in the
 * warehouse, by every column of the set besides the measures (costs, their rests, the quantity),
 * with `row_count` saying how many each stands for. The aggregations read nothing else of a row, so
 * their answers are the same, to the nano-unit, while a frame holds one row per day and
 * (provider, service, unit, source[, hierarchy entity]) instead of one per FOCUS row: tens of
 * thousands for an org-year of millions, which is what COST_FRAME_MAX_ROWS bounds then. Row
 * listings (`rows`) read every column of every row, or page in the warehouse past the bound.
 */
export const isGroupedSet = (columns: CostFrameColumns): boolean => columns !== 'rows';

/** The kinds of column a grouped frame sums; every other column but row_count is a group key. */
export const SUMMED_KINDS: ReadonlySet<RawColumnKind> = new Set(['micros', 'nano_rest', 'float']);

/** The raw columns of a frame of `columns`, and their kinds, in RAW_COST_COLUMNS order (then row_count). */
export function rawCostColumns(columns: CostFrameColumns): [string, RawColumnKind][] {
  const wanted = SET_COLUMNS[columns];
  const raw = Object.entries(RAW_COST_COLUMNS).filter(([name]) => wanted.has(name));
  return isGroupedSet(columns) ? [...raw, [C.rowCount, 'count']] : raw;
}

/** The FOCUS rows a group of `df`'s rows stands for: their row_count summed when grouped, else their number. */
export function rowsCounted(df: pl.DataFrame): pl.Expr {
  return df.columns.includes(C.rowCount) ? pl.col(C.rowCount).sum() : pl.len();
}

/** The columns `rowsCounted(df)` reads (none when `df` holds FOCUS rows themselves). */
export function rowCountColumns(df: pl.DataFrame): string[] {
  return df.columns.includes(C.rowCount) ? [C.rowCount] : [];
}

/** True when a frame of `held` columns can serve a read that needs `wanted` (a wider set holds a narrower one). */
export function frameColumnsCover(held: CostFrameColumns, wanted: CostFrameColumns): boolean {
  return COST_FRAME_COLUMN_SETS.indexOf(held) >= COST_FRAME_COLUMN_SETS.indexOf(wanted);
}

const RAW_DTYPES: Record<RawColumnKind, pl.DataType> = {
  text: pl.Utf8,
  micros: pl.Int64,
  nano_rest: pl.Int16,
  float: pl.Float64,
  date: pl.Utf8,
  timestamp: pl.Datetime('ms', 'UTC'),
  count: pl.Int64,
};

/** A frame with the raw columns and no rows: the period of an org that has no cost table yet. */
export function emptyRawCostFrame(columns: CostFrameColumns = 'rows'): pl.DataFrame {
  return pl.DataFrame(rawCostColumns(columns).map(([name, kind]) => pl.Series(name, [], RAW_DTYPES[kind])));
}

const CATEGORY_INPUTS = [C.provider, C.serviceCategory, C.source] as const;
const CATEGORY_KEY = '__category_key';
/** Above this a combined key could lose exactness in a Float64 literal; the join takes three keys. */
const MAX_EXACT_KEY = 2 ** 53;

/**
 * One integer per (provider, service category, source): their dictionary codes combined, each
 * shifted past the largest code present (a missing value gets the code after it, because a join
 * never matches nulls). One integer key joins many times faster than three. null when the codes
 * are too large to combine exactly (a global string cache of millions of values).
 */
function* categoryKey(df: pl.DataFrame): FramePlan<pl.Expr[] | null> {
  const codes = CATEGORY_INPUTS.map((name) => pl.col(name).cast(pl.UInt32).cast(pl.Float64));
  const maxima = (yield df.lazy().select(...codes.map((code, i) => code.max().alias(String(i))))).row(0) as (
    number | null
  )[];
  const bases = maxima.map((max) => (max ?? 0) + 2);
  if (bases.reduce((a, b) => a * b, 1) >= MAX_EXACT_KEY) return null;
  const filled = codes.map((code, i) => code.fillNull(bases[i]! - 1));
  return [
    filled[0]!
      .mul(bases[1]! * bases[2]!)
      .add(filled[1]!.mul(bases[2]!))
      .add(filled[2]!)
      .alias(CATEGORY_KEY),
  ];
}

/**
 * The category column. `costCategoryOf` runs once per distinct (provider, service category,
 * source) — a few dozen — and the answers are joined back on the dictionary codes of those
 * (already encoded) columns: a join on integers, where matching text per row cost ten times more.
 */
function* withCategory(df: pl.DataFrame): FramePlan<pl.DataFrame> {
  const key =
    (yield* categoryKey(df)) ??
    CATEGORY_INPUTS.map((name, i) =>
      pl.col(name).cast(pl.UInt32).fillNull(0xffffffff).alias(`${CATEGORY_KEY}${i}`),
    );
  const keys = key.map((_, i) => (key.length === 1 ? CATEGORY_KEY : `${CATEGORY_KEY}${i}`));
  const coded = yield df.lazy().select(...CATEGORY_INPUTS, ...key);
  const triples = yield coded.lazy().unique({ subset: keys });
  const categories = (triples.toRecords() as Record<string, string | null>[]).map((t) =>
    costCategoryOf({
      provider: t[C.provider] ?? null,
      serviceCategory: t[C.serviceCategory] ?? null,
      sourceSystem: t[C.source] ?? null,
    }),
  );
  const mapping = triples
    .select(...keys)
    .withColumns(pl.Series(C.category, categories, pl.Utf8).cast(pl.Categorical));
  // A left join keeps the left frame's row order; joining the key columns alone and adding the
  // result spares a copy of every other column of the frame.
  const category = yield coded
    .lazy()
    .select(...keys)
    .join(mapping.lazy(), { on: keys, how: 'left' })
    .select(C.category);
  return df.withColumns(category.getColumn(C.category));
}

/** A day column as a Date: the UTC date of a timestamp, or parsed from 'YYYY-MM-DD' text. */
function day(name: string, dtype: pl.DataType): pl.Expr {
  const col = pl.col(name);
  if (dtype.variant === 'Date') return col;
  if (dtype.variant === 'Datetime') return col.cast(pl.Datetime('ms', 'UTC')).cast(pl.Date).alias(name);
  return col.cast(pl.Utf8).str.strptime(pl.Date, '%Y-%m-%d').alias(name);
}

/**
 * The micro-unit columns of a grouped frame holding a sum past Int64's range (2^63 micro-units,
 * 9.2 trillion currency units in a day of one service): they stay Float64 (the warehouse sends
 * them so), summed as such (summableMoney), where a cast to Int64 gives garbage.
 */
function* microsPastInt64(raw: pl.DataFrame, wanted: [string, RawColumnKind][]): FramePlan<Set<string>> {
  const micros = wanted.filter(([, kind]) => kind === 'micros').map(([name]) => name);
  if (!micros.length || raw.height === 0) return new Set();
  const largest = (yield raw
    .lazy()
    .select(...micros.map((name) => pl.col(name).cast(pl.Float64).abs().max().alias(name)))).row(0);
  return new Set(micros.filter((_, i) => Number(largest[i] ?? 0) >= 2 ** 63));
}

/**
 * The raw warehouse frame of `columns` → a cost frame: checked columns and types, the category
 * derived, and the vocabulary columns dictionary-encoded. Row order is left as loaded: only raw listings need
 * one, and they sort their own rows (see cost-rows.ts). Its work on the rows runs in Polars' thread
 * pool: done in place, a cold read's frame of a million rows held the event loop, every tenant's
 * requests, for most of a second.
 */
export function prepareCostFrame(
  raw: pl.DataFrame,
  columns: CostFrameColumns = 'rows',
): Promise<pl.DataFrame> {
  return runPlan(preparing(raw, columns));
}

/** prepareCostFrame on this thread, for specs' fixtures (a request's frame is prepared off it). */
export function prepareCostFrameSync(raw: pl.DataFrame, columns: CostFrameColumns = 'rows'): pl.DataFrame {
  return runPlanSync(preparing(raw, columns));
}

function* preparing(raw: pl.DataFrame, columns: CostFrameColumns): FramePlan<pl.DataFrame> {
  const present = new Set(raw.columns);
  const wanted = rawCostColumns(columns);
  const missing = wanted.filter(([name]) => !present.has(name)).map(([name]) => name);
  if (missing.length) throw new Error(`cost frame is missing columns: ${missing.join(', ')}`);
  // A vocabulary column may come Categorical already (see `FrameOptions.categorical`).
  const categorical = new Set(COST_FRAME_CATEGORICAL);
  const pastInt64 = isGroupedSet(columns) ? yield* microsPastInt64(raw, wanted) : new Set<string>();
  const encoded = raw.lazy().select(
    ...wanted.map(([name, kind]) => {
      if (kind === 'date') return day(name, raw.getColumn(name).dtype);
      // A grouped row's rest is the sum of its rows' (−500..500 each): past Int16 at 66 rows.
      const dtype = categorical.has(name)
        ? pl.Categorical
        : kind === 'nano_rest' && isGroupedSet(columns)
          ? pl.Int64
          : pastInt64.has(name)
            ? pl.Float64
            : RAW_DTYPES[kind];
      return pl.col(name).cast(dtype).alias(name);
    }),
  );
  // One chunk per column: a frame read from a multi-row-group file comes in pieces, and filtering
  // such a frame costs nodejs-polars 0.24 hundreds of ms a call instead of a few.
  return yield* withCategory(yield* summableMoney(yield rechunked(encoded)));
}

/** Polars' own estimate of the frame's heap size, in bytes (what the frame cache is bounded by). */
export function estimateFrameBytes(df: pl.DataFrame): number {
  // nodejs-polars 0.24 does not expose estimated_size() on the JS class; the native frame has it.
  const native = (df as unknown as { _df?: { estimatedSize?: () => number } })._df;
  if (typeof native?.estimatedSize === 'function') return native.estimatedSize();
  return df.height * df.width * 16;
}

export { COST_CATEGORIES };
