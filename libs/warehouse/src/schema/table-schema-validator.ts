import type { FieldMode, FieldSchema, FieldType, TableSchema } from './table-schema.js';

const FIELD_TYPES: ReadonlySet<string> = new Set<FieldType>([
  'STRING',
  'INTEGER',
  'INT64',
  'FLOAT',
  'FLOAT64',
  'NUMERIC',
  'BIGNUMERIC',
  'BOOLEAN',
  'BOOL',
  'TIMESTAMP',
  'DATE',
  'DATETIME',
  'TIME',
  'JSON',
  'BYTES',
  'RECORD',
  'STRUCT',
]);
const FIELD_MODES: ReadonlySet<string> = new Set<FieldMode>(['NULLABLE', 'REQUIRED', 'REPEATED']);
const NESTED_TYPES: ReadonlySet<string> = new Set(['RECORD', 'STRUCT']);
// BigQuery only partitions by time on these column types.
const PARTITION_TYPES: ReadonlySet<string> = new Set(['DATE', 'TIMESTAMP', 'DATETIME']);
// BigQuery rejects clustering on FLOAT, JSON, BYTES, TIME and nested columns.
const CLUSTER_TYPES: ReadonlySet<string> = new Set([
  'STRING',
  'INTEGER',
  'INT64',
  'NUMERIC',
  'BIGNUMERIC',
  'BOOLEAN',
  'BOOL',
  'DATE',
  'DATETIME',
  'TIMESTAMP',
]);
const MAX_CLUSTERING_FIELDS = 4;
const TABLE_KEYS: ReadonlySet<string> = new Set([
  'name',
  'description',
  'fields',
  'timePartitioning',
  'clustering',
]);
const FIELD_KEYS: ReadonlySet<string> = new Set(['name', 'type', 'mode', 'description', 'fields']);
const PARTITION_KEYS: ReadonlySet<string> = new Set(['type', 'field']);
/** Table and column names the warehouse helpers accept (see `assertIdentifier` in sql.ts). */
export const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,299}$/;

export interface TableValidation {
  /** The schema as written in the file; only meaningful when `problems` is empty. */
  schema: TableSchema;
  problems: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKeys(obj: Record<string, unknown>, allowed: ReadonlySet<string>): string[] {
  return Object.keys(obj).filter((k) => !allowed.has(k));
}

function validateFields(raw: unknown, where: string, problems: string[]): FieldSchema[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push(`${where}: "fields" must be a non-empty array`);
    return [];
  }
  const fields: FieldSchema[] = [];
  // BigQuery column names are case-insensitive, so `Cost` and `cost` collide.
  const seen = new Map<string, string>();
  raw.forEach((item: unknown, index) => {
    if (!isRecord(item)) {
      problems.push(`${where}: field #${index + 1} is not an object`);
      return;
    }
    const name = typeof item.name === 'string' ? item.name : '';
    const label = name ? `${where}field "${name}"` : `${where}field #${index + 1}`;
    if (!SCHEMA_NAME.test(name)) problems.push(`${label}: invalid field name ${JSON.stringify(item.name)}`);
    const previous = seen.get(name.toLowerCase());
    if (name && previous !== undefined) {
      problems.push(
        previous === name
          ? `${label}: duplicate field name "${name}"`
          : `${label}: duplicate field name "${name}" (same as "${previous}"; names are case-insensitive)`,
      );
    } else if (name) {
      seen.set(name.toLowerCase(), name);
    }
    for (const key of unknownKeys(item, FIELD_KEYS)) problems.push(`${label}: unknown key "${key}"`);
    const type = item.type;
    if (typeof type !== 'string' || !FIELD_TYPES.has(type)) {
      problems.push(`${label}: unknown type ${JSON.stringify(type)}`);
    }
    if (item.mode !== undefined && (typeof item.mode !== 'string' || !FIELD_MODES.has(item.mode))) {
      problems.push(`${label}: unknown mode ${JSON.stringify(item.mode)}`);
    }
    if (item.description !== undefined && typeof item.description !== 'string') {
      problems.push(`${label}: "description" must be a string`);
    }
    const field: FieldSchema = { name, type: type as FieldType };
    if (item.mode !== undefined) field.mode = item.mode as FieldMode;
    if (typeof item.description === 'string') field.description = item.description;
    const nested = typeof type === 'string' && NESTED_TYPES.has(type);
    if (nested) {
      field.fields = validateFields(item.fields, `${label}.`, problems);
    } else if (item.fields !== undefined) {
      problems.push(`${label}: only RECORD/STRUCT fields may have sub-fields`);
    }
    fields.push(field);
  });
  return fields;
}

function validatePartitioning(
  raw: unknown,
  byName: ReadonlyMap<string, FieldSchema>,
  problems: string[],
): TableSchema['timePartitioning'] {
  if (!isRecord(raw)) {
    problems.push('"timePartitioning" must be an object { "type": "DAY", "field": ... }');
    return undefined;
  }
  for (const key of unknownKeys(raw, PARTITION_KEYS)) problems.push(`timePartitioning: unknown key "${key}"`);
  if (raw.type !== 'DAY')
    problems.push(`timePartitioning: type must be "DAY", got ${JSON.stringify(raw.type)}`);
  const fieldName = typeof raw.field === 'string' ? raw.field : '';
  const field = byName.get(fieldName);
  if (!field) {
    problems.push(`timePartitioning: partition field ${JSON.stringify(raw.field)} is not a top-level column`);
  } else if (!FIELD_TYPES.has(field.type)) {
    // The unknown type is already reported on the field itself.
  } else if (!PARTITION_TYPES.has(field.type)) {
    problems.push(
      `timePartitioning: partition field "${fieldName}" is ${field.type}; it must be DATE, TIMESTAMP or DATETIME`,
    );
  } else if (field.mode === 'REPEATED') {
    problems.push(`timePartitioning: partition field "${fieldName}" is REPEATED`);
  }
  return { type: 'DAY', field: fieldName };
}

function validateClustering(
  raw: unknown,
  byName: ReadonlyMap<string, FieldSchema>,
  problems: string[],
): string[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push('"clustering" must be a non-empty array of column names (omit it when there is none)');
    return [];
  }
  if (raw.length > MAX_CLUSTERING_FIELDS) {
    problems.push(`clustering: ${raw.length} fields; BigQuery allows at most ${MAX_CLUSTERING_FIELDS}`);
  }
  const names: string[] = [];
  for (const item of raw as unknown[]) {
    if (typeof item !== 'string') {
      problems.push(`clustering: ${JSON.stringify(item)} is not a column name`);
      continue;
    }
    if (names.includes(item)) problems.push(`clustering: "${item}" is listed twice`);
    names.push(item);
    const field = byName.get(item);
    if (!field) {
      problems.push(`clustering: "${item}" is not a top-level column`);
    } else if (field.mode === 'REPEATED' || (FIELD_TYPES.has(field.type) && !CLUSTER_TYPES.has(field.type))) {
      const what = field.mode === 'REPEATED' ? 'REPEATED' : field.type;
      problems.push(`clustering: column "${item}" is ${what}, which BigQuery cannot cluster on`);
    }
  }
  return names;
}

/**
 * Checks one table file's parsed JSON against the rules BigQuery (and the registry's users) rely
 * on. Problems are returned, never fixed: the schema is kept exactly as written.
 */
export function validateTableSchema(raw: unknown, expectedName: string): TableValidation {
  const problems: string[] = [];
  if (!isRecord(raw)) {
    return { schema: { name: expectedName, fields: [] }, problems: ['not a JSON object'] };
  }
  for (const key of unknownKeys(raw, TABLE_KEYS)) problems.push(`unknown key "${key}"`);
  const name = typeof raw.name === 'string' ? raw.name : '';
  if (!SCHEMA_NAME.test(name)) problems.push(`invalid table name ${JSON.stringify(raw.name)}`);
  if (name !== expectedName) {
    problems.push(`file name "${expectedName}" does not match "name": ${JSON.stringify(raw.name)}`);
  }
  if (raw.description !== undefined && typeof raw.description !== 'string') {
    problems.push('"description" must be a string');
  }
  const fields = validateFields(raw.fields, '', problems);
  const byName = new Map(fields.map((f) => [f.name, f]));
  const schema: Partial<TableSchema> = { name };
  if (typeof raw.description === 'string') schema.description = raw.description;
  if (raw.timePartitioning !== undefined) {
    schema.timePartitioning = validatePartitioning(raw.timePartitioning, byName, problems);
  }
  if (raw.clustering !== undefined) schema.clustering = validateClustering(raw.clustering, byName, problems);
  return { schema: { ...schema, name, fields }, problems };
}
