import { type INestApplication, Logger } from '@nestjs/common';

/** Where the signals come from (the process) and how the process ends: a test passes its own. */
export interface ShutdownSignalsOptions {
  /** SHUTDOWN_GRACE_MS: how long the platform lets a stopping instance live. */
  graceMs: number;
  signals?: { on(event: 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown };
  exit?: (code: number) => void;
}

/**
 * On SIGTERM or SIGINT: closes the app (the server drains first, then the modules and the engines
 * close, see DrainFirstFastifyAdapter) and exits 0, so pino's exit handler flushes the last lines.
 * Exits 1 when closing fails, when it outlives the grace (the platform would kill the process
 * then anyway; better a line saying so), or at a second signal (Ctrl-C twice). Nest's own
 * enableShutdownHooks re-raises the signal instead, which ends even a clean drain with code 143
 * and skips the exit handlers.
 */
export function closeOnSignals(app: INestApplication, options: ShutdownSignalsOptions): void {
  const { graceMs, signals = process } = options;
  const logger = new Logger('Shutdown');
  let stopping = false;
  let exited = false;
  let deadline: NodeJS.Timeout | undefined;
  /** The first outcome ends the process (the others come too late for it). */
  const exit = (code: number) => {
    if (exited) return;
    exited = true;
    clearTimeout(deadline);
    (options.exit ?? ((c: number) => process.exit(c)))(code);
  };
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: stopping now, requests still in flight are dropped`);
      exit(1);
      return;
    }
    stopping = true;
    logger.log(`${signal}: finishing the requests in flight, then closing (grace ${graceMs} ms)`);
    deadline = setTimeout(() => {
      logger.error(`Still closing after ${graceMs} ms (SHUTDOWN_GRACE_MS): stopping now`);
      exit(1);
    }, graceMs);
    deadline.unref();
    app.close().then(
      () => exit(0),
      (err: unknown) => {
        logger.error(`Closing failed: ${err instanceof Error ? err.message : String(err)}`);
        exit(1);
      },
    );
  };
  signals.on('SIGTERM', stop);
  signals.on('SIGINT', stop);
}
