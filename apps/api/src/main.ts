import { ConfigValidationError } from '#platform';
import { type ConfiguredApp, loadConfiguredApp } from './boot.js';
import { closeOnSignals } from './shutdown-signals.js';
import { exitAfterFailedStart } from './start-failure.js';

async function main(): Promise<void> {
  let configured: ConfiguredApp;
  try {
    configured = await loadConfiguredApp();
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const { config } = configured;
  // Listening for signals from the start on: one during start-up closes the app once it is open,
  // a DEMO_DATA seeding stopped at its next batch rather than waited for whole.
  const stop = new AbortController();
  const starting = configured.createApp({ stop: stop.signal });
  const shutdown = closeOnSignals(starting, {
    graceMs: config.env.SHUTDOWN_GRACE_MS,
    onStop: () => stop.abort(),
  });
  const app = await starting;
  if (shutdown.stopping) return;
  try {
    await app.listen({ port: config.env.PORT, host: config.env.HOST });
  } catch (err) {
    // A port taken or not permitted: the engines are open by now, and are closed (the DuckDB file
    // checkpointed, the PGlite folder shut down) before the failure ends the process.
    await app.close().catch(() => undefined);
    // Named as every bad setting is: "getaddrinfo ENOTFOUND …" or "listen EACCES …" alone did not
    // say which setting to fix.
    const { HOST, PORT } = config.env;
    throw new Error(`Cannot listen on ${HOST}:${PORT} (HOST, PORT)`, { cause: err });
  }
}

main().catch((err: unknown) => exitAfterFailedStart(err));
