import { Injectable } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';

/**
 * What is left of the shutdown grace for the engines to close, once the work still waiting on them
 * is cut (tenancy statements on a lock) or given up on (imports still running): see nearGraceEnd.
 */
export const ENGINES_CLOSE_MARGIN_MS = 3_000;

/**
 * Whether this instance has begun to stop: set when its HTTP server starts closing, the first step
 * of a shutdown (see DrainFirstFastifyAdapter), before any module tears down. Requests arriving from
 * then on are refused with a 503 (the platform's onRequest hook), except on routes that say how the
 * instance is doing (`answersWhileClosing` in their route config: `/health/live`).
 */
@Injectable()
export class ShutdownState {
  private readonly controller = new AbortController();
  /** Aborted when shutdown begins: for work that must be cut before the process is stopped. */
  readonly signal: AbortSignal = this.controller.signal;

  /** A plain field, not the signal's getter: every request reads it. */
  private started = false;

  get shuttingDown(): boolean {
    return this.started;
  }

  begin(): void {
    this.started = true;
    this.controller.abort();
  }

  /**
   * Runs `cut` once shutdown has begun and its grace (SHUTDOWN_GRACE_MS, Cloud Run's 10 s) is
   * nearly over: `marginMs` before its end, or half-way through a grace shorter than twice that.
   * For work that may outlast the grace (a statement on a lock, a call to a slow service): cut
   * then, its request still answers before the process is stopped with its connection.
   *
   * Returns what disarms it, for its user to call once nothing of its own can need the cut (the
   * tenancy DB's close, the last of a shutdown, waits on the statements it cuts): left armed, the
   * timer fired seconds after app.close() had returned, at engines long closed, in a process that
   * goes on (a test worker, a caller that closes the app and carries on).
   */
  nearGraceEnd(graceMs: number, marginMs: number, cut: () => void): () => void {
    const wait = graceMs - Math.min(marginMs, graceMs / 2);
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(cut, wait).unref();
    };
    this.signal.addEventListener('abort', arm, { once: true });
    return () => {
      this.signal.removeEventListener('abort', arm);
      clearTimeout(timer);
    };
  }
}

/** Route config of a route answered while the instance closes (see ShutdownState). */
export interface ShutdownRouteConfig {
  answersWhileClosing?: boolean;
}

/**
 * Nest's shutdown runs onModuleDestroy hooks first and closes the HTTP server afterwards, so
 * requests still in flight (or arriving on kept-alive connections) were served by modules already
 * torn down: caches unsubscribed from invalidations and revocations, the rate limiter's Redis
 * closed. Nest calls `beforeClose` at the very start of `app.close()` and of a signal's shutdown:
 * here it drains the server (refuse new connections, finish the requests in flight) before any
 * module hook runs. Nest's own close of the server afterwards finds it closed.
 */
export class DrainFirstFastifyAdapter extends FastifyAdapter {
  override async beforeClose(): Promise<void> {
    super.beforeClose();
    await this.close();
  }
}
