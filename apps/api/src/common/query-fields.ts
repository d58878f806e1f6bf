import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  isISO8601,
  Max,
  Min,
  registerDecorator,
  ValidateBy,
  type ValidationArguments,
} from 'class-validator';

/**
 * The query-string fields several list routes share, each one decorator so a route states only
 * what differs (its bounds, its description) and every route answers the same 422 for the same
 * mistake.
 */

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A query-string integer written in decimal digits, as a number; anything else is left for IsInt to
 * refuse (`Number()` would also read `0x10`, `1e1`, ` 5` or `1000.0`).
 */
const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;

/** Trims and upper-cases a text value (enum-like filters are case-insensitive). */
export const toUpper = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toUpperCase() : value;

/** Trims and lower-cases a text value. */
export const toLower = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on', 't', 'y']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off', 'f', 'n']);

/**
 * A query-string flag in every spelling the replaced FastAPI service accepted (pydantic's, any
 * case): true/false, 1/0, yes/no, on/off, t/f, y/n. Anything else stays as sent, for IsBoolean to
 * refuse with a 422 naming the field.
 */
export const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const word = value.trim().toLowerCase();
  return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : value;
};

export const QueryFlag = (byDefault: boolean) =>
  applyDecorators(
    // Empty (`?clear_cache=`) is the default, as for the number parameters (IntQuery).
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && value.trim() === '' ? byDefault : toBoolean({ value }),
    ),
    IsBoolean({ message: '$property must be true or false (also 1/0, yes/no, on/off)' }),
  );

/**
 * A query parameter choosing one of `values` (written in lower case), in any case; absent or empty
 * is `byDefault`. Not trimmed, like the trend category. The class property's initial value must be
 * the same default.
 */
export function ChoiceQuery<T extends string>(values: readonly T[], byDefault: T) {
  return applyDecorators(
    ApiPropertyOptional({ enum: values, default: byDefault, description: 'Any case; empty: the default' }),
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? value.toLowerCase() || byDefault : value,
    ),
    IsIn(values, { message: `$property must be one of: ${values.join(', ')}` }),
  );
}

/**
 * An optional JSON boolean with its default: absent or null is the default (a null would otherwise
 * read as false, also where the default is true, or reach a NOT NULL column). The class property's
 * initial value must be the same default.
 */
export const BodyFlag = (byDefault: boolean) =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => value ?? byDefault),
    IsBoolean(),
  );

/**
 * A calendar day written YYYY-MM-DD that exists (2026-02-30 is refused), as one rule: a value that
 * is wrong in both ways (`abc`) gets one message, not two.
 */
export const IsCalendarDay = () =>
  ValidateBy({
    name: 'isCalendarDay',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && DAY.test(value) && isISO8601(value, { strict: true }),
      defaultMessage: () => '$property must be a calendar date as YYYY-MM-DD',
    },
  });

type ValueTransform = (params: { value: unknown }) => unknown;

/**
 * A filter's value: absent, empty or blank (`?status_filter=`, what a dashboard's "All" sends) is
 * as when absent; any other value goes through `then` (its case rule).
 */
export const NoFilterWhenBlank = (then: ValueTransform = ({ value }) => value) =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && value.trim() === '' ? undefined : then({ value }),
  );

/** A body field sent as `null` is as when absent (its default, or left unchanged). */
export const NullAsAbsent = (then: ValueTransform = ({ value }) => value) =>
  Transform(({ value }: { value: unknown }) => (value === null ? undefined : then({ value })));

/** A filter naming one of `values`, in any case (`inCase` is how they are written); empty: no filter. */
export function EnumFilter(
  values: readonly string[],
  inCase: 'upper' | 'lower',
  description = 'Case-insensitive',
) {
  return applyDecorators(
    ApiPropertyOptional({ enum: values, description: `${description}; empty: no filter` }),
    NoFilterWhenBlank(inCase === 'upper' ? toUpper : toLower),
    IsOptional(),
    IsIn(values),
  );
}

/** An optional calendar day `YYYY-MM-DD` bounding a list (see IsCalendarDay); empty: no bound. */
export function OptionalDay(example: string, description: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ example, description: `${description}; empty: no bound`, format: 'date' }),
    NoFilterWhenBlank(),
    IsOptional(),
    IsCalendarDay(),
  );
}

/**
 * An integer query field with its default: absent or empty (`?page=`) is the default, any other
 * value must be a decimal integer within [min, max] (422 naming the field otherwise). The class
 * property's initial value must be the same default.
 */
export function IntQuery(o: { min: number; max: number; byDefault: number; description?: string }) {
  return applyDecorators(
    ApiPropertyOptional({
      type: 'integer',
      minimum: o.min,
      maximum: o.max,
      default: o.byDefault,
      ...(o.description ? { description: o.description } : {}),
    }),
    Transform(({ value }: { value: unknown }) => (value === '' ? o.byDefault : toInt({ value }))),
    IsInt(),
    Min(o.min),
    Max(o.max),
  );
}

/** A page size: 1 to `max`, `fallback` when absent. */
export const PageLimit = (max: number, fallback: number) => IntQuery({ min: 1, max, byDefault: fallback });

export const MAX_OFFSET = 1_000_000_000;
/** A page number whose rows start beyond MAX_OFFSET at the largest page size pages nothing. */
export const MAX_PAGE = 10_000_000;

/**
 * Rows to skip, 0 when absent (at most a billion: beyond any table this API pages through; larger
 * values would overflow the warehouse's INT64).
 */
export const PageOffset = () => IntQuery({ min: 0, max: MAX_OFFSET, byDefault: 0 });

/**
 * The range is refused when both ends are given and the end comes first (YYYY-MM-DD sorts as text).
 * A field may be bound by several (each rule named after its other field, so each has its message).
 */
export function NotBefore(other: string) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: `notBefore_${other}`,
      target: target.constructor,
      propertyName,
      constraints: [other],
      options: { message: `${propertyName} must not be before ${other}` },
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          const start = (args.object as Record<string, unknown>)[other];
          // A malformed end is its own field's error; a malformed start leaves nothing to compare.
          if (typeof value !== 'string' || typeof start !== 'string') return true;
          return !DAY.test(value) || !DAY.test(start) || value >= start;
        },
      },
    });
}
