import { constants } from 'node:os';
import { type INestApplication, Logger } from '@nestjs/common';

/** Where the signals come from (the process) and how the process ends: a test passes its own. */
export interface ShutdownSignalsOptions {
  /** SHUTDOWN_GRACE_MS: how long the platform lets a stopping instance live. */
  graceMs: number;
  signals?: { on(event: 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown };
  exit?: (code: number) => void;
  /** Called at the first signal, before the app is closed: what the start is doing is cut short. */
  onStop?: (signal: NodeJS.Signals) => void;
  /**
   * The status a clean close after `signal` ends with: 0 by default, a server being stopped the
   * usual way. A command that had not finished (the demo seeding) says it was interrupted
   * (signalExitCode).
   */
  closedExitCode?: (signal: NodeJS.Signals) => number;
}

/** What a shell reports for a command a signal ended: 128 + its number (130 SIGINT, 143 SIGTERM). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}

/** Whether a signal came: a start stopped so must not begin to serve. */
export interface SignalShutdown {
  readonly stopping: boolean;
}

/**
 * On SIGTERM or SIGINT: closes the app (the server drains first, then the modules and the engines
 * close, see DrainFirstFastifyAdapter) and exits 0 (or closedExitCode's status), so pino's exit
 * handler flushes the last lines.
 * Exits 1 when closing fails, when it outlives the grace (the platform would kill the process
 * then anyway; better a line saying so), or at a second signal (Ctrl-C twice). Nest's own
 * enableShutdownHooks re-raises the signal instead, which ends even a clean drain with code 143
 * and skips the exit handlers.
 *
 * Given the app still starting (its promise), a signal during start-up stops it too: the start is
 * let finish opening the engines, then closed, instead of the process being ended mid-migration
 * with the PGlite folder and the DuckDB file open (by the default action, or by proper-lockfile's
 * exit hook re-raising the signal: code 143, nothing closed, no line saying why). The caller must
 * then not listen (`stopping`); a start that fails meanwhile is left to its own report. What the
 * start does that may take long (the DEMO_DATA seeding) is cut short through `onStop`.
 */
export function closeOnSignals(
  app: INestApplication | Promise<INestApplication>,
  options: ShutdownSignalsOptions,
): SignalShutdown {
  const { graceMs, signals = process } = options;
  const logger = new Logger('Shutdown');
  let stopping = false;
  let exited = false;
  /** Whether the app is open: a signal before that stops a start, not a server. */
  let started = !(app instanceof Promise);
  if (app instanceof Promise)
    app.then(
      () => (started = true),
      () => undefined,
    );
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
    options.onStop?.(signal);
    logger.log(
      started
        ? `${signal}: finishing the requests in flight, then closing (grace ${graceMs} ms)`
        : `${signal} during start-up: not serving; closing once the engines are open (grace ${graceMs} ms)`,
    );
    deadline = setTimeout(() => {
      logger.error(`Still closing after ${graceMs} ms (SHUTDOWN_GRACE_MS): stopping now`);
      exit(1);
    }, graceMs);
    deadline.unref();
    Promise.resolve(app).then(
      (opened) =>
        opened.close().then(
          () => exit(options.closedExitCode?.(signal) ?? 0),
          (err: unknown) => {
            logger.error(`Closing failed: ${err instanceof Error ? err.message : String(err)}`);
            exit(1);
          },
        ),
      // The start failed: its own handler reports why and exits 1.
      () => clearTimeout(deadline),
    );
  };
  signals.on('SIGTERM', stop);
  signals.on('SIGINT', stop);
  return {
    get stopping() {
      return stopping;
    },
  };
}
