import { CENTRAL_DATASET, SchemaRegistry, WAREHOUSE, type Warehouse } from '#warehouse';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { LogCapture } from '#test/log-capture';
import { onboardOrg } from '#test/org-onboarding';
import {
  dropTestSchema,
  listenOnLoopback,
  postgresTenancyEnv,
  startTestApp,
  type TestApp,
} from '#test/test-app';
import { READINESS_REUSE_MS } from '../apps/api/src/health/health.service.js';
import { DEPLOYED_URLS } from '../libs/platform/src/config/testing/config-problems.js';

describe('health and readiness', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The native memory collector on, as a server runs by default (the harness turns it off).
    t = await startTestApp({ NATIVE_MEMORY_GC_MB: '256' });
  });
  afterAll(() => t.close());
  const get = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers });

  it('serves /, /health and /health/live with version info', async () => {
    expect((await get('/')).json()).toMatchObject({
      service: 'finops-api',
      environment: 'development',
      docs: '/docs',
    });
    expect((await get('/health')).json()).toMatchObject({ status: 'healthy', service: 'finops-api' });
    expect((await get('/health/live')).json()).toMatchObject({ status: 'alive' });
  });

  it('takes the version and release from the validated configuration', async () => {
    const release = {
      APP_VERSION: 'v9.9.9',
      RELEASE_VERSION: 'r-42',
      RELEASE_TIMESTAMP: '2026-01-02T03:04:05Z',
    };
    const other = await startTestApp(release);
    try {
      const expected = { version: 'v9.9.9', release: 'r-42', release_timestamp: '2026-01-02T03:04:05Z' };
      for (const url of ['/', '/health', '/health/ready'])
        expect((await other.app.inject({ method: 'GET', url })).json()).toMatchObject(expected);
    } finally {
      await other.close();
    }
  });

  it('is ready when the warehouse, tenancy DB and central tables answer', async () => {
    const res = await get('/health/ready');
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('ready');
    expect(Object.keys(res.json().checks).sort()).toEqual(['encryption', 'setup', 'tenancy_db', 'warehouse']);
    expect(res.json().checks.encryption.status).toBe('ok');
  });

  describe('with a Cloud KMS key that does not answer', () => {
    const unusableKms = {
      KMS_KEY_NAME: 'projects/p/locations/global/keyRings/r/cryptoKeys/k',
      // Nothing listens on the discard port.
      KMS_API_ENDPOINT: 'http://127.0.0.1:9',
    };

    it('reports the encryption check failing, and stays ready: reads do not need the key', async () => {
      const kms = await startTestApp(unusableKms);
      try {
        const res = await kms.app.inject({ method: 'GET', url: '/health/ready' });
        expect(res.statusCode).toBe(200);
        expect(res.json().checks.encryption).toMatchObject({ status: 'failing', error: 'unavailable' });
      } finally {
        await kms.close();
      }
    });

    it('refuses to start in production, naming the emulator endpoint', async () => {
      // Production checks its key at start against Cloud KMS itself: an emulator endpoint, which
      // this check used to be run against, is refused before the engines open.
      const start = startTestApp({
        ...unusableKms,
        ENVIRONMENT: 'production',
        ALLOW_EMBEDDED_ENGINES: 'true',
        SINGLE_INSTANCE: 'true',
        ...DEPLOYED_URLS,
        // The test app's own, silent, is refused in production.
        LOG_LEVEL: 'error',
      });
      await expect(start).rejects.toThrow(/KMS_API_ENDPOINT: production refuses an emulator endpoint/);
    });
  });

  it('exposes Prometheus metrics by route and status', async () => {
    await get('/health');
    const res = await get('/metrics');
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
    expect(res.body).toContain('http_request_duration_seconds_bucket');
    // The collections NativeMemoryGc ran, and their time (NATIVE_MEMORY_GC_MB, on by default).
    expect(res.body).toMatch(/^native_memory_collections_total \d+$/m);
    expect(res.body).toMatch(/^native_memory_collection_seconds_total [\d.e-]+$/m);
  });

  it('answers /metrics only to a scrape with METRICS_TOKEN when it is set, and never logs the token', async () => {
    const token = 'metrics-token-0123456789abcdefghijklmnop';
    const logs = new LogCapture();
    const secured = await startTestApp(
      { METRICS_TOKEN: token, LOG_LEVEL: 'debug' },
      { logDestination: logs },
    );
    try {
      const scrape = (authorization?: string) =>
        secured.app.inject({
          method: 'GET',
          url: '/metrics',
          headers: authorization === undefined ? {} : { authorization },
        });
      const missing = await scrape();
      expect(missing.statusCode).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      expect(missing.json()).toMatchObject({ code: 'AUTH_REQUIRED' });
      expect((await scrape(`Bearer ${token}x`)).json()).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect((await scrape(`Basic ${token}`)).statusCode).toBe(401);
      const ok = await scrape(`Bearer ${token}`);
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain('http_requests_total');
      expect(logs.lines.join('\n')).not.toContain(token);
    } finally {
      await secured.close();
    }
  });
});

describe('access lines of the polled routes', () => {
  it('are at debug for the answered probes and scrapes, at info for a refused or failing one', async () => {
    const token = 'metrics-token-0123456789abcdefghijklmnop';
    const logs = new LogCapture();
    const t = await startTestApp(
      { METRICS_TOKEN: token, LOG_LEVEL: 'info', HEALTH_CHECK_TIMEOUT_MS: '300' },
      { logDestination: logs },
    );
    try {
      // On a real server: light-my-request's injected close would add an aborted line of its own.
      const port = await listenOnLoopback(t.app);
      const get = async (url: string, id: string, headers: Record<string, string> = {}) => {
        const res = await fetch(`http://127.0.0.1:${port}${url}`, {
          headers: { ...headers, 'x-request-id': id },
        });
        await res.text();
        return { statusCode: res.status };
      };
      expect((await get('/metrics', 'scrape-ok', { authorization: `Bearer ${token}` })).statusCode).toBe(200);
      // A scraper left with a rotated token, someone trying tokens: an SRE must see these.
      expect((await get('/metrics', 'scrape-wrong', { authorization: `Bearer ${token}x` })).statusCode).toBe(
        403,
      );
      expect((await get('/metrics', 'scrape-none')).statusCode).toBe(401);
      t.app.get<Warehouse>(WAREHOUSE).ping = () => new Promise(() => undefined);
      expect((await get('/health/ready', 'not-ready')).statusCode).toBe(503);
      const logged = (id: string) =>
        logs.lines
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((l) => l.request_id === id && l.message === 'request completed');
      expect(logged('scrape-ok')).toEqual([]);
      expect(logged('scrape-wrong')).toEqual([expect.objectContaining({ level: 'info', status: 403 })]);
      expect(logged('scrape-none')).toEqual([expect.objectContaining({ level: 'info', status: 401 })]);
      expect(logged('not-ready')).toEqual([expect.objectContaining({ level: 'info', status: 503 })]);
    } finally {
      await t.close();
    }
  });
});

describe('readiness under many probes', () => {
  it('checks the engines once for concurrent and back-to-back probes', async () => {
    const t = await startTestApp();
    try {
      const warehouse = t.app.get<Warehouse>(WAREHOUSE);
      const ping = warehouse.ping.bind(warehouse);
      let pings = 0;
      warehouse.ping = (ms) => {
        pings++;
        return ping(ms);
      };
      const described = vi.spyOn(warehouse, 'describeTable');
      const probe = () => t.app.inject({ method: 'GET', url: '/health/ready' });
      const statuses = (await Promise.all(Array.from({ length: 20 }, probe))).map((r) => r.statusCode);
      statuses.push((await probe()).statusCode);
      expect(new Set(statuses)).toEqual(new Set([200]));
      expect(pings).toBe(1);
      // Checked again once the result has served its time.
      await new Promise((resolve) => setTimeout(resolve, READINESS_REUSE_MS + 50));
      expect((await probe()).statusCode).toBe(200);
      expect(pings).toBe(2);
      // The setup tables' columns, found complete, are not described (a BigQuery tables.get each) again.
      expect(described).toHaveBeenCalledTimes(2);
    } finally {
      await t.close();
    }
  });
});

describe('readiness with a central table the key lookup reads lacking columns', () => {
  it('answers 503 naming the setup check, as every org key would be answered then', async () => {
    const t = await startTestApp();
    try {
      const warehouse = t.app.get<Warehouse>(WAREHOUSE);
      const { key } = await onboardOrg(t, 'oldkeys', 'Old Keys Co');
      // The replaced system's org_api_keys: no key_fingerprint, which the key lookup selects.
      const keys = t.app.get(SchemaRegistry).centralTable('org_api_keys');
      await warehouse.dropTable(CENTRAL_DATASET, 'org_api_keys');
      await warehouse.ensureTable(CENTRAL_DATASET, {
        ...keys,
        fields: keys.fields.filter((f) => f.name !== 'key_fingerprint'),
      });
      const read = await t.app.inject({
        method: 'GET',
        url: '/api/v1/costs/oldkeys/cache/stats',
        headers: { 'x-api-key': key },
      });
      expect(read.statusCode).toBe(503);
      const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ failing: ['setup'] });
      expect(res.json().checks.setup.error).toBe(
        'org_api_keys lacks columns; POST /api/v1/admin/bootstrap/sync',
      );
      // Without the table at all, the check says so too (it read "unavailable", as if the engine were down).
      await warehouse.dropTable(CENTRAL_DATASET, 'org_api_keys');
      await new Promise((resolve) => setTimeout(resolve, READINESS_REUSE_MS + 50));
      const gone = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(gone.json().checks.setup.error).toBe('missing org_api_keys; POST /api/v1/admin/bootstrap/sync');
    } finally {
      await t.close();
    }
  });
});

describe('readiness with a failing engine', () => {
  it('answers 503 naming the failing check', async () => {
    const t = await startTestApp({ HEALTH_CHECK_TIMEOUT_MS: '300' });
    try {
      const warehouse = t.app.get<Warehouse>(WAREHOUSE);
      warehouse.ping = () => new Promise(() => undefined);
      const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({
        code: 'NOT_READY',
        failing: ['warehouse'],
        checks: { warehouse: { status: 'failing', error: 'timeout' } },
      });
    } finally {
      await t.close();
    }
  });
});

describe('readiness with an engine that hangs', () => {
  it('waits for the check still running rather than start another on the hung engine at each probe', async () => {
    const t = await startTestApp({ HEALTH_CHECK_TIMEOUT_MS: '200' });
    try {
      const warehouse = t.app.get<Warehouse>(WAREHOUSE);
      // A warehouse whose calls never come back (a stalled connection: no error, no answer).
      let hung: () => void = () => undefined;
      const stalled = new Promise<void>((resolve) => (hung = resolve));
      let pings = 0;
      warehouse.ping = () => (pings++, stalled);
      const probe = async () => {
        const started = performance.now();
        const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
        return { res, ms: performance.now() - started };
      };
      for (let i = 0; i < 3; i++) {
        const { res, ms } = await probe();
        expect(res.statusCode).toBe(503);
        expect(res.json().checks.warehouse).toMatchObject({ status: 'failing', error: 'timeout' });
        // Each probe still answers within the timeout (200 ms; slack for a loaded machine).
        expect(ms).toBeLessThan(2_500);
        await new Promise((resolve) => setTimeout(resolve, READINESS_REUSE_MS + 50));
      }
      // One call waits on the engine, not one more every probe.
      expect(pings).toBe(1);
      // Once that call comes back, the next probe checks the engine anew.
      hung();
      await stalled;
      expect((await probe()).res.statusCode).toBe(200);
      expect(pings).toBe(2);
    } finally {
      await t.close();
    }
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('the app on the machine PostgreSQL', () => {
  it('migrates its schema at start and is ready', async () => {
    const env = postgresTenancyEnv();
    const t = await startTestApp(env);
    try {
      const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(200);
      expect(res.json().checks.tenancy_db.status).toBe('ok');
      const db = t.app.get<TenancyDb>(TENANCY_DB);
      expect(db.driver).toBe('postgres');
      expect(await db.select('organizations')).toEqual([]);
    } finally {
      await t.close();
      await dropTestSchema(env);
    }
  });
});
