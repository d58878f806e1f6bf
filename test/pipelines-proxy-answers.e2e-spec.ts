import type { Warehouse } from '#warehouse';
import { type FakePipelineService } from '#test/fake-pipeline-service';
import { until } from '#test/waiting';
import { anOrgWithKey } from '#test/org-factory';
import { type TestApp } from '#test/test-app';
import { startAppWithPipelineService } from '#test/pipeline-service-app';

/** A test that starts its own app: a start takes seconds, more on a busy machine. */
const APP_TEST_TIMEOUT_MS = 120_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('pipeline proxy: what of the service answer reaches the caller', () => {
  let fake: FakePipelineService;
  let t: TestApp;
  let warehouse: Warehouse;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ fake, t, warehouse, close } = await startAppWithPipelineService({
      requestTimeoutMs: 2_000,
      retryDelaysMs: [20],
      triggerLimitPerMinute: 1_000,
      breaker: { volumeThreshold: 10_000 },
    }));
  });
  afterAll(() => close());
  beforeEach(() => void fake.reset());

  const trigger = async () => {
    const k = await anOrgWithKey(warehouse);
    return t.app.inject({
      method: 'POST',
      url: `/api/v1/pipelines/trigger/${k.org}/genai/payg/openai`,
      headers: { 'x-api-key': k.key },
    });
  };

  it('refuses a 2xx whose run id, pipeline id or status is no short string (502 naming it), echoing none of it', async () => {
    const huge = 'x'.repeat(200_000);
    for (const [field, value] of [
      ['pipeline_id', huge],
      ['pipeline_logging_id', { id: 'run-1' }],
      ['status', 42],
      ['status', 'PENDING\n<script>'],
      ['pipeline_logging_id', 'r'.repeat(129)],
    ] as const) {
      fake.always({ status: 200, body: { pipeline_logging_id: 'run-1', status: 'PENDING', [field]: value } });
      const res = await trigger();
      expect({ status: res.statusCode, type: res.headers['content-type'] }, field).toEqual({
        status: 502,
        type: expect.stringContaining('application/problem+json'),
      });
      expect(res.json()).toMatchObject({
        code: 'PIPELINE_SERVICE_BAD_GATEWAY',
        upstream_status: 200,
        field,
        detail: expect.stringContaining('may or may not have started'),
      });
      expect(res.body.length).toBeLessThan(2_000);
    }
    // At their limits, and absent, they pass as before.
    fake.always({
      status: 200,
      body: { pipeline_logging_id: 'r'.repeat(128), pipeline_id: 'p'.repeat(512), status: 'S'.repeat(64) },
    });
    expect((await trigger()).json()).toMatchObject({
      pipeline_logging_id: 'r'.repeat(128),
      status: 'S'.repeat(64),
    });
    fake.always({ status: 200, body: { pipeline_logging_id: null, status: '' } });
    expect((await trigger()).json()).toMatchObject({ pipeline_logging_id: null, status: 'PENDING' });
  });

  it('reads an answer whose detail is nested too deep to write out again: a started run is no 500', async () => {
    // 10,000 levels in 20 kB: JSON.parse reads them, JSON.stringify overflows the stack.
    const nested = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const answer = (fields: string) => `{${fields}"detail":${nested}}`;
    fake.always({ status: 200, body: answer('"pipeline_logging_id":"run-1","status":"PENDING",') });
    const started = await trigger();
    expect({ status: started.statusCode, body: started.json() }).toMatchObject({
      status: 200,
      body: { pipeline_logging_id: 'run-1', status: 'PENDING' },
    });
    fake.always({ status: 400, body: answer('') });
    const refused = await trigger();
    expect({ status: refused.statusCode, body: refused.json() }).toMatchObject({
      status: 400,
      body: { code: 'PIPELINE_REQUEST_REJECTED', detail: 'Pipeline service error: HTTP 400' },
    });
  });
});

describe('pipeline proxy: an answer whose body is over the size limit', () => {
  it(
    "passes a 4xx's or a 429's status on, and never counts it against the shared breaker",
    async () => {
      const { fake, t, warehouse, close } = await startAppWithPipelineService({
        maxResponseBytes: 1_024,
        retryDelaysMs: [20],
        triggerLimitPerMinute: 1_000,
        breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 30_000 },
      });
      try {
        const trigger = async () => {
          const k = await anOrgWithKey(warehouse);
          return t.app.inject({
            method: 'POST',
            url: `/api/v1/pipelines/trigger/${k.org}/genai/payg/openai`,
            headers: { 'x-api-key': k.key },
          });
        };
        const big = 'y'.repeat(64 * 1024);
        fake.always({ status: 429, body: { detail: big }, headers: { 'Retry-After': '7' } });
        const limited = await trigger();
        expect({ status: limited.statusCode, body: limited.json() }).toMatchObject({
          status: 429,
          body: {
            code: 'PIPELINE_RATE_LIMITED',
            detail: 'Pipeline rate limit exceeded',
            upstream_status: 429,
          },
        });
        expect(limited.headers['retry-after']).toBe('7');
        for (const status of [400, 404, 413, 422]) {
          fake.always({ status, body: big });
          const res = await trigger();
          expect({ status: res.statusCode, detail: res.json().detail }).toEqual({
            status: status === 413 ? 400 : status,
            detail: `Pipeline service error: HTTP ${status}`,
          });
          expect(res.body).not.toContain('yyyy');
        }
        // Six answers of a service that is up: the shared breaker is still closed for everyone.
        fake.reset();
        expect((await trigger()).statusCode).toBe(200);
        // A 2xx with such a body tells nothing of the run: 502, and the run may have started.
        fake.always({ status: 200, body: { status: 'PENDING', message: big } });
        expect((await trigger()).json()).toMatchObject({
          status: 502,
          code: 'PIPELINE_SERVICE_BAD_GATEWAY',
          detail: expect.stringContaining('may or may not have started'),
        });
      } finally {
        await close();
      }
    },
    APP_TEST_TIMEOUT_MS,
  );
});

describe('pipeline proxy: kept-alive connections to the service', () => {
  it(
    'closes a connection left unused before the service would (uvicorn: 5 s, unannounced), and reuses one in time',
    async () => {
      const { fake, t, warehouse, close } = await startAppWithPipelineService({ freeSocketTimeoutMs: 1_000 });
      try {
        const k = await anOrgWithKey(warehouse);
        const trigger = () =>
          t.app.inject({
            method: 'POST',
            url: `/api/v1/pipelines/trigger/${k.org}/genai/payg/openai`,
            headers: { 'x-api-key': k.key },
          });
        expect((await trigger()).statusCode).toBe(200);
        expect(fake.openConnections).toBe(1);
        // Used again within the limit: the same connection, no new one.
        await sleep(300);
        expect((await trigger()).statusCode).toBe(200);
        expect(fake.openConnections).toBe(1);
        // Unused for the limit: closed by the proxy, long before the fake's own 5 s keep-alive.
        const idleFrom = Date.now();
        await until(() => fake.openConnections === 0, 4_000);
        expect(Date.now() - idleFrom).toBeLessThan(3_000);
        expect((await trigger()).statusCode).toBe(200);
        expect(fake.requests).toHaveLength(3);
      } finally {
        await close();
      }
    },
    APP_TEST_TIMEOUT_MS,
  );
});

describe('pipeline proxy: one deadline for a call and its retries', () => {
  it(
    'cuts the retries at PIPELINE_SERVICE_DEADLINE_MS instead of attempt after attempt of a slow gateway',
    async () => {
      const { fake, t, warehouse, close } = await startAppWithPipelineService(
        { requestTimeoutMs: 10_000, retryDelaysMs: [20], breaker: { volumeThreshold: 10_000 } },
        { PIPELINE_SERVICE_DEADLINE_MS: '1000' },
      );
      try {
        const k = await anOrgWithKey(warehouse);
        // A gateway answering 503 after 900 ms: three attempts would take 2.7 s, each within its
        // own timeout; the second is still waiting when the call's 1 s are over.
        fake.always({ status: 503, body: { detail: 'warming up' }, delayMs: 900 });
        const started = Date.now();
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/v1/pipelines/trigger/${k.org}/genai/payg/openai`,
          headers: { 'x-api-key': k.key },
        });
        expect(Date.now() - started).toBeLessThan(1_950);
        expect(res.json()).toMatchObject({
          status: 504,
          code: 'PIPELINE_SERVICE_TIMEOUT',
          detail: expect.stringContaining('may or may not have started'),
        });
        expect(fake.requests).toHaveLength(2);
      } finally {
        await close();
      }
    },
    APP_TEST_TIMEOUT_MS,
  );
});
