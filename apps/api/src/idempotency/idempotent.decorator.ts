import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiConflictResponse, ApiHeader, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';

export interface IdempotentOptions {
  /**
   * The org the request concerns, recorded with its key so that offboarding the org deletes it.
   * Default: the `:org` path parameter, else the org of the caller's key (none for the root key).
   * Runs before validation: `req.body` is the parsed JSON as sent.
   */
  orgSlugFrom?: (req: FastifyRequest) => string | undefined;
}

export const IDEMPOTENT = 'idempotency:options';
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/**
 * Lets clients retry the route safely with an `Idempotency-Key` header: the first response to a
 * key (status and body, secrets redacted) is replayed for 24 hours with `Idempotent-Replayed: true`.
 * Only for authenticated routes: keys are scoped to the caller.
 */
export const Idempotent = (options: IdempotentOptions = {}) =>
  applyDecorators(
    SetMetadata(IDEMPOTENT, options),
    ApiHeader({
      name: IDEMPOTENCY_KEY_HEADER,
      required: false,
      description: `Up to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters. A retry with the same key and request gets the first response again, with Idempotent-Replayed: true, for 24 hours.`,
    }),
    ApiConflictResponse({
      description:
        'IDEMPOTENCY_REQUEST_IN_PROGRESS: a request with this key is still running; retry after Retry-After.',
    }),
    ApiUnprocessableEntityResponse({
      description: 'IDEMPOTENCY_KEY_REUSED: the key was used for a different request; or VALIDATION_FAILED.',
    }),
  );
