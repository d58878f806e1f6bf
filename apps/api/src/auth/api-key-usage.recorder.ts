import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { AppConfig, ENGINES_CLOSE_MARGIN_MS, ShutdownState } from '#platform';
import { central, WAREHOUSE, type Warehouse } from '#warehouse';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Keeps `org_api_keys.last_used_at`: authentications only add the key id to a set (no I/O on the
 * request path), and one UPDATE per flush interval writes them all with the time of the flush. A
 * failed flush puts its ids back for the next one; shutdown flushes what is left. Warehouse DML is
 * slow and rate-limited, so the time is accurate to the interval, as in the system we replace.
 */
@Injectable()
export class ApiKeyUsageRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ApiKeyUsageRecorder.name);
  private pending = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<number> | null = null;
  /** Resolved near the end of the shutdown grace: the last flush is not waited for past it. */
  private readonly graceEnding: Promise<void>;
  private readonly disarmGraceEnd: () => void;

  constructor(
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    config: AppConfig,
    shutdown: ShutdownState,
  ) {
    this.timer = setInterval(() => void this.flush(), config.env.KEY_USAGE_FLUSH_MS);
    this.timer.unref();
    let graceEnded = () => {};
    this.graceEnding = new Promise((resolve) => (graceEnded = resolve));
    this.disarmGraceEnd = shutdown.nearGraceEnd(config.env.SHUTDOWN_GRACE_MS, ENGINES_CLOSE_MARGIN_MS, () =>
      graceEnded(),
    );
  }

  record(apiKeyId: string): void {
    // Ids come from our own table; anything else (a dev key id) has no row to update.
    // Called on every authenticated request: a key already pending costs one lookup.
    if (!this.pending.has(apiKeyId) && UUID.test(apiKeyId)) this.pending.add(apiKeyId);
  }

  /** Writes the pending ids; resolves to how many were written (0 when nothing was pending or it failed). */
  flush(): Promise<number> {
    // One flush at a time: a slow UPDATE must not overlap the next tick's.
    this.flushing ??= this.write().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async write(): Promise<number> {
    if (this.pending.size === 0) return 0;
    const ids = [...this.pending];
    this.pending = new Set();
    try {
      await this.warehouse.query(
        `UPDATE ${central('org_api_keys')} SET last_used_at = CURRENT_TIMESTAMP()
         WHERE org_api_key_id IN UNNEST(@ids)`,
        { ids },
        { timeoutMs: 30_000 },
      );
      return ids.length;
    } catch (err) {
      for (const id of ids) this.pending.add(id);
      this.logger.warn(
        `last_used_at of ${ids.length} API keys not written, retried next flush: ${String(err)}`,
      );
      return 0;
    }
  }

  /**
   * Before the engines close (they do on application shutdown), but not past the grace: an UPDATE
   * that does not answer (its timeout is 30 s, BigQuery queues DML) would keep the engines open
   * until the platform kills the process. What is still unwritten then is lost, with a warning.
   */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    // A flush in flight writes only the ids it took when it began: the ones recorded since need
    // one more, or they are lost with the process.
    const flushed = (async () => {
      await this.flushing;
      await this.flush();
      return true;
    })();
    const done = await Promise.race([flushed, this.graceEnding.then(() => false)]);
    this.disarmGraceEnd();
    if (!done)
      this.logger.warn(
        'last_used_at of API keys used lately not written: the warehouse did not answer within the shutdown grace',
      );
  }
}
