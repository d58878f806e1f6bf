/** BigQuery reserved keywords: never an alias, a table name or a function name. */
export const RESERVED = new Set([
  'ALL', 'AND', 'ANY', 'ARRAY', 'AS', 'ASC', 'ASSERT_ROWS_MODIFIED', 'AT', 'BETWEEN', 'BY', 'CASE', 'CAST',
  'COLLATE', 'CONTAINS', 'CREATE', 'CROSS', 'CUBE', 'CURRENT', 'DEFAULT', 'DEFINE', 'DESC', 'DISTINCT',
  'ELSE', 'END', 'ENUM', 'ESCAPE', 'EXCEPT', 'EXCLUDE', 'EXISTS', 'EXTRACT', 'FALSE', 'FETCH', 'FOLLOWING',
  'FOR', 'FROM', 'FULL', 'GROUP', 'GROUPING', 'GROUPS', 'HASH', 'HAVING', 'IF', 'IGNORE', 'IN', 'INNER',
  'INTERSECT', 'INTERVAL', 'INTO', 'IS', 'JOIN', 'LATERAL', 'LEFT', 'LIKE', 'LIMIT', 'LOOKUP', 'MERGE',
  'NATURAL', 'NEW', 'NO', 'NOT', 'NULL', 'NULLS', 'OF', 'ON', 'OR', 'ORDER', 'OUTER', 'OVER', 'PARTITION',
  'PRECEDING', 'PROTO', 'QUALIFY', 'RANGE', 'RECURSIVE', 'RESPECT', 'RIGHT', 'ROLLUP', 'ROWS', 'SELECT',
  'SET', 'SOME', 'STRUCT', 'TABLESAMPLE', 'THEN', 'TO', 'TREAT', 'TRUE', 'UNBOUNDED', 'UNION', 'UNNEST',
  'USING', 'WHEN', 'WHERE', 'WINDOW', 'WITH', 'WITHIN',
]); // prettier-ignore

/** Keywords that may be followed by `(` without being a function call. */
export const KEYWORDS_BEFORE_PAREN = new Set([
  'ALL', 'AND', 'AS', 'BETWEEN', 'BY', 'CASE', 'DISTINCT', 'ELSE', 'EXCEPT', 'EXISTS', 'FROM', 'HAVING',
  'IN', 'INSERT', 'INTERSECT', 'INTO', 'IS', 'JOIN', 'LIKE', 'LIMIT', 'NOT', 'ON', 'OR', 'OVER', 'QUALIFY',
  'SELECT', 'THEN', 'UNION', 'USING', 'VALUES', 'WHEN', 'WHERE', 'WITH',
]); // prettier-ignore

/** A name after one of these is a table (so a three-part path drops its project). */
export const TABLE_CONTEXT = new Set([
  'FROM',
  'JOIN',
  'INTO',
  'INSERT',
  'UPDATE',
  'MERGE',
  'TABLE',
  'VIEW',
  'DELETE',
]);

/** After these a `name (` is a table with a column list, not a call. */
export const COLUMN_LIST_CONTEXT = new Set(['INTO', 'INSERT', 'VIEW', 'TABLE']);

/** BigQuery scripting: the embedded warehouse runs single statements only. */
export const SCRIPTING = new Set([
  'DECLARE', 'SET', 'BEGIN', 'IF', 'LOOP', 'WHILE', 'REPEAT', 'FOR', 'CALL', 'EXECUTE', 'RAISE', 'RETURN',
  'BREAK', 'LEAVE', 'CONTINUE', 'ITERATE', 'ASSERT', 'CASE',
]); // prettier-ignore

/** Words that name a construct the embedded warehouse rejects wherever they appear. */
export const REJECTED_WORDS: ReadonlyMap<string, string> = new Map([
  ['TABLESAMPLE', 'TABLESAMPLE'],
  ['PIVOT', 'PIVOT'],
  ['UNPIVOT', 'UNPIVOT'],
  ['_TABLE_SUFFIX', 'wildcard table (_TABLE_SUFFIX)'],
  ['ASSERT_ROWS_MODIFIED', 'ASSERT_ROWS_MODIFIED'],
  ['COLLATE', 'COLLATE'],
  ['ROLLUP', 'GROUP BY ROLLUP'],
  ['CUBE', 'GROUP BY CUBE'],
  ['GROUPING', 'GROUPING SETS'],
  // DuckDB's (and PostgreSQL's), not BigQuery's: SQL passing here would fail there.
  ['ILIKE', 'ILIKE'],
  ['SIMILAR', 'SIMILAR TO'],
  ['GLOB', 'GLOB'],
  ['FETCH', 'FETCH FIRST'],
  ['SAMPLE', 'USING SAMPLE'],
]);

/** Operators that DuckDB has but BigQuery does not (or spells differently). */
export const REJECTED_OPERATORS = new Set([
  '::',
  '%',
  '^',
  '~',
  '=>',
  '->',
  '->>',
  '==',
  '**',
  ':',
  '{',
  '}',
]);

/** Date/time parts an INTERVAL literal may use. */
export const INTERVAL_UNITS = new Set([
  'MICROSECOND', 'MILLISECOND', 'SECOND', 'MINUTE', 'HOUR', 'DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR',
]); // prettier-ignore

/** Literal prefixes (`DATE '2026-01-31'`) and how DuckDB spells them. */
export const TYPED_LITERALS: Readonly<Record<string, (literal: string) => string>> = {
  DATE: (s) => `DATE ${s}`,
  TIMESTAMP: (s) => `TIMESTAMPTZ ${s}`,
  DATETIME: (s) => `TIMESTAMP ${s}`,
  TIME: (s) => `TIME ${s}`,
  JSON: (s) => `CAST(${s} AS JSON)`,
  NUMERIC: (s) => `CAST(${s} AS DECIMAL(38,9))`,
  BIGNUMERIC: (s) => `CAST(${s} AS DECIMAL(38,9))`,
};

/** Array subscript functions: arr[OFFSET(i)]. */
export const SUBSCRIPTS = new Set(['OFFSET', 'SAFE_OFFSET', 'ORDINAL', 'SAFE_ORDINAL']);

/** Set operators whose BigQuery DISTINCT form is DuckDB's plain form. */
export const SET_OPERATORS = new Set(['UNION', 'INTERSECT', 'EXCEPT']);
