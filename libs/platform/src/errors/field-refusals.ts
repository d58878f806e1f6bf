import { undecodableParameters } from '../http/query-string.js';
import { PlatformError, PlatformErrorCode } from './platform-errors.js';
import type { FieldViolation } from './problem.js';

/** The 422 of validation: its detail names each bad field once, its `errors` every violation. */
export const failedFields = (fields: string[], errors: FieldViolation[]) =>
  new PlatformError(
    PlatformErrorCode.ValidationFailed,
    `${fields.length} field${fields.length === 1 ? '' : 's'} failed validation: ${fields.join(', ')}`,
    { extra: { errors } },
  );

/**
 * Refusals of some fields' values (NUL text, a repeated parameter) that leave the input safe to
 * validate: the pipe adds the violations of its other fields to them.
 */
export const FIELD_REFUSALS = new WeakSet<PlatformError>();
export function fieldRefusal(fields: string[], errors: FieldViolation[]): PlatformError {
  const refusal = failedFields(fields, errors);
  FIELD_REFUSALS.add(refusal);
  return refusal;
}

/**
 * The 422 for a query parameter given more than once (`?start_date=a&start_date=b`, which the
 * query parser makes a list) where the DTO takes one value: its own rules would refuse the list as
 * a bad format ("must be a calendar date"), which is not what is wrong. A list field (`string[]`)
 * takes repeats. Null when there is none; fields without type metadata are left to their rules.
 */
export function repeatedParametersError(value: unknown, metatype: object): PlatformError | null {
  if (value === null || typeof value !== 'object') return null;
  const prototype = (metatype as { prototype?: object }).prototype;
  if (!prototype) return null;
  const repeated = Object.entries(value)
    .filter(([, given]) => Array.isArray(given))
    .filter(([key]) => {
      const declared: unknown = Reflect.getMetadata('design:type', prototype, key);
      return declared !== undefined && declared !== Array;
    })
    .map(([key]) => key);
  return repeated.length
    ? fieldRefusal(
        repeated,
        repeated.map((field) => ({ field, message: `${field} must be given once, not repeated` })),
      )
    : null;
}

/**
 * The 422 for query parameters whose percent-encoding does not decode (`?providers=%FF`): their
 * text would reach the route as typed, a filter matching nothing (see parseQuery). Null when there
 * is none.
 */
export function undecodableParametersError(value: unknown): PlatformError | null {
  const names = undecodableParameters(value);
  return names
    ? fieldRefusal(
        names,
        names.map((field) => ({ field, message: `${field} is not valid percent-encoded UTF-8` })),
      )
    : null;
}
