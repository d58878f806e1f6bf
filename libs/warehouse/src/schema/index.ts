export type { FieldMode, FieldSchema, FieldType, TableSchema, ViewSchema } from './table-schema.js';
export { SchemaRegistry } from './schema-registry.js';
export { SchemaValidationError } from './schema-validation-error.js';
export type { ViewContext } from './view-sql.js';
export {
  type ColumnTypeMismatch,
  driftIsOutOfSync,
  standardTypeName,
  type TableDrift,
  tableDrift,
} from './table-drift.js';
