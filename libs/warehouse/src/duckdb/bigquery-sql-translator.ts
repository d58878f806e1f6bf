/**
 * BigQuery Standard SQL → DuckDB SQL, for the embedded warehouse.
 *
 * Repositories write BigQuery SQL once; this module lets the same text run on DuckDB. It translates
 * the subset below and rejects everything else with WarehouseError(WAREHOUSE_UNSUPPORTED_SQL,
 * "BigQuery construct not supported by the embedded warehouse: <construct>"), so SQL that would
 * behave differently in production fails in tests instead of passing by accident. Malformed SQL
 * (unbalanced brackets, wrong argument counts) fails with WAREHOUSE_QUERY_FAILED.
 *
 * The input is tokenized first (strings '…' "…" '''…''' r'…' b'…' with escapes, `backtick`
 * identifiers, -- # and block comments, numbers, @params); no rewrite ever looks inside a literal.
 *
 * Statements (one per call; a trailing `;` is allowed):
 *   SELECT / WITH … (JOIN, GROUP BY, HAVING, QUALIFY, WINDOW, ORDER BY, LIMIT/OFFSET of a
 *   literal or a parameter only, as in BigQuery, UNION ALL, UNION|INTERSECT|EXCEPT DISTINCT,
 *   SELECT * EXCEPT(…) / REPLACE(…));
 *   INSERT [INTO] … VALUES|SELECT; UPDATE … SET [alias.]col = … [FROM …] WHERE …;
 *   DELETE [FROM] … WHERE …; MERGE [INTO] … USING … ON … WHEN [NOT] MATCHED [BY TARGET|SOURCE]
 *   [AND …] THEN UPDATE SET | DELETE | INSERT (cols) VALUES (…); CREATE [OR REPLACE] VIEW … AS ….
 *   Rejected: scripting (DECLARE, SET, BEGIN, IF, LOOP, CALL, EXECUTE IMMEDIATE, …), every other
 *   CREATE (TEMP FUNCTION, TABLE, …), DROP/ALTER/TRUNCATE/EXPORT/LOAD, several statements,
 *   MERGE … INSERT ROW, SELECT AS STRUCT|VALUE. An UPDATE or DELETE without a WHERE clause of
 *   its own fails as malformed, as in BigQuery (`WHERE true` for every row).
 *
 * Names: `dataset.table`, `dataset`.`table` and `project.dataset.table` → "dataset"."table" (a
 * dataset is a DuckDB schema; the project is dropped); any other backtick identifier → "double
 * quoted". Rejected: wildcard tables (`ds.t_*`, _TABLE_SUFFIX), FOR SYSTEM_TIME AS OF, qualified
 * function names (SAFE.… but SAFE.PARSE_JSON, ML.…, NET.…, …), TABLESAMPLE, PIVOT/UNPIVOT,
 * ROLLUP/CUBE/GROUPING SETS.
 *
 * Parameters: @name → $name. When the driver knows the parameter's BigQuery type (typed params,
 * and untyped numbers, booleans, Dates, Buffers and arrays) the placeholder is cast to it:
 * CAST($name AS DATE), CAST($ids AS BIGINT[]). Untyped strings stay uncast so that, as in BigQuery,
 * they coerce to DATE/TIMESTAMP where compared with one. `x [NOT] IN UNNEST(@arr)` → `x [NOT] IN
 * (SELECT unnest(…))`; `FROM UNNEST(e) [AS] a` → `unnest(e) AS a(a)` (STRUCT elements are reached
 * through the alias: a.field; `[LEFT] JOIN UNNEST(…)` without ON gets ON TRUE); `UNNEST(e) [AS] a
 * WITH OFFSET [AS] o` → a subquery over `unnest(e) WITH ORDINALITY` whose o counts from 0, as in
 * BigQuery. Rejected: @@system variables, positional ?, WITH OFFSET without both aliases.
 *
 * Literals: 'strings' and "strings" → 'strings'; b'…' → from_hex(…); DATE '…'; TIMESTAMP '…' →
 * TIMESTAMPTZ '…'; DATETIME '…' → TIMESTAMP '…'; JSON '…' / NUMERIC '…' → CAST; [a, b] and
 * ARRAY[…] / ARRAY(subquery); INTERVAL n UNIT (a computed n is parenthesised). arr[OFFSET(i)] →
 * arr[(i) + 1], arr[ORDINAL(i)] → arr[i] (SAFE_ variants alike: DuckDB yields NULL out of range).
 * Rejected: typed ARRAY<…>[…] and STRUCT literals, arr[i] without OFFSET/ORDINAL, INTERVAL … TO ….
 * Operators pass through except those BigQuery lacks: :: % ^ ~ == ** -> ->> => : { }. A LIKE
 * pattern literal holding a backslash gets ESCAPE '\' (BigQuery's default escape character).
 *
 * Functions (any other name followed by `(` that is not a keyword is rejected):
 *   aggregates COUNT SUM AVG MIN MAX, COUNTIF → count_if, ANY_VALUE, LOGICAL_AND/OR → bool_and/or,
 *   APPROX_COUNT_DISTINCT, STRING_AGG(x[, sep] [ORDER BY …]), ARRAY_AGG([DISTINCT] x
 *   [IGNORE|RESPECT NULLS] [ORDER BY …]) (IGNORE NULLS → FILTER (WHERE x IS NOT NULL); LIMIT
 *   rejected); window ROW_NUMBER RANK DENSE_RANK LAG LEAD FIRST_VALUE LAST_VALUE with OVER (…);
 *   COALESCE, IFNULL, NULLIF, IF → CASE WHEN, CAST / SAFE_CAST → TRY_CAST (types STRING→VARCHAR,
 *   INT64/INTEGER→BIGINT, FLOAT64/FLOAT→DOUBLE, NUMERIC/BIGNUMERIC→DECIMAL(38,9), BOOL→BOOLEAN,
 *   TIMESTAMP→TIMESTAMPTZ, DATETIME→TIMESTAMP, DATE, TIME, JSON, BYTES→BLOB, ARRAY<T>→T[]; STRUCT
 *   and CAST … FORMAT rejected, and a parameterized type (NUMERIC(p, s), STRING(n), …) fails as
 *   in BigQuery, which allows one only for columns); EMBEDDED_DECIMAL_18_9(x) → CAST(x AS
 *   DECIMAL(18, 9)), not BigQuery: for SQL a repository sends the embedded warehouse alone;
 *   strings CONCAT → (a || b) (NULL-propagating), LOWER, UPPER, TRIM/LTRIM/RTRIM, LENGTH,
 *   SUBSTR/SUBSTRING, REPLACE, SPLIT → string_split, STARTS_WITH, ENDS_WITH, REGEXP_CONTAINS →
 *   regexp_matches, REGEXP_REPLACE (all matches, 'g');
 *   maths ROUND (a rounding mode argument rejected), ABS, FLOOR, CEIL/CEILING, MOD, DIV → //,
 *   SAFE_DIVIDE → CASE WHEN d = 0 THEN NULL ELSE n / d END, GREATEST/LEAST (NULL if any argument
 *   is NULL, as in BigQuery);
 *   arrays ARRAY_LENGTH → len, GENERATE_ARRAY → generate_series, GENERATE_DATE_ARRAY(a, b
 *   [, INTERVAL n DAY|WEEK]);
 *   dates CURRENT_TIMESTAMP[()], CURRENT_DATE[()], DATE(ts|string) → CAST AS DATE, DATE(y, m, d) →
 *   make_date, TIMESTAMP(x) → CAST AS TIMESTAMPTZ, DATE_ADD/DATE_SUB(d, INTERVAL n
 *   DAY|WEEK|MONTH|QUARTER|YEAR) (result stays a DATE), TIMESTAMP_ADD/TIMESTAMP_SUB(t, INTERVAL n
 *   MICROSECOND…DAY), DATE_DIFF(a, b, DAY|MONTH|QUARTER|YEAR) → date_diff('unit', b, a),
 *   TIMESTAMP_DIFF(a, b, MICROSECOND…DAY) → date_sub('unit', b, a) (whole units elapsed),
 *   DATE_TRUNC(d, DAY|WEEK(MONDAY)|ISOWEEK|MONTH|QUARTER|YEAR) (stays a DATE), TIMESTAMP_TRUNC(t,
 *   … plus HOUR|MINUTE|SECOND|MILLISECOND), EXTRACT(YEAR|QUARTER|MONTH|DAY|DAYOFYEAR|DAYOFWEEK|
 *   ISOWEEK|ISOYEAR|HOUR|MINUTE|SECOND|DATE FROM x), FORMAT_DATE/FORMAT_TIMESTAMP(fmt, x[, 'UTC'])
 *   → strftime(x, fmt), PARSE_DATE/PARSE_TIMESTAMP(fmt, s) → strptime, UNIX_SECONDS → epoch,
 *   UNIX_MILLIS → floor(epoch_us / 1000). A literal format may use %Y %y %m %d %H %I %M %S %p %j %a %A %b %B %Z
 *   %z %F %T %E3S %E6S %%; other elements are rejected. WEEK (Sunday weeks), time zone arguments
 *   and MILLISECOND/MICROSECOND in EXTRACT are rejected because DuckDB would answer differently;
 *   JSON JSON_VALUE/JSON_EXTRACT_SCALAR(j[, path]) → json_extract_string, JSON_QUERY/JSON_EXTRACT
 *   → json_extract, TO_JSON_STRING → to_json(…)::VARCHAR, TO_JSON, PARSE_JSON → CAST AS JSON,
 *   SAFE.PARSE_JSON → TRY_CAST AS JSON, JSON_QUERY_ARRAY(json[, path]) → TRY_CAST(… AS JSON[])
 *   (NULL for a value that is not an array);
 *   GENERATE_UUID() → gen_random_uuid()::VARCHAR.
 *
 * Known differences that remain: DuckDB returns NULL (not an error) for an out-of-range OFFSET and
 * for DIV by zero; ARRAY_AGG keeps NULL elements instead of failing; JSON_VALUE of an object returns
 * its JSON text instead of NULL; a non-literal format string is passed to strftime unchecked.
 */
import { LRUCache } from 'lru-cache';
import { tokenize } from './sql-tokenizer.js';
import type { StatementKind } from './statement-kind.js';
import { StatementTranslator } from './statement-translator.js';

export type { StatementKind } from './statement-kind.js';

export interface Translation {
  /** DuckDB SQL with `$name` placeholders. */
  readonly sql: string;
  /** Names of the parameters the statement references, in order of first use. */
  readonly params: readonly string[];
  readonly statement: StatementKind;
}

// Repositories send the same few statements over and over; tokenizing each time would be waste.
const memo = new LRUCache<string, Translation>({ max: 1000 });

/**
 * Translates one BigQuery statement. `paramCasts` maps a parameter name to the DuckDB type its
 * placeholder is cast to (see duckdb-params.ts); parameters not listed are left uncast.
 */
export function translateBigQuerySql(
  sql: string,
  paramCasts: Readonly<Record<string, string>> = {},
): Translation {
  const castKey = Object.keys(paramCasts)
    .sort()
    .map((k) => `${k}:${paramCasts[k]}`)
    .join(',');
  const key = `${castKey}\u0000${sql}`;
  const cached = memo.get(key);
  if (cached) return cached;
  const translator = new StatementTranslator(tokenize(sql), paramCasts);
  const { sql: duckSql, statement } = translator.translate();
  const translation: Translation = { sql: duckSql, params: [...translator.params], statement };
  memo.set(key, translation);
  return translation;
}
