import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiConflictResponse, ApiHeader, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  IDEMPOTENT,
  type IdempotentOptions,
} from './idempotency.constants.js';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';

/**
 * Lets clients retry the route safely with an `Idempotency-Key` header: the first response to a
 * key (status and body, secrets redacted) is replayed for 24 hours with `Idempotent-Replayed: true`.
 * Only for authenticated routes: keys are scoped to the caller. The interceptor is attached here,
 * not globally: a route with no interceptor skips Nest's RxJS pipeline, which every other request
 * would otherwise pay for. The controller's module must import IdempotencyModule. `conflicts`: the
 * route's own 409 codes, documented after the idempotency one (one description per status).
 */
export const Idempotent = (options: IdempotentOptions = {}, conflicts?: string) =>
  applyDecorators(
    SetMetadata(IDEMPOTENT, options),
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: IDEMPOTENCY_KEY_HEADER,
      required: false,
      description: `Up to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters. A retry with the same key and request gets the first response again, with Idempotent-Replayed: true, for 24 hours.`,
      schema: { type: 'string', minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX_LENGTH },
    }),
    ApiConflictResponse({
      description:
        'IDEMPOTENCY_REQUEST_IN_PROGRESS: a request with this key is still running; retry after Retry-After.' +
        (conflicts ? ` ${conflicts}` : ''),
    }),
    ApiUnprocessableEntityResponse({
      description: 'IDEMPOTENCY_KEY_REUSED: the key was used for a different request; or VALIDATION_FAILED.',
    }),
  );

/** The raw body's `org_slug`, for `orgSlugFrom`: the idempotency layer records it before validation runs. */
export function bodyOrgSlug(req: FastifyRequest): string | undefined {
  const body = req.body as { org_slug?: unknown } | null | undefined;
  return typeof body?.org_slug === 'string' ? body.org_slug : undefined;
}
