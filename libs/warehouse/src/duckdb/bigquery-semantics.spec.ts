import { DuckDbWarehouse } from './duckdb-warehouse.js';

/**
 * Translated SQL must answer what BigQuery answers, not merely parse: each expected value below is
 * BigQuery's documented result for the expression.
 */
describe('translated BigQuery functions evaluate as in BigQuery', () => {
  let warehouse: DuckDbWarehouse;
  beforeAll(async () => {
    warehouse = await DuckDbWarehouse.open({ path: ':memory:', threads: 1, connections: 1 });
  });
  afterAll(async () => {
    await warehouse.close();
  });
  const value = async (expression: string) => (await warehouse.query(`SELECT ${expression} AS v`))[0]!.v;

  it.each([
    ["DATE_ADD(DATE '2024-01-31', INTERVAL 1 MONTH)", '2024-02-29'],
    ["DATE_SUB(DATE '2024-03-01', INTERVAL 1 DAY)", '2024-02-29'],
    ["DATE_ADD(DATE '2024-01-01', INTERVAL 1 QUARTER)", '2024-04-01'],
    ["DATE_DIFF(DATE '2024-02-01', DATE '2024-01-31', MONTH)", 1],
    ["DATE_DIFF(DATE '2024-01-31', DATE '2024-01-01', DAY)", 30],
    ["DATE_DIFF(DATE '2024-01-01', DATE '2023-12-31', YEAR)", 1],
    ["TIMESTAMP_DIFF(TIMESTAMP '2024-01-01 12:00:00+00', TIMESTAMP '2024-01-01 10:30:00+00', HOUR)", 1],
    ["TIMESTAMP_DIFF(TIMESTAMP '2024-01-01 10:30:00+00', TIMESTAMP '2024-01-01 12:00:00+00', HOUR)", -1],
    ["DATE_TRUNC(DATE '2024-01-31', MONTH)", '2024-01-01'],
    ["DATE_TRUNC(DATE '2024-01-31', WEEK(MONDAY))", '2024-01-29'],
    ["DATE_TRUNC(DATE '2024-05-31', QUARTER)", '2024-04-01'],
    ["TIMESTAMP_TRUNC(TIMESTAMP '2024-01-31 10:20:30+00', HOUR)", new Date('2024-01-31T10:00:00Z')],
    [
      "TIMESTAMP_ADD(TIMESTAMP '2024-01-31 23:00:00+00', INTERVAL 90 MINUTE)",
      new Date('2024-02-01T00:30:00Z'),
    ],
    ["EXTRACT(DAYOFWEEK FROM DATE '2024-03-03')", 1],
    ["EXTRACT(ISOWEEK FROM DATE '2024-01-01')", 1],
    ["EXTRACT(DAYOFYEAR FROM DATE '2024-03-01')", 61],
    ["EXTRACT(HOUR FROM TIMESTAMP '2024-01-01 23:10:00-02')", 1],
    ["FORMAT_DATE('%Y-%m', DATE '2024-01-05')", '2024-01'],
    ["FORMAT_TIMESTAMP('%F %T%z', TIMESTAMP '2024-01-05 10:11:12+00')", '2024-01-05 10:11:12+0000'],
    ["FORMAT_TIMESTAMP('%H:%M:%E3S', TIMESTAMP '2024-01-05 10:11:12.345+00')", '10:11:12.345'],
    ["PARSE_DATE('%Y%m%d', '20240105')", '2024-01-05'],
    ["PARSE_TIMESTAMP('%F %T', '2024-01-05 10:11:12')", new Date('2024-01-05T10:11:12Z')],
    ["UNIX_SECONDS(TIMESTAMP '2024-01-01 00:00:01.5+00')", 1704067201],
    ["UNIX_MILLIS(TIMESTAMP '2024-01-01 00:00:01.5+00')", 1704067201500],
    ["UNIX_MILLIS(TIMESTAMP '1969-12-31 23:59:59.9995+00')", -1],
    // Sub-millisecond precision is dropped downwards, before 1970 too.
    ["TIMESTAMP '1969-12-31 23:59:59.9995+00'", new Date('1969-12-31T23:59:59.999Z')],
    ["TIMESTAMP('2024-01-01 10:00:00')", new Date('2024-01-01T10:00:00Z')],
    ['DATE(2026, 1, 31)', '2026-01-31'],
    ["GENERATE_DATE_ARRAY('2024-01-30', '2024-02-01')", ['2024-01-30', '2024-01-31', '2024-02-01']],
    [
      "GENERATE_DATE_ARRAY('2024-01-01', '2024-01-15', INTERVAL 1 WEEK)",
      ['2024-01-01', '2024-01-08', '2024-01-15'],
    ],
  ])('dates: %s = %j', async (expression, expected) => {
    expect(await value(expression)).toEqual(expected);
  });

  it.each([
    ['SAFE_DIVIDE(1, 0)', null],
    ['SAFE_DIVIDE(1, 4)', 0.25],
    ['DIV(-7, 2)', -3],
    ['5 / 2', 2.5],
    ['GREATEST(1, NULL)', null],
    ['LEAST(3, 1, 2)', 1],
    ['ROUND(2.5)', 3],
    ['ROUND(-2.5)', -3],
    ['ROUND(2.345, 2)', 2.35],
    ['MOD(7, 3)', 1],
    ['IF(NULL, 1, 2)', 2],
    ["CAST('12.5' AS NUMERIC)", 12.5],
    ["SAFE_CAST('x' AS INT64)", null],
    ['CAST(2.5 AS INT64)', 3],
  ])('maths: %s = %j', async (expression, expected) => {
    expect(await value(expression)).toEqual(expected);
  });

  it.each([
    ["CONCAT('a', NULL)", null],
    ["CONCAT('a', 'b', 'c')", 'abc'],
    ["SPLIT('a,b')", ['a', 'b']],
    ["REGEXP_REPLACE('a1b2', r'\\d', 'x')", 'axbx'],
    ["REGEXP_CONTAINS('abc', r'^a')", true],
    ["SUBSTR('hello', -3)", 'llo'],
    // Off the left end, BigQuery starts at position 1.
    ["SUBSTR('hello', 0, 2)", 'he'],
    ["SUBSTR('hello', -10, 2)", 'he'],
    ["SUBSTRING('hello', -3, 2)", 'll'],
    ["SUBSTR('hello', 2, 2)", 'el'],
    ["SUBSTR('hello', 9, 2)", ''],
    ["STARTS_WITH('hello', 'he')", true],
    ['JSON_VALUE(\'{"a":{"b":"x"}}\', \'$.a.b\')', 'x'],
    ['JSON_QUERY(\'{"a":{"b":[1,2]}}\', \'$.a\')', { b: [1, 2] }],
    ['PARSE_JSON(\'{"n": 1}\')', { n: 1 }],
    ["SAFE.PARSE_JSON('not json')", null],
    ['SAFE.PARSE_JSON(\'[1, "a"]\')', [1, 'a']],
    ['JSON_QUERY_ARRAY(JSON \'[{"a":1},"b"]\')', [{ a: 1 }, 'b']],
    ["JSON_QUERY_ARRAY(JSON '{\"a\":[1,2]}', '$.a')", [1, 2]],
    // A NULL array reads as [] (as from BigQuery), so the NULL is asked for.
    ['JSON_QUERY_ARRAY(JSON \'{"a":1}\') IS NULL', true],
    ['JSON_QUERY_ARRAY(JSON \'"[1]"\') IS NULL', true],
    ['TO_JSON_STRING([1, 2])', '[1,2]'],
    ['ARRAY_LENGTH([1, 2, 3])', 3],
    ['[10, 20, 30][OFFSET(1)]', 20],
    ['[10, 20, 30][ORDINAL(1)]', 10],
    ['[10, 20, 30][SAFE_OFFSET(5)]', null],
    ['GENERATE_ARRAY(1, 3)', [1, 2, 3]],
    ['2 IN UNNEST([1, 2])', true],
    ["'50%' LIKE '50\\\\%'", true],
    ["'50x' LIKE '50\\\\%'", false],
    // The backslash escapes in any pattern, not only in a literal one.
    ["'50%' LIKE CONCAT('50', '\\\\%')", true],
    ["'50x' LIKE CONCAT('50', '\\\\%')", false],
    ["'a_b' LIKE 'a' || '\\\\_b' AND TRUE", true],
    ["'a_b' LIKE LOWER('A\\\\_B')", true],
  ])('strings, JSON and arrays: %s = %j', async (expression, expected) => {
    expect(await value(expression)).toEqual(expected);
  });

  it('aggregates like BigQuery', async () => {
    const rows = await warehouse.query(
      `SELECT STRING_AGG(x, '-' ORDER BY x DESC) AS joined,
              ARRAY_AGG(x IGNORE NULLS ORDER BY x) AS xs,
              COUNTIF(x > 'a') AS above_a,
              COUNT(*) AS n,
              LOGICAL_OR(x = 'b') AS has_b
       FROM UNNEST(['a', NULL, 'b']) AS x`,
    );

    expect(rows).toEqual([{ joined: 'b-a', xs: ['a', 'b'], above_a: 1, n: 3, has_b: true }]);
  });

  it('filters window results with QUALIFY', async () => {
    const rows = await warehouse.query(
      `SELECT g, x FROM UNNEST([1, 2, 3, 4]) AS x, UNNEST(['odd']) AS g
       QUALIFY ROW_NUMBER() OVER (PARTITION BY g ORDER BY x DESC) = 1`,
    );

    expect(rows).toEqual([{ g: 'odd', x: 4 }]);
  });

  it('gives CURRENT_DATE in UTC and GENERATE_UUID as text', async () => {
    const [row] = await warehouse.query('SELECT CURRENT_DATE() AS today, GENERATE_UUID() AS id');

    expect(row!.today).toBe(new Date().toISOString().slice(0, 10));
    expect(row!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});

describe('LIKE with a parameter pattern escapes as in BigQuery', () => {
  let warehouse: DuckDbWarehouse;
  beforeAll(async () => {
    warehouse = await DuckDbWarehouse.open({ path: ':memory:', threads: 1, connections: 1 });
  });
  afterAll(async () => {
    await warehouse.close();
  });

  it.each([
    ['a_b', 'a\\_b', true],
    ['axb', 'a\\_b', false],
    ['100%', '%\\%', true],
    ['100', '%\\%', false],
  ])('%j LIKE @p (%j) = %j', async (text, pattern, expected) => {
    const [row] = await warehouse.query('SELECT @t LIKE @p AS v', { t: text, p: pattern });
    expect(row!.v).toBe(expected);
  });
});
