import { WarehouseErrorCode } from '../warehouse.errors.js';
import { translateBigQuerySql } from './bigquery-sql-translator.js';

/** Translates `SELECT <expression>` and returns the translated expression. */
const expr = (bigQuery: string) => translateBigQuerySql(`SELECT ${bigQuery}`).sql.slice('SELECT '.length);

describe('BigQuery function translation', () => {
  it.each([
    ['COUNT(*)', 'count(*)'],
    ['COUNT(DISTINCT a)', 'count(DISTINCT a)'],
    ['SUM(a), AVG(a), MIN(a), MAX(a)', 'sum(a), avg(a), min(a), max(a)'],
    ['COUNTIF(a > 0)', 'count_if(a > 0)'],
    ['ANY_VALUE(a)', 'any_value(a)'],
    ['LOGICAL_AND(a), LOGICAL_OR(a)', 'bool_and(a), bool_or(a)'],
    ['APPROX_COUNT_DISTINCT(a)', 'approx_count_distinct(a)'],
    ["STRING_AGG(a, ', ' ORDER BY b DESC)", "string_agg(a, ', ' ORDER BY b DESC)"],
    ['ARRAY_AGG(a)', 'array_agg(a)'],
    ['ARRAY_AGG(a ORDER BY b)', 'array_agg(a ORDER BY b)'],
    ['ARRAY_AGG(a IGNORE NULLS)', 'array_agg(a) FILTER (WHERE a IS NOT NULL)'],
    ['ARRAY_AGG(DISTINCT a RESPECT NULLS)', 'array_agg(DISTINCT a)'],
  ])('aggregate %s', (bigQuery, duck) => {
    expect(expr(bigQuery)).toBe(duck);
  });

  it.each([
    ['ROW_NUMBER() OVER (PARTITION BY a ORDER BY b)', 'row_number() OVER (PARTITION BY a ORDER BY b)'],
    ['RANK() OVER w, DENSE_RANK() OVER w', 'rank() OVER w, dense_rank() OVER w'],
    [
      'LAG(a, 1) OVER (ORDER BY b), LEAD(a) OVER (ORDER BY b)',
      'lag(a, 1) OVER (ORDER BY b), lead(a) OVER (ORDER BY b)',
    ],
    ['LAST_VALUE(a IGNORE NULLS) OVER (ORDER BY b)', 'last_value(a IGNORE NULLS) OVER (ORDER BY b)'],
    [
      'SUM(a) OVER (ORDER BY b ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)',
      'sum(a) OVER (ORDER BY b ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)',
    ],
  ])('window %s', (bigQuery, duck) => {
    expect(expr(bigQuery)).toBe(duck);
  });

  it.each([
    ['COALESCE(a, b, 0)', 'coalesce(a, b, 0)'],
    ['IFNULL(a, 0)', 'coalesce(a, 0)'],
    ['NULLIF(a, 0)', 'nullif(a, 0)'],
    ["IF(a > 0, 'up', 'down')", "(CASE WHEN a > 0 THEN 'up' ELSE 'down' END)"],
    ['CAST(a AS STRING)', 'CAST(a AS VARCHAR)'],
    ['CAST(a AS INT64), CAST(a AS INTEGER)', 'CAST(a AS BIGINT), CAST(a AS BIGINT)'],
    [
      'CAST(a AS FLOAT64), CAST(a AS NUMERIC), CAST(a AS BIGNUMERIC)',
      'CAST(a AS DOUBLE), CAST(a AS DECIMAL(38,9)), CAST(a AS DECIMAL(38,9))',
    ],
    ['EMBEDDED_DECIMAL_18_9(a) * 1000000', 'CAST(a AS DECIMAL(18, 9)) * 1000000'],
    [
      'CAST(a AS BOOL), CAST(a AS TIMESTAMP), CAST(a AS DATE)',
      'CAST(a AS BOOLEAN), CAST(a AS TIMESTAMPTZ), CAST(a AS DATE)',
    ],
    [
      'CAST(a AS JSON), CAST(a AS BYTES), CAST(a AS DATETIME)',
      'CAST(a AS JSON), CAST(a AS BLOB), CAST(a AS TIMESTAMP)',
    ],
    ['CAST(a AS ARRAY<INT64>)', 'CAST(a AS BIGINT[])'],
    ["SAFE_CAST('x' AS INT64)", "TRY_CAST('x' AS BIGINT)"],
  ])('conditional and cast %s', (bigQuery, duck) => {
    expect(expr(bigQuery)).toBe(duck);
  });

  it.each([
    ["CONCAT(a, '-', b)", "(a || '-' || b)"],
    ['LOWER(a), UPPER(a), LENGTH(a)', 'lower(a), upper(a), length(a)'],
    ["TRIM(a), TRIM(a, 'x'), LTRIM(a), RTRIM(a)", "trim(a), trim(a, 'x'), ltrim(a), rtrim(a)"],
    ['SUBSTR(a, 2), SUBSTRING(a, 2, 3)', 'substr(a, 2), substr(a, 2, 3)'],
    ["REPLACE(a, 'x', 'y')", "replace(a, 'x', 'y')"],
    ["SPLIT(a), SPLIT(a, '|')", "string_split(a, ','), string_split(a, '|')"],
    ["STARTS_WITH(a, 'x'), ENDS_WITH(a, 'y')", "starts_with(a, 'x'), ends_with(a, 'y')"],
    ["REGEXP_CONTAINS(a, r'^\\d+$')", "regexp_matches(a, '^\\d+$')"],
    ["REGEXP_REPLACE(a, r'(\\d)', r'<\\1>')", "regexp_replace(a, '(\\d)', '<\\1>', 'g')"],
  ])('string %s', (bigQuery, duck) => {
    expect(expr(bigQuery)).toBe(duck);
  });

  it.each([
    ['ROUND(a), ROUND(a, 2), ABS(a)', 'round(a), round(a, 2), abs(a)'],
    ['FLOOR(a), CEIL(a), CEILING(a), MOD(a, 3)', 'floor(a), ceil(a), ceil(a), mod(a, 3)'],
    ['DIV(a, 2)', '(a // 2)'],
    ['SAFE_DIVIDE(a, b)', '(CASE WHEN (b) = 0 THEN NULL ELSE (a) / (b) END)'],
    ['GREATEST(a, b)', '(CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE greatest(a, b) END)'],
    ['LEAST(a, 1)', '(CASE WHEN a IS NULL OR 1 IS NULL THEN NULL ELSE least(a, 1) END)'],
    ['ARRAY_LENGTH(a)', 'len(a)'],
    ['GENERATE_ARRAY(1, 5)', 'generate_series(1, 5)'],
    ['arr[OFFSET(0)], arr[SAFE_OFFSET(@i)], arr[ORDINAL(1)]', 'arr[(0) + 1], arr[($i) + 1], arr[1]'],
    ['ARRAY(SELECT x FROM t)', 'ARRAY(SELECT x FROM t)'],
    ["a LIKE 'x\\\\_%', b NOT LIKE 'y%'", "a LIKE 'x\\_%' ESCAPE '\\', b NOT LIKE 'y%'"],
    ['GENERATE_UUID()', 'CAST(gen_random_uuid() AS VARCHAR)'],
  ])('maths and arrays %s', (bigQuery, duck) => {
    expect(expr(bigQuery)).toBe(duck);
  });

  it.each([
    [
      "JSON_VALUE(j, '$.a'), JSON_EXTRACT_SCALAR(j, '$.b')",
      "json_extract_string(j, '$.a'), json_extract_string(j, '$.b')",
    ],
    ['JSON_VALUE(j)', "json_extract_string(j, '$')"],
    ["JSON_QUERY(j, '$.a'), JSON_EXTRACT(j, '$.b')", "json_extract(j, '$.a'), json_extract(j, '$.b')"],
    ['TO_JSON_STRING(a), TO_JSON(a)', 'CAST(to_json(a) AS VARCHAR), to_json(a)'],
    ["PARSE_JSON('{}')", "CAST('{}' AS JSON)"],
    ["SAFE.PARSE_JSON('{}')", "TRY_CAST('{}' AS JSON)"],
    [
      "JSON_QUERY_ARRAY(j), JSON_QUERY_ARRAY(j, '$.a')",
      "TRY_CAST(j AS JSON[]), TRY_CAST(json_extract(j, '$.a') AS JSON[])",
    ],
  ])('json %s', (bigQuery, duck) => {
    expect(expr(bigQuery)).toBe(duck);
  });

  it.each([
    [
      'CURRENT_TIMESTAMP(), CURRENT_TIMESTAMP, CURRENT_DATE(), CURRENT_DATE',
      'CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_DATE',
    ],
    ['DATE(ts), DATE(2026, 1, 31)', 'CAST(ts AS DATE), make_date(2026, 1, 31)'],
    ["TIMESTAMP('2026-01-31 10:00:00')", "CAST('2026-01-31 10:00:00' AS TIMESTAMPTZ)"],
    ['DATE_ADD(d, INTERVAL 1 MONTH)', 'CAST(d + INTERVAL (1) MONTH AS DATE)'],
    ['DATE_SUB(d, INTERVAL @n DAY)', 'CAST(d - INTERVAL ($n) DAY AS DATE)'],
    ['TIMESTAMP_ADD(ts, INTERVAL 90 MINUTE)', '(ts + INTERVAL (90) MINUTE)'],
    ['TIMESTAMP_SUB(ts, INTERVAL 1 HOUR)', '(ts - INTERVAL (1) HOUR)'],
    ['DATE_DIFF(a, b, DAY), DATE_DIFF(a, b, MONTH)', "date_diff('day', b, a), date_diff('month', b, a)"],
    ['TIMESTAMP_DIFF(a, b, HOUR)', "date_sub('hour', b, a)"],
    [
      'DATE_TRUNC(d, MONTH), DATE_TRUNC(d, WEEK(MONDAY))',
      "CAST(date_trunc('month', d) AS DATE), CAST(date_trunc('week', d) AS DATE)",
    ],
    [
      'DATE_TRUNC(d, ISOWEEK), DATE_TRUNC(d, YEAR)',
      "CAST(date_trunc('week', d) AS DATE), CAST(date_trunc('year', d) AS DATE)",
    ],
    ['TIMESTAMP_TRUNC(ts, HOUR)', "date_trunc('hour', ts)"],
    ['EXTRACT(YEAR FROM d), EXTRACT(MONTH FROM d)', 'EXTRACT(year FROM d), EXTRACT(month FROM d)'],
    ['EXTRACT(DAYOFWEEK FROM d), EXTRACT(DATE FROM ts)', '(EXTRACT(dow FROM d) + 1), CAST(ts AS DATE)'],
    ["FORMAT_DATE('%Y-%m', d)", "strftime(d, '%Y-%m')"],
    ["FORMAT_TIMESTAMP('%F %T%z', ts, 'UTC')", "strftime(ts, '%Y-%m-%d %H:%M:%S+0000')"],
    ["FORMAT_TIMESTAMP('%E3S', ts), FORMAT_DATE(@fmt, d)", "strftime(ts, '%S.%g'), strftime(d, $fmt)"],
    ["PARSE_DATE('%Y-%m-%d', s)", "CAST(strptime(s, '%Y-%m-%d') AS DATE)"],
    ["PARSE_TIMESTAMP('%F %T', s)", "CAST(strptime(s, '%Y-%m-%d %H:%M:%S') AS TIMESTAMPTZ)"],
    [
      'UNIX_SECONDS(ts), UNIX_MILLIS(ts)',
      'CAST(floor(epoch(ts)) AS BIGINT), CAST(floor(epoch_us(ts) / 1000) AS BIGINT)',
    ],
    [
      'GENERATE_DATE_ARRAY(a, b)',
      'CAST(generate_series(CAST(a AS DATE), CAST(b AS DATE), INTERVAL 1 DAY) AS DATE[])',
    ],
    [
      'GENERATE_DATE_ARRAY(a, b, INTERVAL 2 WEEK)',
      'CAST(generate_series(CAST(a AS DATE), CAST(b AS DATE), INTERVAL (2) WEEK) AS DATE[])',
    ],
  ])('date and time %s', (bigQuery, duck) => {
    expect(expr(bigQuery)).toBe(duck);
  });

  // BigQuery: "Parameterized types are not allowed in CAST expressions" (a parameterized type is
  // only for columns and script variables); DuckDB would cast, or drop the length of a STRING(L).
  it.each([
    'CAST(a AS NUMERIC(18, 9))',
    'SAFE_CAST(a AS NUMERIC(10))',
    'CAST(a AS BIGNUMERIC(40, 10))',
    'CAST(a AS STRING(5))',
    'CAST(a AS BYTES(8))',
    'CAST(a AS ARRAY<STRING(5)>)',
  ])('refuses the parameterized type of %s', (bigQuery) => {
    expect(() => expr(bigQuery)).toThrow(
      expect.objectContaining({
        code: WarehouseErrorCode.QueryFailed,
        detail: expect.stringContaining('BigQuery allows a parameterized type only for columns'),
      }),
    );
  });

  it('translates arguments recursively', () => {
    expect(expr('IF(SAFE_DIVIDE(a, b) > 1, DATE(TIMESTAMP(@s)), NULL)')).toBe(
      '(CASE WHEN (CASE WHEN (b) = 0 THEN NULL ELSE (a) / (b) END) > 1 THEN CAST(CAST($s AS TIMESTAMPTZ) AS DATE) ELSE NULL END)',
    );
  });
});
