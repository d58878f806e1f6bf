import { Logger } from '@nestjs/common';
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

/**
 * One opossum breaker per upstream origin. The work passed in rejects only on a real upstream
 * failure (unreachable, timed out, 5xx); answers the caller must see (4xx, 429) resolve and so
 * never open a breaker.
 */
export class CircuitBreakers {
  private readonly logger = new Logger(CircuitBreakers.name);
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: PipelineProxyOptions['breaker']) {}

  async run<T>(upstream: string, work: () => Promise<T>): Promise<T> {
    const entry = this.entryFor(upstream);
    try {
      return (await entry.breaker.fire(work)) as T;
    } catch (err) {
      if ((err as { code?: string }).code === 'EOPENBREAKER')
        throw new CircuitOpenError(upstream, this.retryAfterSeconds(entry));
      throw err;
    }
  }

  shutdown(): void {
    for (const { breaker } of this.entries.values()) breaker.shutdown();
    this.entries.clear();
  }

  /** Seconds until the breaker lets a trial call through; 1 while that trial is in flight. */
  private retryAfterSeconds(entry: Entry): number {
    if (entry.breaker.halfOpen) return 1;
    const left = entry.openedAt + this.options.resetTimeoutMs - Date.now();
    return Math.max(1, Math.ceil(left / 1000));
  }

  private entryFor(upstream: string): Entry {
    const existing = this.entries.get(upstream);
    if (existing) return existing;
    const breaker = new CircuitBreaker<[Work], unknown>((work) => work(), {
      name: upstream,
      timeout: false, // the client enforces its own connect and response timeouts
      resetTimeout: this.options.resetTimeoutMs,
      volumeThreshold: this.options.volumeThreshold,
      errorThresholdPercentage: this.options.errorThresholdPercentage,
      rollingCountTimeout: this.options.rollingCountTimeoutMs,
    });
    const entry: Entry = { breaker, openedAt: 0 };
    breaker.on('open', () => {
      entry.openedAt = Date.now();
      this.logger.warn(
        `Circuit to ${upstream} opened; calls fail fast for ${this.options.resetTimeoutMs} ms`,
      );
    });
    breaker.on('halfOpen', () => this.logger.log(`Circuit to ${upstream} half-open; trying one call`));
    breaker.on('close', () => this.logger.log(`Circuit to ${upstream} closed`));
    this.entries.set(upstream, entry);
    return entry;
  }
}
