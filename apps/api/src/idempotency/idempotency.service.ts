import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { type ClaimOutcome, type IdempotencyClaim, IdempotencyRepository } from './idempotency.repository.js';
import type { StoredBody } from './json-value.js';
import { redactSecrets } from './redact-secrets.js';

/** How long a response is replayed (Stripe's 24 hours). */
export const IDEMPOTENCY_TTL_SECONDS = 86_400;
/**
 * How long a claim blocks duplicates past its last renewal before it is taken for a crashed
 * instance's. The instance running the request renews it every `renewEveryMs` until the handler
 * returns, however long that takes (an onboarding may run for the 15 minutes of its lease), so the
 * lock only needs to outlast a few missed renewals. A running request's claim can still be taken
 * over when its instance cannot reach the database for the whole lock (its renewals fail).
 */
export const IDEMPOTENCY_TIMING = Symbol('IDEMPOTENCY_TIMING');
export interface IdempotencyTiming {
  lockSeconds: number;
  renewEveryMs: number;
}
export const DEFAULT_IDEMPOTENCY_TIMING: IdempotencyTiming = { lockSeconds: 120, renewEveryMs: 30_000 };
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Idempotency keys: claims, stored responses, their expiry, and their removal with an org. */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  private readonly log = new Logger('Idempotency');
  private timer: NodeJS.Timeout | undefined;
  private pruning: Promise<void> | undefined;
  /** The renewal timers of the claims this instance's requests hold. */
  private readonly held = new Set<NodeJS.Timeout>();
  private readonly timing: IdempotencyTiming;

  constructor(
    private readonly repo: IdempotencyRepository,
    @Optional() @Inject(IDEMPOTENCY_TIMING) timing?: IdempotencyTiming,
  ) {
    this.timing = timing ?? DEFAULT_IDEMPOTENCY_TIMING;
    if (this.timing.renewEveryMs * 2 > this.timing.lockSeconds * 1000)
      throw new Error('Idempotency claims must be renewed at least twice per lock period');
  }

  claim(claim: IdempotencyClaim & { orgSlug: string | null }): Promise<ClaimOutcome> {
    return this.repo.claim({
      ...claim,
      ttlSeconds: IDEMPOTENCY_TTL_SECONDS,
      lockSeconds: this.timing.lockSeconds,
    });
  }

  /**
   * Keeps a claimed request's lock from lapsing while its handler runs; call the returned function
   * when the handler is done. Renewal stops by itself once the claim is no longer in flight (stored,
   * released, expired). A failed renewal is retried at the next tick; a tick is skipped while the
   * previous renewal is still waiting for the database.
   */
  hold(claim: IdempotencyClaim): () => void {
    let pending = false;
    const timer = setInterval(() => {
      if (pending) return;
      pending = true;
      this.repo
        .renew(claim, this.timing.lockSeconds)
        .then(
          (held) => {
            if (held || !this.held.delete(timer)) return;
            clearInterval(timer);
            this.log.warn(`Idempotency claim of ${claim.scope} lost while its request was running`);
          },
          (err: unknown) =>
            this.log.warn(
              `Renewing an idempotency claim of ${claim.scope} failed: ${err instanceof Error ? err.message : String(err)}`,
            ),
        )
        .finally(() => {
          pending = false;
        });
    }, this.timing.renewEveryMs).unref();
    this.held.add(timer);
    return () => {
      clearInterval(timer);
      this.held.delete(timer);
    };
  }

  /** Stores the response of a claimed request, its secrets redacted; false if the claim was lost. */
  complete(claim: IdempotencyClaim, status: number, body: StoredBody): Promise<boolean> {
    return this.repo.complete(claim, status, body === null ? null : (redactSecrets(body) as StoredBody));
  }

  /** Forgets a claim whose request failed on the server's side, so that a retry runs again. */
  release(claim: IdempotencyClaim): Promise<boolean> {
    return this.repo.release(claim);
  }

  /** Deletes the expired keys; returns how many. */
  prune(): Promise<number> {
    return this.repo.prune();
  }

  /** Deletes every key of requests concerning `orgSlug` (offboarding); returns how many. */
  deleteForOrg(orgSlug: string): Promise<number> {
    return this.repo.deleteForOrg(orgSlug);
  }

  onModuleInit(): void {
    this.pruneInBackground();
    // unref: the hourly prune alone must not keep a process alive.
    this.timer = setInterval(() => this.pruneInBackground(), PRUNE_EVERY_MS).unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    // The database closes at shutdown, after this: let a running prune finish first.
    await this.pruning;
  }

  /** After the in-flight requests were drained (Nest closes the HTTP server before this hook). */
  onApplicationShutdown(): void {
    for (const timer of this.held) clearInterval(timer);
    this.held.clear();
  }

  private pruneInBackground(): void {
    if (this.pruning) return;
    this.pruning = this.prune()
      .then((count) => {
        if (count > 0) this.log.log(`Pruned ${count} expired idempotency keys`);
      })
      .catch((err: unknown) => {
        this.log.warn(`Pruning idempotency keys failed: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => {
        this.pruning = undefined;
      });
  }
}
