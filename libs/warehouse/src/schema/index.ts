export type { FieldMode, FieldSchema, FieldType, TableSchema, ViewSchema } from './table-schema.js';
export { SchemaRegistry } from './schema-registry.js';
export { SchemaValidationError } from './schema-validation-error.js';
export type { ViewContext } from './view-sql.js';
