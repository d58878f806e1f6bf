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
