import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import { translateBigQuerySql } from './bigquery-sql-translator.js';

const sql = (bigQuery: string, casts: Record<string, string> = {}) =>
  translateBigQuerySql(bigQuery, casts).sql;

function rejection(bigQuery: string): WarehouseError {
  try {
    translateBigQuerySql(bigQuery);
  } catch (error) {
    if (error instanceof WarehouseError) return error;
    throw error;
  }
  throw new Error(`expected a rejection of: ${bigQuery}`);
}

describe('translateBigQuerySql', () => {
  describe('names', () => {
    it.each([
      ['SELECT * FROM `ds.t`', 'SELECT * FROM "ds"."t"'],
      ['SELECT * FROM `ds`.`t`', 'SELECT * FROM "ds"."t"'],
      ['SELECT * FROM `my-project.ds.t`', 'SELECT * FROM "ds"."t"'],
      ['SELECT * FROM `my-project`.`ds`.`t`', 'SELECT * FROM "ds"."t"'],
      ['SELECT * FROM a, `p.ds.t` AS x', 'SELECT * FROM a, "ds"."t" AS x'],
      ['SELECT `select`, t.`my col` FROM ds.t', 'SELECT "select", t."my col" FROM ds.t'],
      ['SELECT `ds.t`.id FROM `ds.t`', 'SELECT "ds"."t".id FROM "ds"."t"'],
      ['SELECT `a"b` FROM t', 'SELECT "a""b" FROM t'],
      ['SELECT t.* FROM t', 'SELECT t.* FROM t'],
    ])('quotes %s', (bigQuery, duck) => {
      expect(sql(bigQuery)).toBe(duck);
    });
  });

  describe('literals and comments', () => {
    it.each([
      [`SELECT "it's", 'a\\'b', 'x\\ny'`, `SELECT 'it''s', 'a''b', 'x\ny'`],
      [
        "SELECT '@not_a_param', '`not.quoted`', '-- nor a comment'",
        "SELECT '@not_a_param', '`not.quoted`', '-- nor a comment'",
      ],
      ["SELECT r'\\d+', '''multi\nline'''", "SELECT '\\d+', 'multi\nline'"],
      ["SELECT '\\x41\\u00e9'", "SELECT 'Aé'"],
      ["SELECT b'\\x00\\xff'", "SELECT from_hex('00ff')"],
      ['SELECT 1 -- trailing @x\n, 2 # hash comment\n, /* block @y */ 3', 'SELECT 1 , 2 , 3'],
      [
        "SELECT DATE '2026-01-31', TIMESTAMP '2026-01-31 10:00:00+00'",
        "SELECT DATE '2026-01-31', TIMESTAMPTZ '2026-01-31 10:00:00+00'",
      ],
      [
        "SELECT DATETIME '2026-01-31 10:00:00', JSON '{\"a\":1}'",
        `SELECT TIMESTAMP '2026-01-31 10:00:00', CAST('{"a":1}' AS JSON)`,
      ],
      ["SELECT NUMERIC '1.25'", "SELECT CAST('1.25' AS DECIMAL(38,9))"],
      ['SELECT 1.5e3, .5, [1, 2], ARRAY[3]', 'SELECT 1.5e3, .5, [1, 2], ARRAY[3]'],
      ['SELECT 1;', 'SELECT 1'],
    ])('translates %j', (bigQuery, duck) => {
      expect(sql(bigQuery)).toBe(duck);
    });
  });

  describe('parameters', () => {
    it('turns @name into $name and lists the parameters used, once each', () => {
      const translation = translateBigQuerySql('SELECT @a, @b FROM t WHERE x = @a');

      expect(translation.sql).toBe('SELECT $a, $b FROM t WHERE x = $a');
      expect(translation.params).toEqual(['a', 'b']);
    });

    it('casts a placeholder to the type the driver gives it', () => {
      expect(sql('SELECT @d, @ids', { d: 'DATE', ids: 'BIGINT[]' })).toBe(
        'SELECT CAST($d AS DATE), CAST($ids AS BIGINT[])',
      );
    });

    it.each([
      ['SELECT 1 FROM t WHERE id IN UNNEST(@ids)', 'SELECT 1 FROM t WHERE id IN (SELECT unnest($ids))'],
      [
        'SELECT 1 FROM t WHERE id NOT IN UNNEST(@ids)',
        'SELECT 1 FROM t WHERE id NOT IN (SELECT unnest($ids))',
      ],
      ['SELECT x FROM UNNEST(@xs) AS x', 'SELECT x FROM unnest($xs) AS x(x)'],
      ['SELECT x FROM UNNEST(@xs) x', 'SELECT x FROM unnest($xs) AS x(x)'],
      [
        'SELECT x FROM UNNEST(@xs) AS x WITH OFFSET AS i ORDER BY i',
        'SELECT x FROM (SELECT u_.x, u_.i - 1 AS i FROM unnest($xs) WITH ORDINALITY AS u_(x, i)) AS x(x, i) ORDER BY i',
      ],
      [
        'SELECT id, e FROM t LEFT JOIN UNNEST(t.es) e WITH OFFSET i',
        'SELECT id, e FROM t LEFT JOIN (SELECT u_.e, u_.i - 1 AS i FROM unnest(t.es) WITH ORDINALITY AS u_(e, i)) AS e(e, i) ON TRUE',
      ],
      ['SELECT l.key FROM t, UNNEST(t.labels) AS l', 'SELECT l.key FROM t, unnest(t.labels) AS l(l)'],
      ['SELECT * FROM UNNEST([1, 2]) WHERE true', 'SELECT * FROM unnest([1, 2]) WHERE true'],
      [
        'SELECT id, tag FROM t LEFT JOIN UNNEST(t.tags) AS tag',
        'SELECT id, tag FROM t LEFT JOIN unnest(t.tags) AS tag(tag) ON TRUE',
      ],
      [
        'SELECT id, tag FROM t CROSS JOIN UNNEST(t.tags) tag',
        'SELECT id, tag FROM t CROSS JOIN unnest(t.tags) AS tag(tag)',
      ],
    ])('translates UNNEST in %s', (bigQuery, duck) => {
      expect(sql(bigQuery)).toBe(duck);
    });

    it('wraps a parameter used as an INTERVAL amount', () => {
      expect(sql('SELECT ts - INTERVAL @n DAY, d + INTERVAL -1 MONTH, d + INTERVAL 2 WEEK')).toBe(
        'SELECT ts - INTERVAL ($n) DAY, d + INTERVAL (-1) MONTH, d + INTERVAL 2 WEEK',
      );
    });
  });

  describe('statements', () => {
    it.each([
      ['INSERT `ds.t` (a) VALUES (1)', 'INSERT INTO "ds"."t" (a) VALUES (1)'],
      [
        'INSERT INTO `ds.t` (a, b) SELECT a, b FROM `ds.s`',
        'INSERT INTO "ds"."t" (a, b) SELECT a, b FROM "ds"."s"',
      ],
      ['DELETE `ds.t` WHERE a = 1', 'DELETE FROM "ds"."t" WHERE a = 1'],
      ['DELETE FROM `ds.t` WHERE true', 'DELETE FROM "ds"."t" WHERE true'],
      ['UPDATE `ds.t` SET a = 1 WHERE true', 'UPDATE "ds"."t" SET a = 1 WHERE true'],
      [
        'UPDATE `ds.t` AS t SET t.a = 1, t.b = t.a WHERE t.id = 2',
        'UPDATE "ds"."t" AS t SET a = 1, b = t.a WHERE t.id = 2',
      ],
      ['UPDATE `ds.t` SET t.a = 1 WHERE true', 'UPDATE "ds"."t" SET a = 1 WHERE true'],
      [
        'MERGE `ds.t` T USING `ds.s` S ON T.id = S.id WHEN MATCHED THEN UPDATE SET T.a = S.a WHEN NOT MATCHED BY SOURCE THEN DELETE',
        'MERGE INTO "ds"."t" T USING "ds"."s" S ON T.id = S.id WHEN MATCHED THEN UPDATE SET a = S.a WHEN NOT MATCHED BY SOURCE THEN DELETE',
      ],
      [
        'MERGE INTO `ds.t` AS T USING (SELECT 1 AS id) AS S ON T.id = S.id WHEN NOT MATCHED THEN INSERT (id) VALUES (S.id)',
        'MERGE INTO "ds"."t" AS T USING (SELECT 1 AS id) AS S ON T.id = S.id WHEN NOT MATCHED THEN INSERT (id) VALUES (S.id)',
      ],
      ['CREATE OR REPLACE VIEW `ds.v` AS SELECT 1 AS x', 'CREATE OR REPLACE VIEW "ds"."v" AS SELECT 1 AS x'],
      ['WITH a AS (SELECT 1 AS x) SELECT x FROM a', 'WITH a AS (SELECT 1 AS x) SELECT x FROM a'],
      ['SELECT * EXCEPT (a) REPLACE (b + 1 AS b) FROM t', 'SELECT * EXCLUDE (a) REPLACE (b + 1 AS b) FROM t'],
      [
        'SELECT 1 UNION DISTINCT SELECT 2 EXCEPT DISTINCT SELECT 3',
        'SELECT 1 UNION SELECT 2 EXCEPT SELECT 3',
      ],
      ['SELECT 1 UNION ALL SELECT 2', 'SELECT 1 UNION ALL SELECT 2'],
      [
        'SELECT a, COUNT(*) AS n FROM t GROUP BY a HAVING n > 1 QUALIFY ROW_NUMBER() OVER (PARTITION BY a ORDER BY n DESC) = 1 ORDER BY a LIMIT @l OFFSET 2',
        'SELECT a, count(*) AS n FROM t GROUP BY a HAVING n > 1 QUALIFY row_number() OVER (PARTITION BY a ORDER BY n DESC) = 1 ORDER BY a LIMIT $l OFFSET 2',
      ],
      [
        'SELECT (SELECT a FROM t LIMIT 1) AS s FROM u LIMIT 10 OFFSET @o',
        'SELECT (SELECT a FROM t LIMIT 1) AS s FROM u LIMIT 10 OFFSET $o',
      ],
      [
        'SELECT a FROM t LEFT JOIN u USING (id) WHERE EXISTS (SELECT 1)',
        'SELECT a FROM t LEFT JOIN u USING (id) WHERE EXISTS (SELECT 1)',
      ],
    ])('translates %s', (bigQuery, duck) => {
      expect(sql(bigQuery)).toBe(duck);
    });

    it.each([
      ['SELECT 1', 'SELECT'],
      ['(SELECT 1)', 'SELECT'],
      ['INSERT `ds.t` (a) VALUES (1)', 'INSERT'],
      ['UPDATE `ds.t` SET a = 1 WHERE true', 'UPDATE'],
      ['DELETE `ds.t` WHERE true', 'DELETE'],
      ['MERGE `ds.t` T USING `ds.s` S ON true WHEN MATCHED THEN DELETE', 'MERGE'],
      ['CREATE VIEW `ds.v` AS SELECT 1', 'CREATE_VIEW'],
    ])('classifies %s as %s', (bigQuery, kind) => {
      expect(translateBigQuerySql(bigQuery).statement).toBe(kind);
    });
  });

  describe('rejections', () => {
    it.each([
      ['SELECT ST_GEOGPOINT(1, 2)', 'function ST_GEOGPOINT'],
      ['DECLARE x INT64', 'scripting statement DECLARE'],
      ['SET x = 1', 'scripting statement SET'],
      ['BEGIN SELECT 1; END', 'scripting statement BEGIN'],
      ['CREATE TEMP FUNCTION f(x INT64) AS (x)', 'statement CREATE TEMP FUNCTION'],
      ['CREATE TABLE `ds.t` (a INT64)', 'statement CREATE TABLE'],
      ['DROP TABLE `ds.t`', 'statement DROP'],
      ['SELECT 1; SELECT 2', 'multiple statements'],
      [
        'SELECT * FROM `ds.t` FOR SYSTEM_TIME AS OF TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 HOUR)',
        'FOR SYSTEM_TIME AS OF',
      ],
      ['SELECT * FROM `ds.events_*`', 'wildcard table'],
      ['SELECT * FROM ds.events_* WHERE true', 'wildcard table'],
      ["SELECT * FROM t WHERE _TABLE_SUFFIX = '2026'", 'wildcard table (_TABLE_SUFFIX)'],
      ["SELECT SAFE.PARSE_DATE('%Y', s)", 'SAFE. function prefix'],
      ['SELECT * FROM ML.PREDICT(MODEL m, TABLE t)', 'function ML.PREDICT'],
      ['SELECT * FROM APPENDS(TABLE t, NULL, NULL)', 'function APPENDS'],
      ['SELECT @@project_id', 'system variable @@project_id'],
      ['SELECT ?', 'positional parameter ?'],
      ['SELECT a::INT64 FROM t', 'operator ::'],
      ['SELECT 5 % 2', 'operator %'],
      ['SELECT AS STRUCT 1 AS a', 'SELECT AS STRUCT'],
      ['SELECT STRUCT(1 AS a)', 'STRUCT'],
      ['SELECT ARRAY<INT64>[1]', 'typed ARRAY<...> literal'],
      ['SELECT arr[0] FROM t', 'array subscript without OFFSET() or ORDINAL()'],
      ['SELECT x FROM UNNEST(@xs) AS x WITH OFFSET', 'UNNEST ... WITH OFFSET without an alias for both'],
      ['SELECT 1 FROM UNNEST(@xs) WITH OFFSET AS i', 'UNNEST ... WITH OFFSET without an alias for both'],
      ["SELECT SAFE.JSON_VALUE(j, '$.a') FROM t", 'SAFE. function prefix'],
      ['SELECT * FROM t TABLESAMPLE SYSTEM (10 PERCENT)', 'TABLESAMPLE'],
      ['SELECT * FROM t PIVOT (SUM(x) FOR y IN (1))', 'PIVOT'],
      ['SELECT a FROM t GROUP BY ROLLUP (a)', 'GROUP BY ROLLUP'],
      ["SELECT a FROM t WHERE a ILIKE 'x%'", 'ILIKE'],
      ["SELECT a FROM t WHERE a SIMILAR TO 'x.*'", 'SIMILAR TO'],
      ["SELECT a FROM t WHERE a GLOB 'x*'", 'GLOB'],
      ['SELECT a FROM t ORDER BY a FETCH FIRST 5 ROWS ONLY', 'FETCH FIRST'],
      ['SELECT a FROM t USING SAMPLE 10', 'USING SAMPLE'],
      ['SELECT CAST(x AS STRUCT<a INT64>)', 'STRUCT type'],
      ["SELECT CAST(d AS STRING FORMAT 'YYYY')", 'CAST ... FORMAT'],
      ['SELECT CAST(x AS GEOGRAPHY)', 'type GEOGRAPHY'],
      ["SELECT FORMAT_DATE('%Q', d)", 'format element %Q in FORMAT_DATE'],
      [
        "SELECT FORMAT_TIMESTAMP('%F', ts, 'Europe/Paris')",
        'FORMAT_TIMESTAMP with a time zone other than UTC',
      ],
      ['SELECT DATE_DIFF(a, b, WEEK)', 'DATE_DIFF by WEEK'],
      ['SELECT DATE_TRUNC(d, WEEK)', 'DATE_TRUNC to WEEK'],
      ['SELECT DATE_ADD(d, INTERVAL 1 HOUR)', 'DATE_ADD with unit HOUR'],
      ['SELECT GENERATE_DATE_ARRAY(a, b, INTERVAL 1 MONTH)', 'GENERATE_DATE_ARRAY with unit MONTH'],
      ['SELECT EXTRACT(WEEK FROM d)', 'EXTRACT(WEEK FROM ...)'],
      ["SELECT EXTRACT(HOUR FROM ts AT TIME ZONE 'UTC')", 'EXTRACT ... AT TIME ZONE'],
      ["SELECT DATE(ts, 'Europe/Paris')", 'DATE with a time zone'],
      ["SELECT CURRENT_DATE('Europe/Paris')", 'CURRENT_DATE with a time zone'],
      // Valid BigQuery (a third argument these functions take), not malformed SQL.
      ["SELECT TIMESTAMP_TRUNC(ts, DAY, 'Europe/Paris')", 'TIMESTAMP_TRUNC with a time zone'],
      ["SELECT PARSE_TIMESTAMP('%F %T', s, 'Europe/Paris')", 'PARSE_TIMESTAMP with a time zone'],
      ["SELECT ROUND(n, 2, 'ROUND_HALF_EVEN')", 'ROUND with a rounding mode'],
      ['SELECT ARRAY_AGG(x LIMIT 5) FROM t', 'ARRAY_AGG ... LIMIT'],
      ['UPDATE `ds.t` SET specs.colour = 1 WHERE true', 'UPDATE of a STRUCT field'],
      [
        'MERGE `ds.t` T USING `ds.s` S ON T.id = S.id WHEN NOT MATCHED THEN INSERT ROW',
        'MERGE ... INSERT ROW',
      ],
      ['SELECT INTERVAL 1 YEAR TO MONTH', 'INTERVAL ... TO ...'],
      ["SELECT x FROM t WHERE x LIKE ANY ('a%', 'b%')", 'LIKE ANY'],
    ])('rejects %s', (bigQuery, construct) => {
      const error = rejection(bigQuery);

      expect(error.code).toBe(WarehouseErrorCode.UnsupportedSql);
      expect(error.detail).toBe(`BigQuery construct not supported by the embedded warehouse: ${construct}`);
    });

    it.each([
      ['SELECT (1', 'unbalanced'],
      ["SELECT 'open", 'unterminated'],
      ['SELECT IF(a, b)', 'IF does not take 2 argument(s)'],
      ['SELECT $x', 'unexpected character'],
      ['', 'empty statement'],
      // BigQuery's LIMIT and OFFSET accept only a literal or a parameter (query syntax, LIMIT and
      // OFFSET clauses); DuckDB would run each of these.
      ['SELECT a FROM t LIMIT 5 + 5', 'LIMIT takes only a non-negative integer literal or a parameter'],
      ['SELECT a FROM t LIMIT -1', 'LIMIT takes only'],
      ['SELECT a FROM t LIMIT (SELECT 1)', 'LIMIT takes only'],
      ['SELECT a FROM t LIMIT CAST(@n AS INT64)', 'LIMIT takes only'],
      ['SELECT a FROM t LIMIT 2.5', 'LIMIT takes only'],
      ['SELECT a FROM t LIMIT @n OFFSET @m * 2', 'OFFSET takes only'],
      ["SELECT STRING_AGG(a, ',' LIMIT @n + 1) FROM t", 'LIMIT takes only'],
      // BigQuery's set operators need ALL or DISTINCT; DuckDB's bare forms would run as DISTINCT.
      ['SELECT 1 UNION SELECT 2', 'UNION needs ALL or DISTINCT'],
      ['SELECT a FROM t EXCEPT SELECT a FROM u', 'EXCEPT needs ALL or DISTINCT'],
      ['SELECT a FROM t INTERSECT (SELECT a FROM u)', 'INTERSECT needs ALL or DISTINCT'],
      // BigQuery's UPDATE and DELETE need a WHERE clause (DML syntax: "The WHERE keyword is
      // mandatory"; `WHERE true` for every row); DuckDB would change every row of the table.
      ['UPDATE `ds.t` SET a = 1', 'UPDATE needs a WHERE clause'],
      ['UPDATE `ds.t` AS t SET a = 1 FROM `ds.s` s;', 'UPDATE needs a WHERE clause'],
      ['UPDATE `ds.t` SET a = (SELECT b FROM u WHERE u.id = 1)', 'UPDATE needs a WHERE clause'],
      ['DELETE FROM `ds.t`', 'DELETE needs a WHERE clause'],
      ['DELETE `ds.t` t', 'DELETE needs a WHERE clause'],
    ])('fails malformed SQL %j with WAREHOUSE_QUERY_FAILED', (bigQuery, message) => {
      const error = rejection(bigQuery);

      expect(error.code).toBe(WarehouseErrorCode.QueryFailed);
      expect(error.detail).toContain(message);
    });
  });

  it('returns the memoised translation for a repeated statement', () => {
    const first = translateBigQuerySql('SELECT @a AS a', { a: 'BIGINT' });

    expect(translateBigQuerySql('SELECT @a AS a', { a: 'BIGINT' })).toBe(first);
    expect(translateBigQuerySql('SELECT @a AS a', { a: 'DOUBLE' }).sql).toBe(
      'SELECT CAST($a AS DOUBLE) AS a',
    );
  });
});
