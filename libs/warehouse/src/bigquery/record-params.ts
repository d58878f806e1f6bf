import type { QueryParameter } from '@google-cloud/bigquery';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import { standardTypeName } from '../schema/table-drift.js';
import { typedQueryParameter, type WireScalarType } from './query-params.js';
import type { WireField } from './wire-values.js';

type ParamType = NonNullable<QueryParameter['parameterType']>;
type ParamValue = NonNullable<QueryParameter['parameterValue']>;

function invalid(name: string, why: string): WarehouseError {
  return new WarehouseError(WarehouseErrorCode.QueryFailed, `Query parameter @${name} ${why}.`);
}

const isStruct = (field: WireField) => standardTypeName(field.type) === 'STRUCT';

function scalar(
  name: string,
  field: WireField,
  value: unknown,
): { parameterType: ParamType; parameterValue: ParamValue } {
  const type = standardTypeName(field.type) as WireScalarType;
  const { parameterType, parameterValue } = typedQueryParameter(
    name,
    type,
    value ?? (field.mode === 'REPEATED' ? [] : null),
    field.mode === 'REPEATED',
  );
  // typedQueryParameter always sets both.
  return { parameterType: parameterType!, parameterValue: parameterValue! };
}

function structType(name: string, field: WireField): ParamType {
  const structTypes = (field.fields ?? []).map((f) => ({ name: f.name, type: typeOf(name, f) }));
  return { type: 'STRUCT', structTypes };
}

function typeOf(name: string, field: WireField): ParamType {
  if (!isStruct(field)) return scalar(name, field, null).parameterType;
  const struct = structType(name, field);
  return field.mode === 'REPEATED' ? { type: 'ARRAY', arrayType: struct } : struct;
}

/** One STRUCT value: every field of the schema, by name (any case); a key it lacks is an error. */
function structValue(name: string, field: WireField, value: unknown): ParamValue {
  // BigQuery's parameter value with no value set is NULL.
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Date)
    throw invalid(name, `must be an object for ${field.name}`);
  const given = new Map(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v]));
  const fields = field.fields ?? [];
  for (const key of given.keys())
    if (!fields.some((f) => f.name.toLowerCase() === key)) throw invalid(name, `has an unknown field ${key}`);
  const entries = fields.map((f) => [f.name, valueOf(name, f, given.get(f.name.toLowerCase()))] as const);
  return { structValues: Object.fromEntries(entries) };
}

function valueOf(name: string, field: WireField, value: unknown): ParamValue {
  if (!isStruct(field)) return scalar(name, field, value).parameterValue;
  if (field.mode !== 'REPEATED') return structValue(name, field, value);
  if (value !== null && value !== undefined && !Array.isArray(value)) throw invalid(name, 'must be an array');
  // A REPEATED column holds an empty array, never NULL; a NULL element is refused by BigQuery itself.
  return { arrayValues: ((value ?? []) as unknown[]).map((item) => structValue(name, field, item)) };
}

/**
 * A parameter for a value of a RECORD (STRUCT) column, REPEATED or not, typed from the column's
 * schema all the way down (never inferred from the value): STRUCT<…> or ARRAY<STRUCT<…>>, each
 * leaf encoded as typedQueryParameter encodes a scalar of its type.
 */
export function recordParameter(name: string, field: WireField, value: unknown): QueryParameter {
  return { name, parameterType: typeOf(name, field), parameterValue: valueOf(name, field, value) };
}
