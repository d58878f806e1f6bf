import { pipelineServiceAppForAll } from './pipeline-service-app.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const TRIGGERS_PER_MINUTE = 5;

/** The status and the stable problem code of an answer together, so a failure shows both. */
export const problem = (res: { statusCode: number; json: () => { code?: string } }) => ({
  status: res.statusCode,
  code: res.json().code,
});

/**
 * The app and local pipeline service the proxy suites drive (300 ms timeout, one retry after 50 ms,
 * TRIGGERS_PER_MINUTE, no breaker in the way), as pipelineServiceAppForAll registers them, with
 * `trigger` to call a pipeline route with an org key.
 */
export function pipelineProxyApp() {
  const app = pipelineServiceAppForAll({
    requestTimeoutMs: 300,
    retryDelaysMs: [50],
    triggerLimitPerMinute: TRIGGERS_PER_MINUTE,
    breaker: { volumeThreshold: 10_000 },
  });
  return Object.assign(app, {
    trigger: (org: string, key: string, path: string, opts: { headers?: object; payload?: object } = {}) =>
      app.t.app.inject({
        method: 'POST',
        url: `/api/v1/pipelines/${path.replace('{org}', org)}`,
        headers: { 'x-api-key': key, ...opts.headers },
        ...(opts.payload ? { payload: opts.payload } : {}),
      }),
  });
}
