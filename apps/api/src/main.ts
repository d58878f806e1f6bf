import { ConfigValidationError } from '#platform';
import { type ConfiguredApp, loadConfiguredApp } from './boot.js';

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
  const app = await configured.createApp();
  await app.listen({ port: config.env.PORT, host: config.env.HOST });
  // Nest's shutdown hooks close the server (in-flight requests finish), then the engines.
  const grace = config.env.SHUTDOWN_GRACE_MS;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => process.exit(1), grace).unref();
    });
  }
}

main().catch((err: unknown) => {
  console.error('Fatal error at start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
