import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { type ClaimOutcome, type IdempotencyClaim, IdempotencyRepository } from './idempotency.repository.js';
import type { StoredBody } from './json-value.js';
import { redactSecrets } from './redact-secrets.js';

/** How long a response is replayed (Stripe's 24 hours). */
export const IDEMPOTENCY_TTL_SECONDS = 86_400;
/**
 * How long a claim blocks duplicates before it is taken for a crashed instance's: longer than any
 * request runs, short enough that a lost claim does not hold a key for long.
 */
export const IDEMPOTENCY_LOCK_SECONDS = 300;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Idempotency keys: claims, stored responses, their expiry, and their removal with an org. */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Idempotency');
  private timer: NodeJS.Timeout | undefined;
  private pruning: Promise<void> | undefined;

  constructor(private readonly repo: IdempotencyRepository) {}

  claim(claim: IdempotencyClaim & { orgSlug: string | null }): Promise<ClaimOutcome> {
    return this.repo.claim({
      ...claim,
      ttlSeconds: IDEMPOTENCY_TTL_SECONDS,
      lockSeconds: IDEMPOTENCY_LOCK_SECONDS,
    });
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
