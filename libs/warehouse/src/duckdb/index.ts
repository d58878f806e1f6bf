export { DuckDbWarehouse, type DuckDbWarehouseOptions } from './duckdb-warehouse.js';
export { type StatementKind, type Translation, translateBigQuerySql } from './bigquery-sql-translator.js';
export { duckIdent, duckString } from './sql-tokenizer.js';
