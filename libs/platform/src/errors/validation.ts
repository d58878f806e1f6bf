import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { PlatformError, PlatformErrorCode } from './platform-errors.js';
import type { FieldViolation } from './problem.js';
import { deepFreeze } from '../util/deep-freeze.js';
import { memoizeValidationMetadata } from './validation-metadata.js';

function violations(errors: ValidationError[], prefix = ''): FieldViolation[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...violations(e.children ?? [], field)];
  });
}

/** A query or path longer than this is validated every time rather than remembered. */
const MAX_MEMO_KEY = 2048;
const MEMO_ENTRIES_PER_CLASS = 1000;

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
    if ((type !== 'query' && type !== 'param') || !metatype || !this.toValidate(metadata))
      return super.transform(value, metadata);
    const key = JSON.stringify(value ?? null);
    if (key.length > MAX_MEMO_KEY) return super.transform(value, metadata);
    let perClass = this.memo.get(metatype);
    const known = perClass?.get(key);
    if (known) return known;
    const result: unknown = await super.transform(value, metadata);
    if (result && typeof result === 'object') {
      if (!perClass) this.memo.set(metatype, (perClass = new LRUCache({ max: MEMO_ENTRIES_PER_CLASS })));
      perClass.set(key, deepFreeze(result));
    }
    return result;
  }
}

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
      return new PlatformError(
        PlatformErrorCode.ValidationFailed,
        `${list.length} field${list.length === 1 ? '' : 's'} failed validation: ${[...new Set(list.map((v) => v.field))].join(', ')}`,
        { extra: { errors: list } },
      );
    },
  });
}
