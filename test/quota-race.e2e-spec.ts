import type { AddressInfo } from 'node:net';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { type Replicas, startReplicas, type TestApp } from '#test/test-app';

const NO_LIMITS = { RATE_LIMIT_WRITES_PER_MINUTE: '100000', RATE_LIMIT_READS_PER_MINUTE: '100000' };
const CONCURRENT = 5;
const DAILY = 40;

interface Verdict {
  valid: boolean;
  run_id: string;
  error_code: string | null;
  quota_reason: string | null;
}

/**
 * Two API instances on one PostgreSQL schema, as two replicas behind a load balancer: the quota
 * must hold across them, since each instance has its own rate limits, caches and pool.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)(
  'quota under concurrent validation across two instances',
  () => {
    let replicas: Replicas;
    let apps: TestApp[] = [];
    let bases: string[] = [];
    let org: string;
    let key: string;

    beforeAll(async () => {
      replicas = await startReplicas(NO_LIMITS);
      apps = replicas.apps;
      ({ org, key } = await anOrgWithKey(apps[0].app.get<Warehouse>(WAREHOUSE)));
      await replicas.shareOrg(org);
      await apps[0].app.get<TenancyDb>(TENANCY_DB).insert('organizations', [
        {
          org_slug: org,
          company_name: 'Acme',
          concurrent_pipelines_limit: CONCURRENT,
          pipelines_per_day_limit: DAILY,
          pipelines_per_month_limit: 10_000,
        },
      ]);
      bases = [];
      for (const t of apps) {
        await t.app.listen({ port: 0, host: '127.0.0.1' });
        bases.push(`http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`);
      }
    }, 120_000);

    afterAll(() => replicas?.close());

    const post = async (i: number, path: string, body?: object): Promise<Record<string, unknown>> => {
      const res = await fetch(`${bases[i % 2]}${path}`, {
        method: 'POST',
        headers: { 'x-api-key': key, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };
    const wave = (label: string, n: number) =>
      Promise.all(
        Array.from(
          { length: n },
          (_, i) =>
            post(i, `/api/v1/validator/validate/${org}`, {
              pipeline_id: 'subscription_costs',
              pipeline_logging_id: `${label}-${i}`,
            }) as Promise<unknown> as Promise<Verdict>,
        ),
      );

    it('grants exactly the concurrent limit to 500 simultaneous requests, and exactly the daily limit in waves', async () => {
      const first = await wave('w0', 500);
      let granted = first.filter((v) => v.valid);
      expect(granted.length).toBe(CONCURRENT);
      expect(new Set(first.filter((v) => !v.valid).map((v) => v.quota_reason))).toEqual(
        new Set(['QUOTA_CONCURRENT_EXCEEDED']),
      );
      let total = granted.length;
      for (let w = 1; total < DAILY + CONCURRENT; w++) {
        await Promise.all(
          granted.map((v, i) =>
            post(i, `/api/v1/validator/complete/${org}`, {
              pipeline_status: 'SUCCESS',
              pipeline_logging_id: v.run_id,
            }),
          ),
        );
        const results = await wave(`w${w}`, 100);
        granted = results.filter((v) => v.valid);
        expect(granted.length).toBe(Math.min(CONCURRENT, DAILY - total));
        if (total === DAILY)
          expect(new Set(results.map((v) => v.quota_reason))).toEqual(new Set(['QUOTA_DAILY_EXCEEDED']));
        total += granted.length;
        if (granted.length === 0) break;
      }
      expect(total).toBe(DAILY);
      const db = apps[1].app.get<TenancyDb>(TENANCY_DB);
      const [day] = await db.select('pipeline_quota_daily', { org_slug: org });
      expect(day).toMatchObject({ pipelines_run: DAILY, pipelines_succeeded: DAILY, pipelines_failed: 0 });
      expect((await db.select('pipeline_reservations', { org_slug: org })).length).toBe(DAILY);
    }, 120_000);
  },
);
