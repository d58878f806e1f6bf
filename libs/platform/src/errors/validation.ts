import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { PlatformError, PlatformErrorCode } from './platform-errors.js';
import type { FieldViolation } from './problem.js';

function violations(errors: ValidationError[], prefix = ''): FieldViolation[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...violations(e.children ?? [], field)];
  });
}

/** Global pipe: strips nothing silently — unknown fields are refused — and lists every bad field (422). */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
