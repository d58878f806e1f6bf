import { randomUUID } from 'node:crypto';
import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { defer, finalize, from, type Observable, of, switchMap } from 'rxjs';
import { authOrg, inputShapeError, ORG_SLUG, PlatformError, PlatformErrorCode, urlPath } from '#platform';
import { IdempotencyError, IdempotencyErrorCode } from './idempotency.errors.js';
import type { IdempotencyClaim } from './idempotency.repository.js';
import { IdempotencyResponseRecorder } from './idempotency-response.recorder.js';
import { IdempotencyService } from './idempotency.service.js';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  IDEMPOTENT,
  type IdempotentOptions,
} from './idempotency.constants.js';
import type { StoredBody } from './json-value.js';
import { requestFingerprint } from './request-fingerprint.js';

type Start = { run: true; claim: IdempotencyClaim } | { run: false; body: StoredBody };

/** The key as sent; undefined without the header; a 422 naming the header when empty or too long. */
export function idempotencyKeyOf(req: FastifyRequest): string | undefined {
  const raw = req.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
  const key = Array.isArray(raw) ? raw.join(', ') : raw;
  if (key === undefined) return undefined;
  if (key.length >= 1 && key.length <= IDEMPOTENCY_KEY_MAX_LENGTH) return key;
  const message = `${IDEMPOTENCY_KEY_HEADER} must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters long (got ${key.length}).`;
  throw new PlatformError(PlatformErrorCode.ValidationFailed, message, {
    extra: { errors: [{ field: IDEMPOTENCY_KEY_HEADER, message }] },
  });
}

/** Whose key it is: two callers may pick the same key without seeing each other's responses. */
function scopeOf(req: FastifyRequest): string {
  const auth = req.auth;
  // A programming error, not a client one: on a public route anyone could replay anyone's response.
  if (!auth)
    throw new Error(`@Idempotent() needs an authenticated route (${req.method} ${req.routeOptions.url})`);
  return auth.kind === 'root' ? 'root' : `org:${auth.principal.orgSlug}`;
}

/**
 * The org the claim is recorded under. Read before validation, so what the request names may be no
 * slug at all: that names no org (validation refuses it next), and is not stored. A long one failed
 * the claim's insert (a btree index entry holds at most 2704 bytes): 500 instead of the 422.
 */
function orgSlugOf(req: FastifyRequest, options: IdempotentOptions): string | null {
  const params = req.params as Record<string, string | undefined> | undefined;
  const named = options.orgSlugFrom?.(req) ?? params?.org ?? authOrg(req.auth);
  return named !== undefined && named !== null && ORG_SLUG.test(named) ? named : null;
}

/**
 * Attached by @Idempotent(); inert for a request without an Idempotency-Key. Runs
 * after the guards (the caller is known) and before validation (a reused key is refused whatever
 * the body). The response itself is recorded by IdempotencyResponseRecorder.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly service: IdempotencyService,
    private readonly recorder: IdempotencyResponseRecorder,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http') return next.handle();
    const options = this.reflector.getAllAndOverride<IdempotentOptions | undefined>(IDEMPOTENT, [
      ctx.getHandler(),
      ctx.getClass(),
    ]);
    if (!options) return next.handle();
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const key = idempotencyKeyOf(req);
    if (key === undefined) return next.handle();
    return from(this.start(req, key, options)).pipe(
      switchMap((s) => {
        // An empty stored body is sent as no body, as the handler's undefined was.
        if (!s.run) return of(s.body ?? undefined);
        // The claim is renewed until the handler is done, also when the client has gone meanwhile:
        // its retry must then wait for this request's answer, not run the request a second time.
        return defer(() => {
          const release = this.service.hold(s.claim);
          return next.handle().pipe(finalize(release));
        });
      }),
    );
  }

  private async start(req: FastifyRequest, key: string, options: IdempotentOptions): Promise<Start> {
    // What validation would refuse of the body's shape (nesting past its limit, too many fields) is
    // refused first, as validation would: the fingerprint walks the body recursively. Text no
    // database takes (a NUL) is left to validation, whose 422 names every bad field (this one named
    // only those): it is safe to fingerprint, the claim records an org slug only when it is one
    // (orgSlugOf), and a request refused by validation releases its claim (the recorder).
    const refusal = req.body === undefined ? null : inputShapeError(req.body, 'body', false);
    if (refusal) throw refusal;
    const claim: IdempotencyClaim = {
      scope: scopeOf(req),
      key,
      requestHash: requestFingerprint({
        method: req.method,
        path: urlPath(req.url),
        query: req.query,
        body: req.body,
      }),
      token: randomUUID(),
    };
    const outcome = await this.service.claim({ ...claim, orgSlug: orgSlugOf(req, options) });
    switch (outcome.outcome) {
      case 'claimed':
        this.recorder.claimed(req, claim);
        return { run: true, claim };
      case 'replay':
        this.recorder.replaying(req, outcome.status);
        return { run: false, body: outcome.body };
      case 'mismatch':
        throw new IdempotencyError(
          IdempotencyErrorCode.KeyReused,
          `This ${IDEMPOTENCY_KEY_HEADER} was already used for a different request (method, path, query or body); use a new key for a new request.`,
        );
      case 'in_flight':
        throw new IdempotencyError(
          IdempotencyErrorCode.RequestInProgress,
          `A request with this ${IDEMPOTENCY_KEY_HEADER} is still in progress; retry after the time in Retry-After.`,
          { headers: { 'Retry-After': '1' }, extra: { retry_after_seconds: 1 } },
        );
    }
  }
}
