import 'reflect-metadata';
import type { ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { DestinationStream } from 'pino';
import {
  type AppConfig,
  DrainFirstFastifyAdapter,
  bufferedDestination,
  createLogger,
  FrameworkErrors,
  HttpMetrics,
  isBufferedDestination,
  PinoNestLogger,
  registerHttpPlatform,
  parseQuery,
  requestIdFor,
} from '#platform';
import { BootstrapService } from './admin/bootstrap.service.js';
import { CentralLocation } from './admin/central-location.js';
import { AppModule } from './app.module.js';
import { DemoInterrupted, DemoService } from './demo/demo.service.js';
import { ERROR_CATALOG } from './error-catalog.js';
import { HealthProbes } from './health/health-probes.js';
import { versionInfo } from './health/version-info.js';
import { setupOpenApi } from './openapi.js';

const MAX_PATH_PARAM_LENGTH = 1024;

export interface CreateAppOptions {
  /**
   * Where log lines go (stdout by default, buffered); tests capture them. A bufferedDestination is
   * written through once the app's server has closed (see createApp).
   */
  logDestination?: DestinationStream;
  /** Extra modules mounted on the app (test probes). */
  imports?: NonNullable<ModuleMetadata['imports']>;
  /**
   * Aborted by a signal during start-up: the DEMO_DATA seeding stops at its next batch, and the
   * app is returned as it is, for the caller (who was signalled) to close rather than serve.
   */
  stop?: AbortSignal;
}

/** Builds the initialised app (engines open, routes registered, bootstrapped when configured); not listening yet. */
export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<NestFastifyApplication> {
  const logDestination = options.logDestination ?? bufferedDestination(1);
  const logger = createLogger({
    level: config.env.LOG_LEVEL,
    secrets: [
      config.rootApiKey ?? '',
      config.env.SUPABASE_SERVICE_ROLE_KEY ?? '',
      config.env.METRICS_TOKEN ?? '',
    ],
    destination: logDestination,
  });
  const apiVersion = versionInfo(config.env).version;
  const frameworkErrors = new FrameworkErrors(config.isProduction, apiVersion);
  const adapter = new DrainFirstFastifyAdapter({
    loggerInstance: logger,
    // Access logs are written once per request by the platform's onResponse hook instead.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: requestIdFor,
    bodyLimit: config.env.BODY_LIMIT_BYTES,
    connectionTimeout: config.env.CONNECTION_IDLE_TIMEOUT_MS,
    // Trust exactly the configured number of proxy hops (proxy-addr's function form of a hop count).
    trustProxy: (_address: string, hop: number) => hop < config.env.TRUST_PROXY_HOPS,
    // The platform's onRequest hook answers requests that arrive while closing (problem+json).
    return503OnClosing: false,
    // No Nest middleware here: everything HTTP-wide is a Fastify hook (registerHttpPlatform), so
    // middie's request hook would run on every request for nothing. A module that declares Nest
    // middleware fails at start (Fastify has no `use` without middie) rather than being skipped.
    skipMiddie: true,
    // Run ids and other identifiers in paths may be 255 characters, percent-encoded up to 3 bytes
    // each (Fastify's default refuses a path parameter past 100).
    // Fastify's own query parser, remembering which parameters do not decode (refused by name).
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH, querystringParser: parseQuery },
    frameworkErrors: frameworkErrors.onRouterError,
    clientErrorHandler: frameworkErrors.onClientError,
    // A request without Host reaches the platform, which answers it as problem+json (Node's own
    // answer is an empty 400).
    http: { requireHostHeader: false },
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, options.imports),
    adapter,
    {
      logger: new PinoNestLogger(logger),
      abortOnError: false,
      // Fastify's own JSON parser (with the platform's empty-body rule) is the only one: Nest's
      // default would also read HTML form bodies into the DTOs of a JSON API.
      bodyParser: false,
    },
  );
  app
    .getHttpServer()
    .on('checkExpectation', frameworkErrors.onCheckExpectation)
    .on('timeout', frameworkErrors.onTimeout);
  if (isBufferedDestination(logDestination))
    // Once the server has closed (its requests answered), what is buffered is written and so is each
    // line of the rest of the shutdown, as it comes: buffered, they were lost when the grace ran out
    // first, and the destination's periodic flush went on after app.close() (in a test worker, one
    // for each app it had closed).
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onClose', (_instance, done) => {
        logDestination.writeThrough();
        done();
      });
  await registerHttpPlatform(app, {
    config,
    catalog: ERROR_CATALOG,
    metrics: app.get(HttpMetrics),
    quietRoutes: app.get(HealthProbes).quietRoutes,
    apiVersion,
    frameworkErrors,
  });
  const buildOpenApi = setupOpenApi(app);
  await app.init();
  // Past init the engines are open (the DuckDB file and the PGlite folder locked): a failure from
  // here on closes them before it is thrown, so the caller is not left holding them.
  try {
    await buildOpenApi();
    // Before the bootstrap's first query: a BIGQUERY_LOCATION other than the central dataset's.
    await app.get(CentralLocation).checkAtStart();
    if (config.env.BOOTSTRAP_ON_START) await app.get(BootstrapService).ensureBootstrapped();
    if (config.env.DEMO_DATA) {
      const demo = await app
        .get(DemoService)
        .ensureDemo({ rows: config.env.DEMO_ROWS, keepExisting: true, signal: options.stop })
        .catch((error: unknown) => {
          if (!(error instanceof DemoInterrupted)) throw error;
          logger.warn('Demo seeding stopped by a signal; the next DEMO_DATA start imports what it did not');
          return null;
        });
      if (!demo) return app;
      logger.info(
        { org: demo.org, file: demo.keyFile },
        'Demo organization ready; its API key (X-API-Key) is kept in this file',
      );
    }
    if (config.rootKeyFile)
      logger.info({ file: config.rootKeyFile }, 'Development root key (X-CA-Root-Key) is kept in this file');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}
