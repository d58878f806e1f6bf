import { Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import CircuitBreaker from 'opossum';
import type { PipelineProxyOptions } from './pipeline-proxy.options.js';

type Work = () => Promise<unknown>;

/** Thrown instead of calling the upstream while its breaker is open. */
export class CircuitOpenError extends Error {
  constructor(
    readonly upstream: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`Circuit open for ${upstream}`);
  }
}

interface Entry {
  breaker: CircuitBreaker<[Work], unknown>;
  openedAt: number;
}

/** Tenants whose breakers are kept; the least recently used beyond it start afresh (closed). */
const MAX_TENANT_BREAKERS = 10_000;

/**
 * Two opossum breakers on every call: one per upstream origin, shared by every tenant, and one per
 * (upstream, tenant). The work passed in rejects only on a real upstream failure (unreachable,
 * timed out, 5xx); answers the caller must see (4xx, 429) resolve and so never open a breaker.
 *
 * The shared breaker counts only what says the upstream itself is failing (`isUpstreamDown`:
 * unreachable, timed out, a gateway's 502/503/504): one tenant whose runs fail (a 500 for its
 * broken configuration) must not shut every tenant out of a service that works. That tenant's
 * own breaker counts every failure and opens for it alone. An error that is no answer of the
 * service at all (`isUpstreamAnswer` false: a TypeError of our own) says nothing of it either way;
 * see sharedEntry.
 */
export class CircuitBreakers {
  private readonly logger = new Logger(CircuitBreakers.name);
  private readonly upstreams = new Map<string, Entry>();
  private readonly tenants: LRUCache<string, Entry>;

  constructor(
    private readonly options: PipelineProxyOptions['breaker'],
    private readonly isUpstreamDown: (err: unknown) => boolean,
    private readonly isUpstreamAnswer: (err: unknown) => boolean,
  ) {
    // A tenant that stopped calling: its breaker (and its timers) go once nothing it recorded can
    // matter, its window and any open period over.
    this.tenants = new LRUCache<string, Entry>({
      max: MAX_TENANT_BREAKERS,
      ttl: options.rollingCountTimeoutMs + options.resetTimeoutMs,
      updateAgeOnGet: true,
      ttlAutopurge: true,
      dispose: (entry) => entry.breaker.shutdown(),
    });
  }

  async run<T>(upstream: string, tenant: string, work: () => Promise<T>): Promise<T> {
    const shared = this.sharedEntry(upstream);
    const own = this.tenantEntry(upstream, tenant);
    // The shared breaker would refuse (open, or half-open with its trial in flight): refused here,
    // before the tenant's is fired, so a half-open tenant breaker keeps its trial for a call that
    // reaches the service (a refusal counted as its trial closed it with no call made). The
    // tenant's own refusal comes first, as below, so its wait is the one named.
    if (
      !shared.breaker.closed &&
      !shared.breaker.pendingClose &&
      (own.breaker.closed || own.breaker.pendingClose)
    )
      throw new CircuitOpenError(upstream, this.retryAfterSeconds(shared));
    // Whether the tenant's breaker let the call through: if not, it is the one that refused.
    let passedOwn = false;
    try {
      // The tenant's breaker first: while it is open, the call never reaches the shared one,
      // whose window then holds only calls that went to the service.
      return (await own.breaker.fire(() => {
        passedOwn = true;
        return shared.breaker.fire(work);
      })) as T;
    } catch (err) {
      if ((err as { code?: string }).code === 'EOPENBREAKER') {
        throw new CircuitOpenError(upstream, this.retryAfterSeconds(passedOwn ? shared : own));
      }
      throw err;
    }
  }

  shutdown(): void {
    for (const { breaker } of this.upstreams.values()) breaker.shutdown();
    this.upstreams.clear();
    this.tenants.clear();
  }

  /** Seconds until the breaker lets a trial call through; 1 while that trial is in flight. */
  private retryAfterSeconds(entry: Entry): number {
    if (entry.breaker.halfOpen) return 1;
    const left = entry.openedAt + this.options.resetTimeoutMs - Date.now();
    return Math.max(1, Math.ceil(left / 1000));
  }

  private sharedEntry(upstream: string): Entry {
    let entry = this.upstreams.get(upstream);
    if (!entry) {
      // Not counted against the upstream: a failure of one tenant's run (the service answered, so
      // it is up). Opossum has no neutral outcome (a filtered error counts as a success, which
      // closes a half-open breaker): an error that is no answer of the service, which proves
      // nothing of it, is no failure while the breaker is closed (one bug of ours must not shut
      // every tenant out); as a half-open breaker's trial it is one, keeping the breaker open
      // rather than closing it on no evidence that the service is back.
      entry = this.entry(
        upstream,
        (err) => !this.isUpstreamDown(err) && (this.isUpstreamAnswer(err) || !entry?.breaker.halfOpen),
      );
      this.upstreams.set(upstream, entry);
    }
    return entry;
  }

  private tenantEntry(upstream: string, tenant: string): Entry {
    const key = `${upstream} for ${tenant}`;
    let entry = this.tenants.get(key);
    if (!entry) {
      // Not counted against the tenant: the shared breaker being open (the service is down); but
      // never taken for the success of its trial call, which only a call to the service can be.
      entry = this.entry(
        key,
        (err) => (err as { code?: string }).code === 'EOPENBREAKER' && !entry?.breaker.halfOpen,
      );
      this.tenants.set(key, entry);
    }
    return entry;
  }

  /** A breaker named `name`; a failure `errorFilter` accepts is not counted against it. */
  private entry(name: string, errorFilter: (err: unknown) => boolean): Entry {
    const breaker = new CircuitBreaker<[Work], unknown>((work) => work(), {
      name,
      timeout: false, // the client enforces its own connect and response timeouts
      resetTimeout: this.options.resetTimeoutMs,
      volumeThreshold: this.options.volumeThreshold,
      errorThresholdPercentage: this.options.errorThresholdPercentage,
      rollingCountTimeout: this.options.rollingCountTimeoutMs,
      errorFilter,
    });
    const entry: Entry = { breaker, openedAt: 0 };
    breaker.on('open', () => {
      entry.openedAt = Date.now();
      this.logger.warn(`Circuit to ${name} opened; calls fail fast for ${this.options.resetTimeoutMs} ms`);
    });
    breaker.on('halfOpen', () => this.logger.log(`Circuit to ${name} half-open; trying one call`));
    breaker.on('close', () => this.logger.log(`Circuit to ${name} closed`));
    return entry;
  }
}
