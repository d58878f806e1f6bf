import { afterAll, beforeAll, beforeEach } from 'vitest';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import {
  pipelineProxyOptionsOverride,
  type PipelineProxyOptionsOverride,
} from '../../apps/api/src/pipelines-proxy/pipeline-proxy.options.js';
import { FakePipelineService } from './fake-pipeline-service.js';
import { NO_LIMITS } from './org-onboarding.js';
import { startTestApp, type TestApp } from './test-app.js';

export interface PipelineServiceApp {
  fake: FakePipelineService;
  t: TestApp;
  warehouse: Warehouse;
  /** Stops the app first (it may still be calling the fake), then the fake. */
  close(): Promise<void>;
}

/** The app without rate limits, proxying to a fresh local pipeline service, with these proxy options. */
export async function startAppWithPipelineService(
  proxy: PipelineProxyOptionsOverride,
  env: Record<string, string> = {},
  /** Where the fake listens: a port the system picks (0) unless given. */
  port = 0,
): Promise<PipelineServiceApp> {
  const fake = await FakePipelineService.start(port);
  try {
    const t = await startTestApp(
      { ...NO_LIMITS, PIPELINE_SERVICE_URL: fake.url, ...env },
      { imports: [pipelineProxyOptionsOverride(proxy)] },
    );
    const close = async () => {
      await t.close();
      await fake.close();
    };
    return { fake, t, warehouse: t.app.get<Warehouse>(WAREHOUSE), close };
  } catch (err) {
    await fake.close();
    throw err;
  }
}

/**
 * Registers, in the calling describe block, startAppWithPipelineService's app and service, started
 * before its tests and closed after them; the service forgets its requests and answers before each
 * test. `fake`, `t` and `warehouse` are getters, read inside tests.
 */
export function pipelineServiceAppForAll(
  proxy: PipelineProxyOptionsOverride,
  env: Record<string, string> = {},
): Omit<PipelineServiceApp, 'close'> {
  let app: PipelineServiceApp | undefined;
  const started = (): PipelineServiceApp => {
    if (!app) throw new Error('the app with its pipeline service is not started');
    return app;
  };
  beforeAll(async () => {
    app = await startAppWithPipelineService(proxy, env);
  });
  afterAll(() => app?.close());
  beforeEach(() => void started().fake.reset());
  return {
    get fake() {
      return started().fake;
    },
    get t() {
      return started().t;
    },
    get warehouse() {
      return started().warehouse;
    },
  };
}
