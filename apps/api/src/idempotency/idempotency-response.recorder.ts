import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PlatformErrorCode, PROBLEM_CONTENT_TYPE } from '#platform';
import type { IdempotencyClaim } from './idempotency.repository.js';
import { IdempotencyService } from './idempotency.service.js';
import type { StoredBody } from './json-value.js';

export const REPLAYED_HEADER = 'Idempotent-Replayed';

type Pending = { kind: 'claimed'; claim: IdempotencyClaim } | { kind: 'replay'; status: number };

const NOT_STORABLE = Symbol('not storable');

/**
 * The body as it leaves, if it can be replayed: JSON (object or array), or empty. Streams, other
 * media types and JSON scalars are passed through unstored.
 */
export function storableBody(contentType: unknown, payload: unknown): StoredBody | typeof NOT_STORABLE {
  if (payload === undefined || payload === null || payload === '') return null;
  const text =
    typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
  if (text === undefined || typeof contentType !== 'string' || !/[/+]json\b/i.test(contentType))
    return NOT_STORABLE;
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as StoredBody) : NOT_STORABLE;
  } catch {
    return NOT_STORABLE;
  }
}

/**
 * Records the response of a claimed request, and gives a replay its stored status. Done in
 * Fastify's onSend, after the exception filter, so what is stored is exactly what the client got
 * (the final problem+json of a thrown error included) and a streamed body is never touched. The
 * send waits for the write: a retry made as soon as the response arrives must find it.
 */
@Injectable()
export class IdempotencyResponseRecorder implements OnModuleInit {
  private readonly pending = new WeakMap<FastifyRequest, Pending>();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly service: IdempotencyService,
  ) {}

  onModuleInit(): void {
    // Absent in an application context without HTTP (e.g. a CLI): nothing to record there.
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    // Hooks added before Fastify is ready apply to every route, including those already declared.
    const fastify = adapter.getInstance<FastifyInstance>();
    // Callback form: the hook runs for every response, and nearly all of them have nothing to
    // record, so those pass on synchronously instead of through a promise.
    fastify.addHook('onSend', (request, reply, payload, done) => {
      const pending = this.pending.get(request);
      if (!pending) {
        done(null, payload);
        return;
      }
      this.onSend(request, reply, payload, pending).then(
        (sent) => done(null, sent),
        (err: unknown) => done(err as Error),
      );
    });
  }

  /** The request holds the claim: its response will be stored (or the claim released). */
  claimed(request: FastifyRequest, claim: IdempotencyClaim): void {
    this.pending.set(request, { kind: 'claimed', claim });
  }

  /** The request is answered with a stored response whose status is `status`. */
  replaying(request: FastifyRequest, status: number): void {
    this.pending.set(request, { kind: 'replay', status });
  }

  private async onSend(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    pending: Pending,
  ): Promise<unknown> {
    this.pending.delete(request);
    if (pending.kind === 'replay') {
      // Nest sends every result with the route's own status: a replayed error needs its own back.
      reply.code(pending.status).header(REPLAYED_HEADER, 'true');
      if (pending.status >= 400) reply.header('content-type', PROBLEM_CONTENT_TYPE);
      return payload;
    }
    await this.record(request, reply, payload, pending.claim);
    return payload;
  }

  private async record(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    claim: IdempotencyClaim,
  ): Promise<void> {
    const status = reply.statusCode;
    // An answer that asks to be retried (409 in progress, 429, 503: a Retry-After) is not the
    // request's outcome either: stored, every retry would replay it for the key's lifetime.
    const retryable = reply.hasHeader('retry-after');
    const body =
      status < 500 && !retryable ? storableBody(reply.getHeader('content-type'), payload) : NOT_STORABLE;
    try {
      // Neither is a server failure (or an unreplayable body), nor a request refused by validation
      // before its handler ran (Stripe's rule: the same key with corrected parameters then runs).
      if (
        body === NOT_STORABLE ||
        (status === 422 && !Array.isArray(body) && body?.code === PlatformErrorCode.ValidationFailed)
      ) {
        await this.service.release(claim);
        return;
      }
      if (!(await this.service.complete(claim, status, body)))
        request.log.warn({ scope: claim.scope }, 'idempotency claim was lost before its response was stored');
    } catch (err) {
      request.log.error({ err, scope: claim.scope }, 'idempotency response could not be stored');
      // Left in flight, the key would answer 409 until its lock lapses; released, a retry runs again.
      await this.service.release(claim).catch((releaseErr: unknown) => {
        request.log.error({ err: releaseErr, scope: claim.scope }, 'idempotency claim could not be released');
      });
    }
  }
}
