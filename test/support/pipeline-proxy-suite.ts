import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type PipelineServiceApp, startAppWithPipelineService } from './pipeline-service-app.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const TRIGGERS_PER_MINUTE = 5;

/** The status and the stable problem code of an answer together, so a failure shows both. */
export const problem = (res: { statusCode: number; json: () => { code?: string } }) => ({
  status: res.statusCode,
  code: res.json().code,
});

/**
 * Registers, in the calling describe block, the app and the local pipeline service the proxy suites
 * drive (300 ms timeout, one retry after 50 ms, TRIGGERS_PER_MINUTE, no breaker in the way), started
 * before its tests and closed after them; the service forgets its requests and answers before each
 * test. `fake`, `t` and `warehouse` are getters, read inside tests.
 */
export function pipelineProxyApp() {
  let app: PipelineServiceApp | undefined;
  beforeAll(async () => {
    app = await startAppWithPipelineService({
      requestTimeoutMs: 300,
      retryDelaysMs: [50],
      triggerLimitPerMinute: TRIGGERS_PER_MINUTE,
      breaker: { volumeThreshold: 10_000 },
    });
  });
  afterAll(() => app?.close());
  beforeEach(() => void started().fake.reset());
  const started = (): PipelineServiceApp => {
    if (!app) throw new Error('the pipeline proxy app is not started');
    return app;
  };
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
    trigger: (org: string, key: string, path: string, opts: { headers?: object; payload?: object } = {}) =>
      started().t.app.inject({
        method: 'POST',
        url: `/api/v1/pipelines/${path.replace('{org}', org)}`,
        headers: { 'x-api-key': key, ...opts.headers },
        ...(opts.payload ? { payload: opts.payload } : {}),
      }),
  };
}
