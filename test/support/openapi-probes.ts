import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: under NodeNext its default import is the module, whose default is the plugin.
const addFormats = addFormatsModule.default;

/** A parameter or property schema as the document writes it (OpenAPI 3.0). */
export interface FieldSchema {
  type?: string;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: FieldSchema;
  oneOf?: unknown[];
  anyOf?: unknown[];
  $ref?: string;
}

const ajv = new Ajv({ strict: false });
addFormats(ajv);

/** Whether `value` passes `schema` (the schema without `nullable`, which no probe sends). */
export const passes = (schema: FieldSchema, value: unknown) => ajv.validate(schema, value);

/**
 * Values the document itself refuses for a field, one per constraint it states (type, enum,
 * format, pattern, bounds): the app must refuse each with a 422 naming the field. `inQuery`: the
 * value travels as text, so a refused number is written as a word.
 */
export function refusedValues(schema: FieldSchema, inQuery: boolean): unknown[] {
  if (schema.oneOf || schema.anyOf || schema.$ref) return [];
  const candidates: unknown[] = [];
  if (schema.enum) candidates.push('not_a_documented_value');
  if (schema.type === 'integer' || schema.type === 'number') {
    candidates.push('many');
    if (schema.minimum !== undefined) candidates.push(schema.minimum - 1);
    if (schema.maximum !== undefined) candidates.push(schema.maximum + 1);
    if (schema.type === 'integer') candidates.push(1.5);
  }
  if (schema.type === 'boolean') candidates.push('maybe');
  if (schema.type === 'string') {
    if (schema.format === 'date') candidates.push('2026-13-45');
    if (schema.format === 'uuid') candidates.push('not-a-uuid');
    if (schema.pattern) candidates.push('Not Valid!', 'x'.repeat(300));
    if (schema.maxLength !== undefined) candidates.push('x'.repeat(schema.maxLength + 1));
    if (!inQuery) candidates.push(12345);
  }
  if (schema.type === 'array') {
    candidates.push('not-a-list');
    if (schema.items) candidates.push(...refusedValues(schema.items, false).map((item) => [item]));
    const item = schema.items && acceptedValues(schema.items, false)[0];
    if (item !== undefined && schema.maxItems !== undefined)
      candidates.push(Array.from({ length: schema.maxItems + 1 }, () => item));
    if (schema.minItems) candidates.push([]);
  }
  const asSent = (v: unknown) => (inQuery && typeof v === 'number' ? String(v) : v);
  // A candidate the schema itself accepts (a 300-character value where up to 255 are taken, say)
  // proves nothing: keep only those the document refuses.
  return candidates.filter((v) => !passes(schema, inQuery ? coerced(schema, asSent(v)) : v)).map(asSent);
}

/**
 * Values the document takes for a field, one per kind it states (every enum value, the bounds, a
 * day for a date, its example): the app must not refuse any of them for that field, or a client
 * generated from the document sends what the server refuses. A pattern without an example that
 * fits it gives none (no value can be made up for it here).
 */
export function acceptedValues(schema: FieldSchema & { example?: unknown }, inQuery: boolean): unknown[] {
  if (schema.oneOf || schema.anyOf || schema.$ref) return [];
  const candidates: unknown[] = [];
  if (schema.example !== undefined) candidates.push(schema.example);
  if (schema.enum) candidates.push(...schema.enum);
  else if (schema.type === 'integer' || schema.type === 'number')
    candidates.push(schema.minimum ?? 1, schema.maximum ?? 10);
  else if (schema.type === 'boolean') candidates.push(true, false);
  else if (schema.type === 'string' && !schema.pattern)
    candidates.push(
      schema.format === 'date'
        ? '2026-01-15'
        : schema.format === 'uuid'
          ? '0b7f6b52-3c1e-4f0e-9a55-3d2f4a1c9e10'
          : 'x',
      // Kept only where the document states no length limit: the app must then have none either.
      'x'.repeat(1_000),
    );
  else if (schema.type === 'array' && schema.items) {
    const items = acceptedValues(schema.items, false);
    candidates.push(...items.map((item) => [item]));
    // The bounds of the list: none stated means none, up to the 1000 items any list may have.
    if (items[0] !== undefined)
      candidates.push(Array.from({ length: schema.maxItems ?? 200 }, () => items[0]));
    if (!schema.minItems) candidates.push([]);
  }
  const fits = [...new Set(candidates)].filter((v) => passes(schema, v));
  return inQuery ? fits.map((v) => String(v)) : fits;
}

/** A query value read as the document's type says, as a client reading the document would. */
function coerced(schema: FieldSchema, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (schema.type === 'integer' || schema.type === 'number')
    return value.trim() === '' ? value : Number(value);
  if (schema.type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

/** The fields a 422 names. */
export const refusedFields = (body: unknown): string[] =>
  ((body as { errors?: { field: string }[] }).errors ?? []).map((e) => e.field);
