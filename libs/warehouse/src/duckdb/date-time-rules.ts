import { duckString, findTopLevelWord } from './sql-tokenizer.js';
import {
  type CallSite,
  type FunctionRule,
  invalidSql,
  unsupported,
  withArity,
} from './translation-context.js';

const DATE_UNITS = new Set(['DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR']);
const DATE_ARRAY_STEPS = new Set(['DAY', 'WEEK']);
const TIME_UNITS = new Set(['MICROSECOND', 'MILLISECOND', 'SECOND', 'MINUTE', 'HOUR', 'DAY']);
// DuckDB counts 'week' boundaries differently from BigQuery's Sunday weeks, so WEEK is left out.
const DATE_DIFF_UNITS = new Set(['DAY', 'MONTH', 'QUARTER', 'YEAR']);
const DATE_TRUNC_UNITS: Readonly<Record<string, string>> = {
  DAY: 'day',
  'WEEK(MONDAY)': 'week',
  ISOWEEK: 'week',
  MONTH: 'month',
  QUARTER: 'quarter',
  YEAR: 'year',
};
const TIMESTAMP_TRUNC_UNITS: Readonly<Record<string, string>> = {
  ...DATE_TRUNC_UNITS,
  MILLISECOND: 'millisecond',
  SECOND: 'second',
  MINUTE: 'minute',
  HOUR: 'hour',
};
/** EXTRACT parts whose DuckDB meaning matches BigQuery's. */
const EXTRACT_PARTS: Readonly<Record<string, (x: string) => string>> = {
  YEAR: (x) => `EXTRACT(year FROM ${x})`,
  QUARTER: (x) => `EXTRACT(quarter FROM ${x})`,
  MONTH: (x) => `EXTRACT(month FROM ${x})`,
  DAY: (x) => `EXTRACT(day FROM ${x})`,
  DAYOFYEAR: (x) => `EXTRACT(doy FROM ${x})`,
  // BigQuery numbers Sunday as 1, DuckDB as 0.
  DAYOFWEEK: (x) => `(EXTRACT(dow FROM ${x}) + 1)`,
  ISOWEEK: (x) => `EXTRACT(week FROM ${x})`,
  ISOYEAR: (x) => `EXTRACT(isoyear FROM ${x})`,
  HOUR: (x) => `EXTRACT(hour FROM ${x})`,
  MINUTE: (x) => `EXTRACT(minute FROM ${x})`,
  SECOND: (x) => `EXTRACT(second FROM ${x})`,
  DATE: (x) => `CAST(${x} AS DATE)`,
};
/** strftime elements that mean the same in both engines, plus the BigQuery shorthands DuckDB lacks. */
const FORMAT_ELEMENTS: Readonly<Record<string, string>> = {
  '%Y': '%Y',
  '%y': '%y',
  '%m': '%m',
  '%d': '%d',
  '%H': '%H',
  '%I': '%I',
  '%M': '%M',
  '%S': '%S',
  '%p': '%p',
  '%j': '%j',
  '%a': '%a',
  '%A': '%A',
  '%b': '%b',
  '%B': '%B',
  '%Z': '%Z',
  '%%': '%%',
  '%F': '%Y-%m-%d',
  '%T': '%H:%M:%S',
  '%E3S': '%S.%g',
  '%E6S': '%S.%f',
  // The connection runs in UTC, and BigQuery prints that offset as +0000 (DuckDB as +00).
  '%z': '+0000',
};

/** A date part argument: `MONTH`, `WEEK(MONDAY)`, ... (upper-case, no spaces). */
function partOf(call: CallSite, argIndex: number): string {
  const range = call.argRanges[argIndex];
  if (!range) throw invalidSql(`${call.name} needs a date part`);
  const words = call.tokens.slice(range[0], range[1]).map((t) => (t.kind === 'word' ? t.value : t.text));
  return words.join('');
}

/** The `INTERVAL n UNIT` argument of DATE_ADD & co. */
function intervalOf(call: CallSite, argIndex: number, units: ReadonlySet<string>): string {
  const [from, to] = call.argRanges[argIndex] ?? [0, 0];
  const first = call.tokens[from];
  const unit = call.tokens[to - 1];
  if (first?.value !== 'INTERVAL' || unit?.kind !== 'word' || to - from < 3) {
    throw invalidSql(`${call.name} expects INTERVAL n unit`);
  }
  if (!units.has(unit.value)) throw unsupported(`${call.name} with unit ${unit.value}`);
  return `INTERVAL (${call.translate(from + 1, to - 1)}) ${unit.value}`;
}

function checkedFormat(call: CallSite, argIndex: number): string {
  const [from, to] = call.argRanges[argIndex]!;
  const token = call.tokens[from]!;
  // A computed format cannot be checked; it is passed through and DuckDB judges it.
  if (to - from !== 1 || token.kind !== 'string') return call.arg(argIndex);
  const translated = token.value.replace(/%E[36]S|%./g, (element) => {
    const duck = FORMAT_ELEMENTS[element];
    if (duck === undefined) throw unsupported(`format element ${element} in ${call.name}`);
    return duck;
  });
  return duckString(translated);
}

const addInterval =
  (op: '+' | '-', units: ReadonlySet<string>, asDate: boolean): FunctionRule =>
  (call) => {
    call.arity(2);
    // DuckDB's DATE + INTERVAL is a TIMESTAMP; BigQuery keeps the DATE.
    const sum = `${call.arg(0)} ${op} ${intervalOf(call, 1, units)}`;
    return asDate ? `CAST(${sum} AS DATE)` : `(${sum})`;
  };

const truncate =
  (units: Readonly<Record<string, string>>, asDate: boolean): FunctionRule =>
  (call) => {
    // TIMESTAMP_TRUNC's third argument, a time zone, is valid BigQuery that DuckDB would answer differently.
    if (!asDate && call.argRanges.length === 3) throw unsupported(`${call.name} with a time zone`);
    call.arity(2);
    const part = partOf(call, 1);
    const unit = units[part];
    if (!unit) throw unsupported(`${call.name} to ${part}`);
    // DuckDB truncates a DATE to a TIMESTAMP; BigQuery keeps the DATE.
    const truncated = `date_trunc('${unit}', ${call.arg(0)})`;
    return asDate ? `CAST(${truncated} AS DATE)` : truncated;
  };

export const DATE_TIME_RULES: ReadonlyArray<[string, FunctionRule]> = [
  ['CURRENT_TIMESTAMP', withArity(0, 0, () => 'CURRENT_TIMESTAMP')],
  [
    'CURRENT_DATE',
    (c) => {
      if (c.argRanges.length > 0) throw unsupported('CURRENT_DATE with a time zone');
      return 'CURRENT_DATE';
    },
  ],
  [
    'DATE',
    (c) => {
      c.arity(1, 3);
      if (c.argRanges.length === 2) throw unsupported('DATE with a time zone');
      return c.argRanges.length === 3 ? `make_date(${c.args().join(', ')})` : `CAST(${c.arg(0)} AS DATE)`;
    },
  ],
  [
    'TIMESTAMP',
    (c) => {
      if (c.argRanges.length > 1) throw unsupported('TIMESTAMP with a time zone');
      c.arity(1);
      return `CAST(${c.arg(0)} AS TIMESTAMPTZ)`;
    },
  ],
  ['DATE_ADD', addInterval('+', DATE_UNITS, true)],
  ['DATE_SUB', addInterval('-', DATE_UNITS, true)],
  ['TIMESTAMP_ADD', addInterval('+', TIME_UNITS, false)],
  ['TIMESTAMP_SUB', addInterval('-', TIME_UNITS, false)],
  [
    'DATE_DIFF',
    (c) => {
      c.arity(3);
      const part = partOf(c, 2);
      if (!DATE_DIFF_UNITS.has(part)) throw unsupported(`DATE_DIFF by ${part}`);
      // Both count the unit boundaries crossed from the second date to the first.
      return `date_diff('${part.toLowerCase()}', ${c.arg(1)}, ${c.arg(0)})`;
    },
  ],
  [
    'TIMESTAMP_DIFF',
    (c) => {
      c.arity(3);
      const part = partOf(c, 2);
      if (!TIME_UNITS.has(part)) throw unsupported(`TIMESTAMP_DIFF by ${part}`);
      // BigQuery counts whole elapsed units here, which is DuckDB's date_sub, not date_diff.
      return `date_sub('${part.toLowerCase()}', ${c.arg(1)}, ${c.arg(0)})`;
    },
  ],
  ['DATE_TRUNC', truncate(DATE_TRUNC_UNITS, true)],
  ['TIMESTAMP_TRUNC', truncate(TIMESTAMP_TRUNC_UNITS, false)],
  [
    'EXTRACT',
    (c) => {
      const [from, to] = c.inner;
      const fromIdx = findTopLevelWord(c.tokens, from, to, 'FROM');
      if (fromIdx < 0) throw invalidSql('EXTRACT expects part FROM value');
      if (findTopLevelWord(c.tokens, fromIdx, to, 'AT') >= 0) throw unsupported('EXTRACT ... AT TIME ZONE');
      const part = c.tokens
        .slice(from, fromIdx)
        .map((t) => (t.kind === 'word' ? t.value : t.text))
        .join('');
      const rule = EXTRACT_PARTS[part];
      if (!rule) throw unsupported(`EXTRACT(${part} FROM ...)`);
      return rule(c.translate(fromIdx + 1, to));
    },
  ],
  ['FORMAT_DATE', withArity(2, 2, (c) => `strftime(${c.arg(1)}, ${checkedFormat(c, 0)})`)],
  [
    'FORMAT_TIMESTAMP',
    (c) => {
      c.arity(2, 3);
      const zone = c.argRanges[2] && c.tokens[c.argRanges[2][0]];
      if (zone && !(zone.kind === 'string' && zone.value.toUpperCase() === 'UTC')) {
        throw unsupported('FORMAT_TIMESTAMP with a time zone other than UTC');
      }
      return `strftime(${c.arg(1)}, ${checkedFormat(c, 0)})`;
    },
  ],
  ['PARSE_DATE', withArity(2, 2, (c) => `CAST(strptime(${c.arg(1)}, ${checkedFormat(c, 0)}) AS DATE)`)],
  [
    'PARSE_TIMESTAMP',
    (c) => {
      if (c.argRanges.length === 3) throw unsupported('PARSE_TIMESTAMP with a time zone');
      c.arity(2);
      return `CAST(strptime(${c.arg(1)}, ${checkedFormat(c, 0)}) AS TIMESTAMPTZ)`;
    },
  ],
  ['UNIX_SECONDS', withArity(1, 1, (c) => `CAST(floor(epoch(${c.arg(0)})) AS BIGINT)`)],
  // BigQuery rounds down to the millisecond; DuckDB's epoch_ms truncates toward zero (before 1970, up).
  ['UNIX_MILLIS', withArity(1, 1, (c) => `CAST(floor(epoch_us(${c.arg(0)}) / 1000) AS BIGINT)`)],
  [
    'GENERATE_DATE_ARRAY',
    (c) => {
      c.arity(2, 3);
      // Month steps are left out: DuckDB adds them cumulatively (01-31, 02-29, 03-29), which can
      // drift from BigQuery near month ends.
      const step = c.argRanges.length === 3 ? intervalOf(c, 2, DATE_ARRAY_STEPS) : 'INTERVAL 1 DAY';
      return `CAST(generate_series(CAST(${c.arg(0)} AS DATE), CAST(${c.arg(1)} AS DATE), ${step}) AS DATE[])`;
    },
  ],
];
