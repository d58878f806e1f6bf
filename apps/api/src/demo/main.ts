/**
 * `npm run demo [-- --rows 1000000] [--seed 42] [--end 2026-01-31] [--serve]`: onboards `demo_org`
 * on the configured engines (the embedded DuckDB and PGlite by default, under DATA_DIR), imports a
 * synthetic year of FOCUS costs, prints the org's API key and curl calls, then exits, or keeps
 * serving with --serve. Run `npm start` afterwards to serve the same data.
 */
import { parseArgs } from 'node:util';
import { ConfigValidationError, MAX_DEMO_ROWS, MIN_DEMO_ROWS } from '#platform';
import { loadConfiguredApp } from '../boot.js';
import { closeOnSignals, signalExitCode } from '../shutdown-signals.js';
import { startFailureMessage } from '../start-failure.js';
import { demoBaseUrl, demoInstructions } from './demo-curl.js';
import { DEFAULT_DEMO_ROWS } from './demo-catalog.js';

/** A decimal whole number, as DEMO_ROWS reads one: Number() alone took `0x20` and `1e3` too. */
const wholeNumber = (text: string) => (/^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : Number.NaN);

function options() {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: String(DEFAULT_DEMO_ROWS) },
      seed: { type: 'string', default: '42' },
      end: { type: 'string' },
      serve: { type: 'boolean', default: false },
    },
  });
  const rows = wholeNumber(values.rows);
  const seed = wholeNumber(values.seed);
  if (!Number.isSafeInteger(rows) || rows < MIN_DEMO_ROWS || rows > MAX_DEMO_ROWS)
    throw new Error(`--rows must be a whole number from ${MIN_DEMO_ROWS} to ${MAX_DEMO_ROWS}`);
  if (!Number.isSafeInteger(seed)) throw new Error('--seed must be a whole number');
  if (values.end !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.end))
    throw new Error('--end must be a date, YYYY-MM-DD');
  return { rows, seed, end: values.end, serve: values.serve };
}

async function main(): Promise<void> {
  const args = options();
  const { config, createApp } = await loadConfiguredApp();
  // Like the app's modules, loaded once the configuration is known to be valid (see boot.ts).
  const { DemoService } = await import('./demo.service.js');
  const stop = new AbortController();
  let seeded = false;
  const starting = createApp({ stop: stop.signal });
  // A signal stops the seeding at its next batch; the handler closes the app and ends the process,
  // alone (the paths below leave it to it): 130 (SIGINT) or 143 (SIGTERM) while the demo had not
  // seeded, as a shell reports a command it interrupted, so that `npm run demo && …` goes no
  // further; 0 once seeded (--serve stopped the usual way), as `npm start`.
  const shutdown = closeOnSignals(starting, {
    graceMs: config.env.SHUTDOWN_GRACE_MS,
    onStop: () => stop.abort(),
    closedExitCode: (signal) => (seeded ? 0 : signalExitCode(signal)),
  });
  const app = await starting;
  if (shutdown.stopping) return;
  try {
    const started = Date.now();
    const result = await app.get(DemoService).ensureDemo({ ...args, signal: stop.signal });
    seeded = true;
    process.stdout.write(demoInstructions(result, demoBaseUrl(config.env.HOST, config.env.PORT)));
    process.stdout.write(`(seeded in ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    if (args.serve && !shutdown.stopping) {
      await app.listen({ port: config.env.PORT, host: config.env.HOST });
      process.stdout.write(`Serving on port ${config.env.PORT}; Ctrl-C to stop.\n`);
      return;
    }
  } catch (error) {
    if (shutdown.stopping) return;
    await app.close();
    throw error;
  }
  if (!shutdown.stopping) await app.close();
}

main().catch((error: unknown) => {
  if (error instanceof ConfigValidationError) console.error(error.message);
  // Masked and with its causes, as the server's own start failures (a URL's password never printed).
  else console.error(`Demo failed: ${startFailureMessage(error)}`);
  if (error instanceof Error && error.message.includes('in use by another process'))
    console.error(
      'Stop the server first, then run the demo again (add -- --serve to serve right after seeding), ' +
        'or seed from the server itself: DEMO_DATA=true npm start',
    );
  process.exit(1);
});
