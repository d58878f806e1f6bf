import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { PlatformError } from './platform-errors.js';
import type { FieldViolation } from './problem.js';
import { deepFreeze } from '../util/deep-freeze.js';
import {
  failedFields,
  FIELD_REFUSALS,
  fieldRefusal,
  repeatedParametersError,
  undecodableParametersError,
} from './field-refusals.js';
import { memoizeValidationMetadata } from './validation-metadata.js';

/** Rules that a value of the wrong type fails. */
const TYPE_RULES: ReadonlySet<string> = new Set([
  'isInt',
  'isNumber',
  'isString',
  'isBoolean',
  'isArray',
  'isObject',
]);
/**
 * Rules about a value's size, which say nothing more once its type is wrong. Not an array's own
 * size (arrayMinSize, arrayMaxSize): that stays true whatever its items' types.
 */
const SIZE_RULES: ReadonlySet<string> = new Set([
  'min',
  'max',
  'isLength',
  'minLength',
  'maxLength',
  'isPositive',
]);

/**
 * A field's messages: all of them, except that a value of the wrong type is told only that
 * (`days=7.5` is "must be an integer", not also "must not be greater than 365").
 */
function messagesOf(constraints: Record<string, string>): string[] {
  const rules = Object.keys(constraints);
  const wrongType = rules.some((rule) => TYPE_RULES.has(rule));
  return rules.filter((rule) => !(wrongType && SIZE_RULES.has(rule))).map((rule) => constraints[rule]);
}

function violations(errors: ValidationError[], prefix = ''): FieldViolation[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = messagesOf(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...violations(e.children ?? [], field)];
  });
}

/** A NUL character or an unpaired surrogate (lone high, or lone low). */
// A NUL is what the rule is about; no-control-regex guards against control characters by mistake.
// eslint-disable-next-line no-control-regex
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** No DTO nests anywhere near this deep; a deeper body is refused before any recursive walk. */
export const MAX_BODY_DEPTH = 32;
/**
 * No DTO has anywhere near this many fields in one object, nor does a credential or a run's
 * parameters. class-transformer's handling of an object's keys is quadratic in their number: one
 * body of 80,000 keys held the event loop for seconds (500,000, under the body limit, for minutes),
 * and its 422 would list every one of them.
 */
export const MAX_OBJECT_FIELDS = 1000;
/** The same bound on the whole body: many objects of up to MAX_OBJECT_FIELDS fields cost as much. */
export const MAX_BODY_FIELDS = 10_000;

/**
 * What the pipe checks of an input before class-transformer sees it:
 * - fields named after a member of Object.prototype (`toString`, `constructor`, `valueOf`, ...), at
 *   any depth. class-transformer skips them silently when it builds the DTO (it takes them for
 *   methods), so the whitelist never sees them: such a field would be ignored instead of refused.
 *   No DTO declares one.
 * - nesting deeper than MAX_BODY_DEPTH: a few kilobytes of `[[[[...]]]]` would otherwise exhaust
 *   the stack of the recursive transform and validation (a 500).
 * - text no database or validator takes: a NUL character (PostgreSQL's text refuses it, a 500 at
 *   the first write) or an unpaired UTF-16 surrogate (validator's isEmail throws on it, a 500).
 * - more than MAX_OBJECT_FIELDS fields or items in one object or array, or MAX_BODY_FIELDS in all.
 * Iterative. An object's own such fields are listed before those of its nested objects.
 */
function inspectInput(value: unknown): {
  hidden: string[];
  badText: string[];
  tooDeep: boolean;
  tooWide?: string;
} {
  const hidden: string[] = [];
  const badText: string[] = [];
  const checkText = (text: unknown, field: () => string) => {
    if (typeof text === 'string' && UNSTORABLE_TEXT.test(text)) badText.push(field());
  };
  let fields = 0;
  const stack: { node: object; path: string; depth: number }[] = [];
  if (value !== null && typeof value === 'object') stack.push({ node: value, path: '', depth: 1 });
  while (stack.length) {
    const { node, path, depth } = stack.pop()!;
    if (depth > MAX_BODY_DEPTH) return { hidden, badText, tooDeep: true };
    // Children are pushed last first, so they are visited in the body's order.
    if (Array.isArray(node)) {
      // Items count like fields: class-transformer copies each one, a 10 MiB array of millions
      // of numbers held the event loop for seconds before the whitelist refused it.
      fields += node.length;
      if (node.length > MAX_OBJECT_FIELDS) return { hidden, badText, tooDeep: false, tooWide: path };
      if (fields > MAX_BODY_FIELDS) return { hidden, badText, tooDeep: false, tooWide: '' };
      for (let i = node.length - 1; i >= 0; i--) {
        const item: unknown = node[i];
        checkText(item, () => (path ? `${path}.${i}` : String(i)));
        if (item !== null && typeof item === 'object')
          // `items.0.x`, as class-validator names the same field in the 422.
          stack.push({ node: item, path: path ? `${path}.${i}` : String(i), depth: depth + 1 });
      }
      continue;
    }
    const keys = Object.keys(node);
    fields += keys.length;
    if (keys.length > MAX_OBJECT_FIELDS) return { hidden, badText, tooDeep: false, tooWide: path };
    if (fields > MAX_BODY_FIELDS) return { hidden, badText, tooDeep: false, tooWide: '' };
    for (const key of keys) if (key in Object.prototype) hidden.push(path ? `${path}.${key}` : key);
    for (let i = keys.length - 1; i >= 0; i--) {
      const item = (node as Record<string, unknown>)[keys[i]];
      checkText(item, () => (path ? `${path}.${keys[i]}` : keys[i]));
      if (!(keys[i] in Object.prototype) && item !== null && typeof item === 'object')
        stack.push({ node: item, path: path ? `${path}.${keys[i]}` : keys[i], depth: depth + 1 });
    }
  }
  return { hidden, badText: badText.reverse(), tooDeep: false };
}

/** A 422 VALIDATION_FAILED naming each field, as the global pipe answers it. */
export const validationError = (errors: FieldViolation[]) =>
  failedFields([...new Set(errors.map((e) => e.field))], errors);

/** The 422 for fields a request may not carry, as the whitelist names them. */
export const unknownFieldsError = (fields: string[]) =>
  failedFields(
    fields,
    fields.map((field) => ({ field, message: `property ${field} should not exist` })),
  );

/**
 * The 422 for a JSON text that parses yet names members of Object.prototype (`__proto__`,
 * `constructor`): the safe parser refuses such text outright, which would read as "not valid
 * JSON". Null when the text does not parse (it is malformed) or names none of them.
 */
export function prototypeFieldsError(text: string): PlatformError | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const { hidden, tooDeep, tooWide } = inspectInput(value);
  if (tooDeep) return tooDeepError('body');
  if (tooWide !== undefined) return tooWideError('body', tooWide);
  return hidden.length ? unknownFieldsError(hidden) : null;
}

/** An object of more than MAX_OBJECT_FIELDS fields at `path`, or ('') more than MAX_BODY_FIELDS in all. */
const tooWideError = (type: string, path: string) => {
  const field = path || type;
  const message = path
    ? `${field} has more than ${MAX_OBJECT_FIELDS} fields or items`
    : `the ${type} has more than ${MAX_OBJECT_FIELDS} fields or items in an object or array, or ${MAX_BODY_FIELDS} in all`;
  return failedFields([field], [{ field, message }]);
};

const tooDeepError = (type: string) =>
  failedFields(
    [type],
    [{ field: type, message: `the ${type} is nested more than ${MAX_BODY_DEPTH} levels deep` }],
  );

/**
 * What the global pipe refuses of an input before class-transformer sees it (see inspectInput),
 * and of a body that is not a JSON object; null when it may be transformed. Also for what runs
 * before the pipe and reads the input (the idempotency layer fingerprints a body recursively; it
 * passes `withText` false, leaving NUL text to the pipe, whose 422 lists every bad field).
 */
export function inputShapeError(value: unknown, type: string, withText = true): PlatformError | null {
  // A DTO is an object: a JSON array or scalar body would otherwise be read field by field
  // (an array's indexes as unknown fields) or as no body at all.
  if (
    type === 'body' &&
    value !== undefined &&
    (value === null || typeof value !== 'object' || Array.isArray(value))
  )
    return failedFields(['body'], [{ field: 'body', message: 'the request body must be a JSON object' }]);
  const { hidden, badText, tooDeep, tooWide } = inspectInput(value);
  if (tooDeep) return tooDeepError(type);
  if (tooWide !== undefined) return tooWideError(type, tooWide);
  if (hidden.length) return unknownFieldsError(hidden);
  if (withText && badText.length)
    return fieldRefusal(
      badText,
      badText.map((field) => ({
        field,
        message: `${field} must not contain NUL characters or unpaired UTF-16 surrogates`,
      })),
    );
  return null;
}

/** A query or path longer than this is validated every time rather than remembered. */
const MAX_MEMO_KEY = 2048;
const MEMO_ENTRIES_PER_CLASS = 1000;
/**
 * Bytes remembered per DTO class, counting the key (UTF-16) and an instance of about its size: by
 * entries alone, a caller sending long distinct queries could make each class hold ~8 MB (1,000 of
 * 2 KB keys and their instances), ~110 MB over the API's query and path DTOs. Some hundreds of a
 * dashboard's usual queries (a few hundred characters) still fit.
 */
export const MEMO_BYTES_PER_CLASS = 256 * 1024;
const memoEntrySize = (_value: object, key: string) => 4 * key.length + 256;

/**
 * The global pipe, which also remembers what it made of a query string or path parameters: a
 * dashboard asks the same few of them over and over, and their DTOs are pure functions of the
 * text (no clock, no I/O), so a repeated one is answered with the same instance, frozen, instead
 * of being transformed and validated again. Bodies and refusals always take the full path.
 */
export class MemoizingValidationPipe extends ValidationPipe {
  private readonly memo = new WeakMap<object, LRUCache<string, object>>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { metatype, type } = metadata;
    if (metatype && this.toValidate(metadata)) {
      // A DTO is an object: a JSON array or scalar body would otherwise be read field by field
      // (an array's indexes as unknown fields) or as no body at all.
      const shape = inputShapeError(value, type);
      const repeated = !shape && type === 'query' ? repeatedParametersError(value, metatype) : null;
      const refusal = shape ?? (type === 'query' ? undecodableParametersError(value) : null) ?? repeated;
      if (refusal) throw await this.withOtherFields(refusal, value, metadata, repeated !== null);
    }
    if ((type !== 'query' && type !== 'param') || !metatype || !this.toValidate(metadata))
      return super.transform(value, metadata);
    const key = JSON.stringify(value ?? null);
    if (key.length > MAX_MEMO_KEY) return super.transform(value, metadata);
    let perClass = this.memo.get(metatype);
    const known = perClass?.get(key);
    if (known) return known;
    const result: unknown = await super.transform(value, metadata);
    if (result && typeof result === 'object') {
      if (!perClass) this.memo.set(metatype, (perClass = newMemo()));
      perClass.set(key, deepFreeze(result));
    }
    return result;
  }

  /**
   * A refusal of some fields' text (NUL, unpaired surrogates) or repetition, with the violations of
   * the input's other fields: it named those fields alone, so a caller fixing them met a second
   * 422 for the rest. The rest is validated with those fields made harmless (the text without the
   * characters no validator takes, a repeated value given once), their own messages left out.
   */
  private async withOtherFields(
    refusal: PlatformError,
    value: unknown,
    metadata: ArgumentMetadata,
    repeated: boolean,
  ): Promise<PlatformError> {
    const own = refusal.extra.errors as FieldViolation[] | undefined;
    if (!own || !FIELD_REFUSALS.has(refusal)) return refusal;
    const named = new Set(own.map((v) => v.field));
    const covered = (field: string) => named.has(field) || [...named].some((f) => field.startsWith(`${f}.`));
    try {
      await super.transform(harmless(value, repeated ? named : undefined), metadata);
      return refusal;
    } catch (err) {
      const others =
        err instanceof PlatformError ? (err.extra.errors as FieldViolation[] | undefined) : undefined;
      if (!others) return refusal;
      return validationError([...own, ...others.filter((v) => !covered(v.field))]);
    }
  }
}

/** A copy of a (depth-checked) input with text validators take, and the `repeated` fields once. */
function harmless(value: unknown, repeated: ReadonlySet<string> = new Set()): unknown {
  if (typeof value === 'string') return value.replace(new RegExp(UNSTORABLE_TEXT.source, 'g'), '');
  if (Array.isArray(value)) return value.map((item) => harmless(item));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      harmless(repeated.has(key) && Array.isArray(item) ? item[0] : item),
    ]),
  );
}

const newMemo = () =>
  new LRUCache<string, object>({
    max: MEMO_ENTRIES_PER_CLASS,
    maxSize: MEMO_BYTES_PER_CLASS,
    sizeCalculation: memoEntrySize,
  });

/** Global pipe: strips nothing silently — unknown fields are refused — and lists every bad field (422). */
export function createValidationPipe(): ValidationPipe {
  memoizeValidationMetadata();
  return new MemoizingValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const list = violations(errors);
      return failedFields([...new Set(list.map((v) => v.field))], list);
    },
  });
}
