import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { central, WAREHOUSE, type Warehouse } from '#warehouse';
import { ApiKeyUsageRecorder } from '../apps/api/src/auth/api-key-usage.recorder.js';
import { anOrgWithKey } from '#test/org-factory';
import { NO_LIMITS } from '#test/org-onboarding';
import { startTestApp, type TestApp } from '#test/test-app';

/** The flush timer never fires during a test: flushes are called, or happen at shutdown. */
const NO_TIMER = { ...NO_LIMITS, KEY_USAGE_FLUSH_MS: '3600000' };

const lastUsed = async (warehouse: Warehouse, keyId: string): Promise<Date | null> => {
  const rows = await warehouse.query<{ last_used_at: Date | null }>(
    `SELECT last_used_at FROM ${central('org_api_keys')} WHERE org_api_key_id = @id`,
    { id: keyId },
  );
  return rows[0]!.last_used_at;
};

describe('last_used_at of org API keys', () => {
  let t: TestApp;
  let warehouse: Warehouse;
  let recorder: ApiKeyUsageRecorder;

  beforeAll(async () => {
    t = await startTestApp(NO_TIMER);
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
    recorder = t.app.get(ApiKeyUsageRecorder);
  });
  afterAll(() => t.close());

  const call = (org: string, key: string) =>
    t.app.inject({
      method: 'GET',
      url: `/api/v1/organizations/${org}/api-key`,
      headers: { 'x-api-key': key },
    });

  it('is written for the keys that authenticated, by one batched flush, not on the request path', async () => {
    const used = await anOrgWithKey(warehouse);
    const idle = await anOrgWithKey(warehouse);
    const before = new Date();
    expect((await call(used.org, used.key)).statusCode).toBe(200);
    expect((await call(used.org, used.key)).statusCode).toBe(200);
    expect(await lastUsed(warehouse, used.keyId)).toBeNull();

    expect(await recorder.flush()).toBe(1);
    const at = await lastUsed(warehouse, used.keyId);
    expect(at).not.toBeNull();
    expect(at!.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1_000);
    expect(await lastUsed(warehouse, idle.keyId)).toBeNull();
    expect(await recorder.flush()).toBe(0);
  });

  it('is not recorded for a refused key', async () => {
    const revoked = await anOrgWithKey(warehouse, { isActive: false });
    const expired = await anOrgWithKey(warehouse, { expiresAt: new Date(Date.now() - 60_000) });
    expect((await call(revoked.org, revoked.key)).statusCode).toBe(401);
    expect((await call(expired.org, expired.key)).statusCode).toBe(401);
    expect(await recorder.flush()).toBe(0);
  });

  it('keeps the ids of a failed flush for the next one', async () => {
    const k = await anOrgWithKey(warehouse);
    expect((await call(k.org, k.key)).statusCode).toBe(200);
    const outage = vi.spyOn(warehouse, 'query').mockRejectedValueOnce(new Error('warehouse unavailable'));
    expect(await recorder.flush()).toBe(0);
    outage.mockRestore();
    expect(await lastUsed(warehouse, k.keyId)).toBeNull();
    expect(await recorder.flush()).toBe(1);
    expect(await lastUsed(warehouse, k.keyId)).not.toBeNull();
  });
});

describe('last_used_at at shutdown', () => {
  it('flushes what is pending before the warehouse closes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finops-key-usage-'));
    const env = { ...NO_TIMER, DUCKDB_PATH: path.join(dir, 'warehouse.duckdb') };
    try {
      const first = await startTestApp(env);
      const k = await anOrgWithKey(first.app.get<Warehouse>(WAREHOUSE));
      const res = await first.app.inject({
        method: 'GET',
        url: `/api/v1/organizations/${k.org}/api-key`,
        headers: { 'x-api-key': k.key },
      });
      expect(res.statusCode).toBe(200);
      await first.close();

      const second = await startTestApp(env);
      try {
        expect(await lastUsed(second.app.get<Warehouse>(WAREHOUSE), k.keyId)).not.toBeNull();
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // Two apps start and stop on a warehouse file (bootstrapped on disk): ~16 s on a busy 2-core
    // machine, past the default 30 s when other suites load it too.
  }, 90_000);
});

describe('last_used_at at shutdown, a warehouse that does not answer', () => {
  it('is given up on near the end of the grace, so the engines still close within it', async () => {
    // Grace 4 s: the flush is waited for until 2 s into the shutdown (half of it, under twice the margin).
    const t = await startTestApp({ ...NO_TIMER, SHUTDOWN_GRACE_MS: '4000' });
    const warehouse = t.app.get<Warehouse>(WAREHOUSE);
    const k = await anOrgWithKey(warehouse);
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/organizations/${k.org}/api-key`,
      headers: { 'x-api-key': k.key },
    });
    expect(res.statusCode).toBe(200);
    const query = warehouse.query.bind(warehouse);
    // The UPDATE of last_used_at never ends (BigQuery's DML queue, a warehouse that stopped answering).
    vi.spyOn(warehouse, 'query').mockImplementation((sql, params, options) =>
      sql.includes('last_used_at') ? new Promise<never>(() => undefined) : query(sql, params, options),
    );
    const started = performance.now();
    await t.close();
    // Waited for as long as the UPDATE's own 30 s timeout before: past Cloud Run's 10 s grace, the
    // process was killed with the engines open.
    expect(performance.now() - started).toBeLessThan(4_000);
  }, 60_000);
});
