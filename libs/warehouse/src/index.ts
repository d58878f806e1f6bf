export * from './warehouse.port.js';
export * from './warehouse.errors.js';
export * from './sql.js';
export * from './schema/index.js';
export * from './duckdb/index.js';
export * from './bigquery/index.js';
