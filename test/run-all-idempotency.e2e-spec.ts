import { ApiKeyService } from '../apps/api/src/api-keys/api-key.service.js';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { anOrgWithKey, integrationCredentials } from '#test/org-factory';
import { pipelineServiceAppForAll } from '#test/pipeline-service-app';
import { rootHeaders } from '#test/test-app';

/**
 * Run-all with an Idempotency-Key: a scheduler that fires twice, or a caller that timed out and
 * retries, must not start every org's pipelines a second time.
 */
describe('admin run-all with an Idempotency-Key', () => {
  const s = pipelineServiceAppForAll({ retryDelaysMs: [20] });

  async function anOrg(): Promise<string> {
    const { org } = await anOrgWithKey(s.warehouse, { isActive: false });
    await s.t.app.get(ApiKeyService).issue(org);
    await integrationCredentials(s.warehouse, org, ['OPENAI', 'GCP_SA']);
    return org;
  }

  const runAll = (key: string, payload: object) =>
    s.t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/pipelines/run-all',
      headers: { ...rootHeaders, 'idempotency-key': key },
      payload,
    });
  const upstreamKeys = () => s.fake.requests.map((r) => r.headers['idempotency-key']).sort();

  it('replays the first batch to a retry, starting nothing again', async () => {
    const org = await anOrg();
    const key = `sched-${org}`;
    const first = await runAll(key, { org_slug: org, date: '2026-03-09' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ pipelines_triggered: 2 });
    expect(s.fake.requests).toHaveLength(2);

    const retry = await runAll(key, { org_slug: org, date: '2026-03-09' });
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().batch_run_id).toBe(first.json().batch_run_id);
    expect(s.fake.requests).toHaveLength(2);

    const other = await runAll(key, { org_slug: org, date: '2026-03-10' });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(s.fake.requests).toHaveLength(2);
  });

  it("calls each pipeline with the first attempt's keys when that attempt left no answer", async () => {
    const org = await anOrg();
    const key = `sched-lost-${org}`;
    expect((await runAll(key, { org_slug: org, date: '2026-03-09' })).statusCode).toBe(200);
    const firstKeys = upstreamKeys();
    expect(new Set(firstKeys).size).toBe(2);
    // The first attempt's instance died before it stored its answer.
    await s.t.app
      .get<TenancyDb>(TENANCY_DB)
      .delete('idempotency_keys', { scope: 'root', idempotency_key: key });
    s.fake.reset();

    const again = await runAll(key, { org_slug: org, date: '2026-03-09' });
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(again.json()).toMatchObject({ pipelines_triggered: 2 });
    expect(upstreamKeys()).toEqual(firstKeys);
    // Without a key of the caller's, each batch is a run of its own.
    s.fake.reset();
    await s.t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/pipelines/run-all',
      headers: rootHeaders,
      payload: { org_slug: org, date: '2026-03-09' },
    });
    expect(upstreamKeys().some((k) => firstKeys.includes(k))).toBe(false);
  });
});
