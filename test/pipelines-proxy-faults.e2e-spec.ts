import { WAREHOUSE, type Warehouse } from '#warehouse';
import { pipelineProxyOptionsOverride } from '../apps/api/src/pipelines-proxy/pipeline-proxy.options.js';
import { FakePipelineService } from '#test/fake-pipeline-service';
import { anOrgWithKey } from '#test/org-factory';
import { NO_LIMITS } from '#test/org-onboarding';
import { startTestApp, type TestApp } from '#test/test-app';
import { until } from '#test/waiting';
import { startAppWithPipelineService } from '#test/pipeline-service-app';
import { LogCapture } from '#test/log-capture';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('pipeline proxy when the pipeline service is down', () => {
  let t: TestApp;
  let warehouse: Warehouse;
  let port: number;
  let fake: FakePipelineService | null = null;
  const logs = new LogCapture();

  beforeAll(async () => {
    port = await FakePipelineService.freePort();
    t = await startTestApp(
      { ...NO_LIMITS, PIPELINE_SERVICE_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn' },
      {
        logDestination: logs,
        imports: [
          pipelineProxyOptionsOverride({ retryDelaysMs: [400], breaker: { volumeThreshold: 10_000 } }),
        ],
      },
    );
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
  });
  afterAll(async () => {
    await t.close();
    await fake?.close();
  });

  const trigger = (org: string, key: string) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/pipelines/trigger/${org}/genai/payg/openai`,
      headers: { 'x-api-key': key },
    });

  it('answers 502 once every attempt found the connection refused', async () => {
    const k = await anOrgWithKey(warehouse);
    const res = await trigger(k.org, k.key);
    expect({ status: res.statusCode, code: res.json().code }).toEqual({
      status: 502,
      code: 'PIPELINE_SERVICE_UNREACHABLE',
    });
    expect(logs.text).toContain('could not connect (ECONNREFUSED) on attempt 1/3');
    expect(logs.text).toContain('could not connect (ECONNREFUSED) on attempt 2/3');
    expect(logs.text).not.toContain(k.key);
  });

  it('retries a refused connection and reaches the service once it is up, calling it once', async () => {
    const k = await anOrgWithKey(warehouse);
    const before = logs.text.length;
    const pending = trigger(k.org, k.key);
    await until(() => logs.text.slice(before).includes('ECONNREFUSED) on attempt 1/3'));
    fake = await FakePipelineService.start(port);
    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.headers['x-api-key']).toBe(k.key);
  });

  it('logs, masked, what the service answered with a 5xx it wrote no reason for', async () => {
    const k = await anOrgWithKey(warehouse);
    fake!.always({
      status: 500,
      body: 'Traceback: KeyError in load_costs, key sk_live_abcdefghijklmnop1234',
    });
    const res = await trigger(k.org, k.key);
    expect(res.json()).toMatchObject({
      code: 'PIPELINE_SERVICE_ERROR',
      detail: 'Pipeline service error: HTTP 500',
    });
    expect(logs.text).toContain(
      `HTTP 500 to a run of ${k.org}: Traceback: KeyError in load_costs, key [REDACTED]`,
    );
    expect(logs.text).not.toContain('sk_live_abcdefghijklmnop1234');
  });

  it('never says "not started" after an attempt the service answered (a 504, then refused)', async () => {
    const k = await anOrgWithKey(warehouse);
    const up = fake!.reset();
    up.handle(() => {
      // Gone right after this answer: the retries find the connection refused.
      setTimeout(() => void up.close(), 50);
      return { status: 504, body: { detail: 'gateway timeout' } };
    });
    const res = await trigger(k.org, k.key);
    // The 504's attempt; the retries found the connection refused.
    expect(up.requests).toHaveLength(1);
    expect(res.json()).toMatchObject({
      code: 'PIPELINE_SERVICE_TIMEOUT',
      detail: 'Pipeline service error: gateway timeout',
    });
    expect(res.body).not.toContain('not started');
  });
});

describe('pipeline proxy circuit breaker', () => {
  const RESET_MS = 600;
  let fake: FakePipelineService;
  let t: TestApp;
  let warehouse: Warehouse;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ fake, t, warehouse, close } = await startAppWithPipelineService({
      requestTimeoutMs: 300,
      retryDelaysMs: [20],
      triggerLimitPerMinute: 1_000,
      breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: RESET_MS },
    }));
  });
  afterAll(() => close());

  /** A trigger by `k`'s org, or by a new org each time. */
  const trigger = async (k?: { org: string; key: string }) => {
    const { org, key } = k ?? (await anOrgWithKey(warehouse));
    return t.app.inject({
      method: 'POST',
      url: `/api/v1/pipelines/trigger/${org}/genai/payg/openai`,
      headers: { 'x-api-key': key },
    });
  };
  let failing: { org: string; key: string };

  it("opens for an org whose runs keep failing, answering 503 CIRCUIT_OPEN at once; other orgs' calls go on", async () => {
    failing = await anOrgWithKey(warehouse);
    fake.always({ status: 500, body: { detail: 'boom' } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await trigger(failing)).statusCode);
    expect(statuses).toEqual([500, 500, 500]);
    expect(fake.requests).toHaveLength(3);
    const open = await trigger(failing);
    expect(open.statusCode).toBe(503);
    expect(open.headers['content-type']).toContain('application/problem+json');
    expect(open.json()).toMatchObject({ code: 'CIRCUIT_OPEN', status: 503, retry_after_seconds: 1 });
    expect(open.headers['retry-after']).toBe('1');
    expect(fake.requests).toHaveLength(3);
    // The service answered: it is up. Another org's runs still reach it (one org's failures, a 500
    // for its broken configuration, do not shut everyone out).
    fake.reset();
    const other = await trigger();
    expect(other.statusCode).toBe(200);
    expect(fake.requests).toHaveLength(1);
  });

  it('lets one trial call through after the reset timeout and closes when it succeeds', async () => {
    fake.reset();
    await sleep(RESET_MS + 100);
    const trial = await trigger(failing);
    expect(trial.statusCode).toBe(200);
    expect(fake.requests).toHaveLength(1);
    const next = await trigger(failing);
    expect(next.statusCode).toBe(200);
    expect(fake.requests).toHaveLength(2);
  });

  it('reopens at once when the trial call fails (a gateway status: open for every org)', async () => {
    fake.always({ status: 504, body: { detail: 'gateway timeout' } });
    let res = await trigger();
    // The window still holds the answers of the calls above (a 500 is an answer: the service is up).
    for (let i = 0; i < 12 && res.json().code !== 'CIRCUIT_OPEN'; i++) res = await trigger();
    expect(res.json().code).toBe('CIRCUIT_OPEN');
    await sleep(RESET_MS + 100);
    const seen = fake.requests.length;
    const trial = await trigger();
    expect({ status: trial.statusCode, code: trial.json().code }).toEqual({
      status: 504,
      code: 'PIPELINE_SERVICE_TIMEOUT',
    });
    expect(fake.requests.length - seen).toBe(3);
    const after = await trigger();
    expect(after.json().code).toBe('CIRCUIT_OPEN');
    expect(fake.requests.length - seen).toBe(3);
  });
});

describe('pipeline proxy at shutdown', () => {
  it('cuts a call the service is still answering before the grace ends, so its caller gets an answer', async () => {
    const { fake, t, warehouse } = await startAppWithPipelineService(
      { requestTimeoutMs: 30_000, shutdownMarginMs: 400 },
      { SHUTDOWN_GRACE_MS: '1200' },
    );
    let closing: Promise<void> | undefined;
    try {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const url = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
      const k = await anOrgWithKey(warehouse);
      fake.always({ status: 200, body: { status: 'PENDING' }, delayMs: 20_000 });
      const pending = fetch(`${url}/api/v1/pipelines/trigger/${k.org}/genai/payg/openai`, {
        method: 'POST',
        headers: { 'x-api-key': k.key },
      });
      await until(() => fake.requests.length === 1);
      const started = Date.now();
      closing = t.close();
      const res = await pending;
      // Cut 800 ms into the 1.2 s grace, not after the service's 20 s.
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(res.status).toBe(504);
      expect(await res.json()).toMatchObject({
        code: 'PIPELINE_SERVICE_TIMEOUT',
        detail: expect.stringContaining('may or may not have started'),
      });
      await closing;
      // Not retried: a retry could start a second run.
      expect(fake.requests).toHaveLength(1);
    } finally {
      await (closing ?? t.close());
      await fake.close();
    }
  });
});

describe('pipeline proxy breakers of one org and of the service', () => {
  it("an org's open breaker does not dilute the service's: the service down still opens it for all", async () => {
    const { fake, t, warehouse, close } = await startAppWithPipelineService({
      requestTimeoutMs: 300,
      retryDelaysMs: [20],
      triggerLimitPerMinute: 1_000,
      breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 30_000 },
    });
    try {
      const trigger = (k: { org: string; key: string }) =>
        t.app.inject({
          method: 'POST',
          url: `/api/v1/pipelines/trigger/${k.org}/genai/payg/openai`,
          headers: { 'x-api-key': k.key },
        });
      const noisy = await anOrgWithKey(warehouse);
      fake.always({ status: 500, body: { detail: 'this org is misconfigured' } });
      for (let i = 0; i < 3; i++) expect((await trigger(noisy)).statusCode).toBe(500);
      // Its own breaker is open: its calls are refused at once, and never reach the service's.
      for (let i = 0; i < 20; i++) expect((await trigger(noisy)).json().code).toBe('CIRCUIT_OPEN');
      expect(fake.requests).toHaveLength(3);
      // The service goes down: a few calls of other orgs open the shared breaker.
      fake.always({ status: 504, body: { detail: 'gateway timeout' } });
      const codes: string[] = [];
      for (let i = 0; i < 5; i++) codes.push((await trigger(await anOrgWithKey(warehouse))).json().code);
      expect(codes).toContain('CIRCUIT_OPEN');
    } finally {
      await close();
    }
  });
});
