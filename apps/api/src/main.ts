import { ConfigValidationError, loadAppConfig } from '#platform';
import { createApp } from './app.factory.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadAppConfig();
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const app = await createApp(config);
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
