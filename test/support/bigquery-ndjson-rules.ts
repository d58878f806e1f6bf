import type { FakeError, FakeField } from './bigquery-wire.js';

/**
 * What BigQuery's loader refuses in newline-delimited JSON for a table of `fields`
 * (https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-json): a line that is not one
 * JSON object, a field the table lacks (ignoreUnknownValues is off), a REQUIRED field missing, a
 * DATE not `YYYY-MM-DD`, a TIMESTAMP without dashes and colons, an INT64 that is not an integer
 * (or is past 2^53 unquoted, where JSON loses digits), a NUMERIC, FLOAT64 or BOOL of another
 * shape. The first refusal, as the job's error; undefined when the file loads.
 */
export function ndjsonRefusal(data: Buffer, fields: readonly FakeField[]): FakeError | undefined {
  const byName = new Map(fields.map((f) => [f.name.toLowerCase(), f]));
  const lines = data.toString('utf8').split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const refuse = (why: string): FakeError => ({
      code: 400,
      reason: 'invalid',
      message: `Error while reading data, error message: JSON parsing error in row starting at position ${i}: ${why}`,
    });
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      return refuse('Parser terminated before end of string');
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) return refuse('not a JSON object');
    const given = row as Record<string, unknown>;
    for (const [key, value] of Object.entries(given)) {
      const field = byName.get(key.toLowerCase());
      if (!field) return refuse(`No such field: ${key}.`);
      if (value !== null && !fits(field, value))
        return refuse(`Could not convert value to ${field.type}: ${key}.`);
    }
    for (const field of fields)
      if (field.mode === 'REQUIRED' && (given[field.name] ?? null) === null)
        return refuse(`Missing required field: ${field.name}.`);
  }
  return undefined;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP =
  /^\d{4}[-/]\d{1,2}[-/]\d{1,2}([ T]\d{1,2}:\d{2}:\d{2}(\.\d{1,6})?)?( ?(Z|UTC|[+-]\d{2}(:\d{2})?))?$/;
const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

function fits(field: FakeField, value: unknown): boolean {
  switch (field.type.toUpperCase()) {
    case 'STRING':
      return typeof value === 'string';
    case 'INTEGER':
    case 'INT64':
      return (
        (typeof value === 'number' && Number.isSafeInteger(value)) ||
        (typeof value === 'string' && INTEGER.test(value))
      );
    case 'FLOAT':
    case 'FLOAT64':
      return typeof value === 'number' || (typeof value === 'string' && DECIMAL.test(value));
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return (
        (typeof value === 'number' && Number.isFinite(value)) ||
        (typeof value === 'string' && DECIMAL.test(value))
      );
    case 'BOOLEAN':
    case 'BOOL':
      return typeof value === 'boolean';
    case 'DATE':
      return typeof value === 'string' && DAY.test(value);
    case 'TIMESTAMP':
      return typeof value === 'string' && TIMESTAMP.test(value);
    case 'JSON':
      return true;
    default:
      return false;
  }
}
