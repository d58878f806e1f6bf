import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { dropTestSchema, postgresTenancyEnv, rootHeaders, startTestApp, type TestApp } from '#test/test-app';

const NO_LIMITS = { RATE_LIMIT_WRITES_PER_MINUTE: '10000', RATE_LIMIT_READS_PER_MINUTE: '10000' };

async function orgIn(t: TestApp, row: Record<string, string | number> = {}) {
  const k = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE));
  await t.app
    .get<TenancyDb>(TENANCY_DB)
    .insert('organizations', [{ org_slug: k.org, company_name: 'Acme', ...row }]);
  return k;
}

const validate = (t: TestApp, org: string, key: string, runId: string) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/validator/validate/${org}`,
    headers: { 'x-api-key': key },
    payload: { pipeline_id: 'subscription_costs', pipeline_logging_id: runId },
  });

const problem = (res: {
  statusCode: number;
  headers: Record<string, unknown>;
  json: () => Record<string, unknown>;
}) => ({
  status: res.statusCode,
  code: res.json().code,
  valid: res.json().valid,
  reservation_id: res.json().reservation_id,
  retry_after: res.headers['retry-after'],
});

/** A TCP hop in front of PostgreSQL that the test can cut and restore. */
async function cuttableProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    cut: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
    restore: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        if (server.listening) server.close(() => resolve());
        else resolve();
      }),
  };
}

describe('validator when the tenancy DB is gone (fail closed)', () => {
  it('answers 503 and admits nothing when the embedded tenancy DB is closed', async () => {
    const t = await startTestApp(NO_LIMITS);
    try {
      const k = await orgIn(t);
      expect((await validate(t, k.org, k.key, 'before')).json().valid).toBe(true);
      await t.app.get<TenancyDb>(TENANCY_DB).close();
      expect(problem(await validate(t, k.org, k.key, 'during'))).toEqual({
        status: 503,
        code: 'TENANCY_DB_UNAVAILABLE',
        valid: undefined,
        reservation_id: undefined,
        // The pipeline service's retry waits this long rather than adding to the outage.
        retry_after: '5',
      });
      const done = await t.app.inject({
        method: 'POST',
        url: `/api/v1/validator/complete/${k.org}?pipeline_status=SUCCESS&pipeline_logging_id=before`,
        headers: { 'x-api-key': k.key },
      });
      expect(done.statusCode).toBe(503);
      const read = await t.app.inject({
        method: 'GET',
        url: `/api/v1/organizations/${k.org}/quota`,
        headers: rootHeaders,
      });
      expect(read.statusCode).toBe(503);
    } finally {
      await t.close();
    }
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'answers 503 while PostgreSQL is unreachable, writes no reservation, and recovers when it is back',
    async () => {
      const env = postgresTenancyEnv();
      const proxy = await cuttableProxy(new URL(env.DATABASE_URL));
      const viaProxy = new URL(env.DATABASE_URL);
      viaProxy.port = String(proxy.port);
      const t = await startTestApp({ ...NO_LIMITS, ...env, DATABASE_URL: viaProxy.toString() });
      try {
        const k = await orgIn(t, { concurrent_pipelines_limit: 5 });
        expect((await validate(t, k.org, k.key, 'before')).json().valid).toBe(true);
        await proxy.cut();
        for (const run of ['during-1', 'during-2'])
          expect(problem(await validate(t, k.org, k.key, run))).toEqual({
            status: 503,
            code: 'TENANCY_DB_UNAVAILABLE',
            valid: undefined,
            reservation_id: undefined,
            retry_after: '5',
          });
        await proxy.restore();
        const after = await validate(t, k.org, k.key, 'after');
        expect(after.json()).toMatchObject({ valid: true, quota: { pipelines_run_today: 2 } });
        const runs = await t.app
          .get<TenancyDb>(TENANCY_DB)
          .select('pipeline_reservations', { org_slug: k.org });
        expect(runs.map((r) => r.run_id).sort()).toEqual(['after', 'before']);
      } finally {
        await t.close();
        await proxy.close();
        await dropTestSchema(env);
      }
    },
  );
});

describe('a disabled pipeline', () => {
  let configs: string;
  let t: TestApp;
  const original = process.env.CONFIGS_DIR;

  beforeAll(async () => {
    configs = fs.mkdtempSync(path.join(os.tmpdir(), 'finops-configs-'));
    fs.cpSync(path.resolve('configs'), configs, { recursive: true });
    const file = path.join(configs, 'pipelines.yml');
    const yml = fs.readFileSync(file, 'utf8');
    const disabled = yml.replace(
      /(- id: genai_payg_cost_only[\s\S]*?enabled: )true/,
      (_m, head: string) => `${head}false`,
    );
    expect(disabled).not.toBe(yml);
    fs.writeFileSync(file, disabled);
    process.env.CONFIGS_DIR = configs;
    t = await startTestApp(NO_LIMITS);
  });
  afterAll(async () => {
    await t.close();
    if (original === undefined) delete process.env.CONFIGS_DIR;
    else process.env.CONFIGS_DIR = original;
    fs.rmSync(configs, { recursive: true, force: true });
  });

  it('is refused with PIPELINE_DISABLED before any quota is taken, and hidden from the default list', async () => {
    const k = await orgIn(t);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/validator/validate/${k.org}`,
      headers: { 'x-api-key': k.key },
      payload: { pipeline_id: 'genai_payg_cost_only' },
    });
    expect(res.json()).toMatchObject({
      valid: false,
      error_code: 'PIPELINE_DISABLED',
      error: "Pipeline 'genai_payg_cost_only' is disabled",
      reservation_id: null,
    });
    const list = (await t.app.inject({ method: 'GET', url: '/api/v1/validator/pipelines' })).json();
    expect(list.total).toBe(22);
    const all = (
      await t.app.inject({ method: 'GET', url: '/api/v1/validator/pipelines?enabled_only=false' })
    ).json();
    expect(all.total).toBe(23);
    // Every spelling of a flag the reference took.
    for (const spelling of ['0', 'False', 'no'])
      expect(
        (
          await t.app.inject({ method: 'GET', url: `/api/v1/validator/pipelines?enabled_only=${spelling}` })
        ).json(),
      ).toMatchObject({ total: 23 });
    // Empty is the default (enabled only) and no provider filter, as a dashboard's "All" sends.
    const blank = await t.app.inject({
      method: 'GET',
      url: '/api/v1/validator/pipelines?enabled_only=&provider=',
    });
    expect([blank.statusCode, blank.json().total]).toEqual([200, 22]);
    // The provider filter keeps enabled_only too (the reference's ignored it).
    const ids = async (query: string) =>
      (
        (await t.app.inject({ method: 'GET', url: `/api/v1/validator/pipelines?${query}` })).json() as {
          pipelines: { id: string }[];
        }
      ).pipelines.map((p) => p.id);
    expect(await ids('provider=genai')).not.toContain('genai_payg_cost_only');
    expect(await ids('provider=genai&enabled_only=false')).toContain('genai_payg_cost_only');
    const read = await t.app.inject({
      method: 'GET',
      url: `/api/v1/organizations/${k.org}/quota`,
      headers: rootHeaders,
    });
    expect(read.json()).toMatchObject({ pipelines_run_today: 0, concurrent_running: 0 });
  });
});
