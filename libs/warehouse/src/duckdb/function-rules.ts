import { DATE_TIME_RULES } from './date-time-rules.js';
import { findTopLevelWord, type Token } from './sql-tokenizer.js';
import {
  type CallSite,
  type FunctionRule,
  invalidSql,
  unsupported,
  withArity,
} from './translation-context.js';
import { duckScalarType } from './type-names.js';

/** Same function in DuckDB under `duck`, arguments translated one by one. */
const rename = (duck: string, min: number, max = min): FunctionRule =>
  withArity(min, max, (c) => `${duck}(${c.args().join(', ')})`);

/** Aggregates and window functions: the whole inside (DISTINCT, ORDER BY, IGNORE NULLS) carries over. */
const verbatim =
  (duck: string): FunctionRule =>
  (c) =>
    `${duck}(${c.translate(c.inner[0], c.inner[1])})`;

/** BigQuery's GREATEST/LEAST return NULL when any argument is NULL; DuckDB's skip NULLs. */
const nullPropagating = (duck: string): FunctionRule =>
  withArity(1, Infinity, (c) => {
    const args = c.args();
    const anyNull = args.map((a) => `${a} IS NULL`).join(' OR ');
    return `(CASE WHEN ${anyNull} THEN NULL ELSE ${duck}(${args.join(', ')}) END)`;
  });

function word(t: Token | undefined): string | undefined {
  return t?.kind === 'word' ? t.value : undefined;
}

/** A BigQuery type name (in CAST) as a DuckDB type name. */
function castType(tokens: readonly Token[], from: number, to: number): string {
  const name = word(tokens[from]);
  if (!name) throw invalidSql('type name expected');
  if (name === 'ARRAY') {
    if (tokens[from + 1]?.text !== '<' || tokens[to - 1]?.text !== '>')
      throw invalidSql('ARRAY<type> expected');
    return `${castType(tokens, from + 2, to - 1)}[]`;
  }
  if (name === 'STRUCT') throw unsupported('STRUCT type');
  const duck = duckScalarType(name);
  if (!duck) throw unsupported(`type ${name}`);
  if (to - from === 1) return duck;
  // BigQuery allows a parameterized type (STRING(L), BYTES(L), NUMERIC(P, S), BIGNUMERIC(P, S))
  // only for columns and script variables: "Parameterized types are not allowed in CAST expressions".
  throw invalidSql(`${name}(...) in a CAST: BigQuery allows a parameterized type only for columns`);
}

const cast =
  (duck: 'CAST' | 'TRY_CAST'): FunctionRule =>
  (c) => {
    const [from, to] = c.inner;
    const asIdx = findTopLevelWord(c.tokens, from, to, 'AS');
    if (asIdx < 0) throw invalidSql(`${c.name} expects value AS type`);
    if (findTopLevelWord(c.tokens, asIdx, to, 'FORMAT') >= 0) throw unsupported(`${c.name} ... FORMAT`);
    return `${duck}(${c.translate(from, asIdx)} AS ${castType(c.tokens, asIdx + 1, to)})`;
  };

function arrayAgg(c: CallSite): string {
  const [from, to] = c.inner;
  if (findTopLevelWord(c.tokens, from, to, 'LIMIT') >= 0) throw unsupported('ARRAY_AGG ... LIMIT');
  const nulls = [
    findTopLevelWord(c.tokens, from, to, 'IGNORE'),
    findTopLevelWord(c.tokens, from, to, 'RESPECT'),
  ];
  const order = findTopLevelWord(c.tokens, from, to, 'ORDER');
  const exprEnd = Math.min(...[...nulls, order].filter((i) => i >= 0), to);
  const distinct = word(c.tokens[from]) === 'DISTINCT';
  const expr = c.translate(distinct ? from + 1 : from, exprEnd);
  const orderBy = order >= 0 ? ` ${c.translate(order, to)}` : '';
  const aggregate = `array_agg(${distinct ? 'DISTINCT ' : ''}${expr}${orderBy})`;
  // BigQuery refuses NULL elements unless told to drop them; DuckDB keeps them, so drop them explicitly.
  return nulls[0]! >= 0 ? `${aggregate} FILTER (WHERE ${expr} IS NOT NULL)` : aggregate;
}

/**
 * BigQuery starts a substring off the left end (position 0, or before -LENGTH) at 1; DuckDB
 * counts such a window from before the string, so SUBSTR('hello', 0, 2) would be 'h', not 'he'.
 * Without a length, or from a positive literal position, both engines agree.
 */
const substr = withArity(2, 3, (c) => {
  const position = c.tokens[c.argRanges[1]![0]]!;
  const positive = c.argRanges[1]![1] - c.argRanges[1]![0] === 1 && /^[1-9]\d*$/.test(position.text);
  if (c.argRanges.length === 2 || positive) return `substr(${c.args().join(', ')})`;
  const [value, from] = [c.arg(0), c.arg(1)];
  const start = `(CASE WHEN (${from}) = 0 OR (${from}) < -length(${value}) THEN 1 ELSE (${from}) END)`;
  return `substr(${value}, ${start}, ${c.arg(2)})`;
});

function jsonPath(c: CallSite): string {
  return c.argRanges.length > 1 ? c.arg(1) : `'$'`;
}

const RULES: ReadonlyArray<[string, FunctionRule]> = [
  ['COUNT', verbatim('count')],
  ['SUM', verbatim('sum')],
  ['AVG', verbatim('avg')],
  ['MIN', verbatim('min')],
  ['MAX', verbatim('max')],
  ['COUNTIF', verbatim('count_if')],
  ['ANY_VALUE', verbatim('any_value')],
  ['LOGICAL_AND', verbatim('bool_and')],
  ['LOGICAL_OR', verbatim('bool_or')],
  ['APPROX_COUNT_DISTINCT', verbatim('approx_count_distinct')],
  ['STRING_AGG', verbatim('string_agg')],
  ['ARRAY_AGG', arrayAgg],
  ['ROW_NUMBER', rename('row_number', 0)],
  ['RANK', rename('rank', 0)],
  ['DENSE_RANK', rename('dense_rank', 0)],
  ['LAG', verbatim('lag')],
  ['LEAD', verbatim('lead')],
  ['FIRST_VALUE', verbatim('first_value')],
  ['LAST_VALUE', verbatim('last_value')],
  ['ARRAY_LENGTH', rename('len', 1)],
  ['GENERATE_ARRAY', rename('generate_series', 2, 3)],
  ['COALESCE', rename('coalesce', 1, Infinity)],
  ['IFNULL', rename('coalesce', 2)],
  ['NULLIF', rename('nullif', 2)],
  ['IF', withArity(3, 3, (c) => `(CASE WHEN ${c.arg(0)} THEN ${c.arg(1)} ELSE ${c.arg(2)} END)`)],
  ['CAST', cast('CAST')],
  ['SAFE_CAST', cast('TRY_CAST')],
  // `||` keeps BigQuery's NULL-in, NULL-out; DuckDB's concat() would skip NULLs.
  ['CONCAT', withArity(1, Infinity, (c) => `(${c.args().join(' || ')})`)],
  ['LOWER', rename('lower', 1)],
  ['UPPER', rename('upper', 1)],
  ['TRIM', rename('trim', 1, 2)],
  ['LTRIM', rename('ltrim', 1, 2)],
  ['RTRIM', rename('rtrim', 1, 2)],
  ['LENGTH', rename('length', 1)],
  ['SUBSTR', substr],
  ['SUBSTRING', substr],
  ['REPLACE', rename('replace', 3)],
  [
    'SPLIT',
    withArity(1, 2, (c) => `string_split(${c.arg(0)}, ${c.argRanges.length > 1 ? c.arg(1) : "','"})`),
  ],
  ['STARTS_WITH', rename('starts_with', 2)],
  ['ENDS_WITH', rename('ends_with', 2)],
  ['REGEXP_CONTAINS', rename('regexp_matches', 2)],
  // BigQuery replaces every match; DuckDB only the first unless given 'g'.
  ['REGEXP_REPLACE', withArity(3, 3, (c) => `regexp_replace(${c.args().join(', ')}, 'g')`)],
  [
    'ROUND',
    (c) => {
      // BigQuery's third argument, a rounding mode (NUMERIC), has no DuckDB counterpart.
      if (c.argRanges.length === 3) throw unsupported('ROUND with a rounding mode');
      c.arity(1, 2);
      return `round(${c.args().join(', ')})`;
    },
  ],
  ['ABS', rename('abs', 1)],
  ['FLOOR', rename('floor', 1)],
  ['CEIL', rename('ceil', 1)],
  ['CEILING', rename('ceil', 1)],
  ['MOD', rename('mod', 2)],
  ['GREATEST', nullPropagating('greatest')],
  ['LEAST', nullPropagating('least')],
  // DuckDB's // truncates toward zero, like BigQuery's DIV.
  ['DIV', withArity(2, 2, (c) => `(${c.arg(0)} // ${c.arg(1)})`)],
  // DuckDB returns Infinity for x / 0 where BigQuery's SAFE_DIVIDE returns NULL.
  [
    'SAFE_DIVIDE',
    withArity(2, 2, (c) => `(CASE WHEN (${c.arg(1)}) = 0 THEN NULL ELSE (${c.arg(0)}) / (${c.arg(1)}) END)`),
  ],
  ['GENERATE_UUID', withArity(0, 0, () => 'CAST(gen_random_uuid() AS VARCHAR)')],
  ['JSON_VALUE', withArity(1, 2, (c) => `json_extract_string(${c.arg(0)}, ${jsonPath(c)})`)],
  ['JSON_EXTRACT_SCALAR', withArity(1, 2, (c) => `json_extract_string(${c.arg(0)}, ${jsonPath(c)})`)],
  ['JSON_QUERY', withArity(1, 2, (c) => `json_extract(${c.arg(0)}, ${jsonPath(c)})`)],
  ['JSON_EXTRACT', withArity(1, 2, (c) => `json_extract(${c.arg(0)}, ${jsonPath(c)})`)],
  ['TO_JSON_STRING', withArity(1, 1, (c) => `CAST(to_json(${c.arg(0)}) AS VARCHAR)`)],
  ['TO_JSON', rename('to_json', 1)],
  ['PARSE_JSON', withArity(1, 1, (c) => `CAST(${c.arg(0)} AS JSON)`)],
  // BigQuery's ARRAY<JSON> of a JSON array, NULL for any other value; so is DuckDB's TRY_CAST.
  [
    'JSON_QUERY_ARRAY',
    withArity(1, 2, (c) =>
      c.argRanges.length > 1
        ? `TRY_CAST(json_extract(${c.arg(0)}, ${c.arg(1)}) AS JSON[])`
        : `TRY_CAST(${c.arg(0)} AS JSON[])`,
    ),
  ],
  // Not BigQuery: SQL meant for the embedded warehouse alone (BigQuery has no such function and
  // refuses CAST(x AS NUMERIC(18, 9))), for arithmetic DuckDB runs on 64-bit integers.
  ['EMBEDDED_DECIMAL_18_9', withArity(1, 1, (c) => `CAST(${c.arg(0)} AS DECIMAL(18, 9))`)],
  ...DATE_TIME_RULES,
];

/** The function whitelist: BigQuery name → DuckDB rewrite. Anything else is rejected. */
export const FUNCTION_RULES: ReadonlyMap<string, FunctionRule> = new Map(RULES);

/** The SAFE.-prefixed functions translated (NULL where the function would fail); others are rejected. */
export const SAFE_FUNCTION_RULES: ReadonlyMap<string, FunctionRule> = new Map([
  ['PARSE_JSON', withArity(1, 1, (c) => `TRY_CAST(${c.arg(0)} AS JSON)`)],
]);
