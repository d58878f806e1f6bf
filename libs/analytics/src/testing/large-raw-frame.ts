import pl from 'nodejs-polars';
import { type CostFrameColumns, rawCostColumns } from '../frame/cost-frame.js';

const pick = <T>(values: readonly T[], i: number) => values[i % values.length]!;
const PROVIDERS = ['AWS', 'Google Cloud', 'Microsoft Azure', 'OpenAI', null];
const CATEGORIES = ['Compute', 'Storage', 'AI and Machine Learning', 'Networking', null];
const SOURCES = ['aws_cur', 'gcp_billing', 'azure_export', 'openai_usage'];

/** One raw value of a column of `kind` for the i-th of the distinct rows. */
function valueOf(name: string, kind: string, i: number): unknown {
  if (name === 'ServiceProviderName') return pick(PROVIDERS, i);
  if (name === 'ServiceCategory') return pick(CATEGORIES, i * 7);
  if (name === 'x_source_system') return pick(SOURCES, i * 3);
  switch (kind) {
    case 'micros':
      return (i * 7919) % 100_000_000;
    case 'nano_rest':
      return (i % 1001) - 500;
    case 'float':
      return (i % 97) / 4;
    case 'date':
      return `2025-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
    case 'timestamp':
      return new Date(Date.UTC(2025, i % 12, 1));
    case 'count':
      return 1 + (i % 40);
    default:
      return `${name}-${i % 301}`;
  }
}

const DTYPES: Record<string, pl.DataType> = {
  micros: pl.Int64,
  nano_rest: pl.Int16,
  float: pl.Float64,
  timestamp: pl.Datetime('ms', 'UTC'),
  count: pl.Int64,
};

/** A raw warehouse frame of `columns` of `height` rows, drawn from 5,000 distinct ones, in 4 chunks. */
export function largeRawFrame(columns: CostFrameColumns, height: number): pl.DataFrame {
  const distinct = Array.from({ length: 5_000 }, (_, i) => i);
  const base = pl.DataFrame(
    rawCostColumns(columns).map(([name, kind]) =>
      pl.Series(
        name,
        distinct.map((i) => valueOf(name, kind, i) as never),
        DTYPES[kind] ?? pl.Utf8,
      ),
    ),
  );
  const quarter = base.sample({ n: height / 4, withReplacement: true, seed: 7 });
  return quarter.vstack(quarter).vstack(quarter).vstack(quarter);
}
