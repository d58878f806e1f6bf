import { ApiKeyService } from '../apps/api/src/api-keys/api-key.service.js';
import { anOrgWithKey, integrationCredentials } from '#test/org-factory';
import { rootHeaders } from '#test/test-app';
import { pipelineServiceAppForAll } from '#test/pipeline-service-app';

/**
 * An org sees a platform-wide (ALL) batch with counters made of its own entries: they must be what
 * run-all counted for it. An org whose key could not be read is skipped by run-all (its pipelines
 * reported failed, an error naming it), and its view of the batch must say so, not "processed".
 */
describe("a platform-wide batch's counters as an org sees them", () => {
  const s = pipelineServiceAppForAll({ retryDelaysMs: [20], breaker: { volumeThreshold: 10_000 } });

  const batchAsSeenBy = async (org: string, key: string, id: string) => {
    const res = await s.t.app.inject({
      method: 'GET',
      url: `/api/v1/pipelines/${org}/batch-runs`,
      headers: { 'x-api-key': key },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().runs.find((r: { batch_run_id: string }) => r.batch_run_id === id);
  };

  it('counts as skipped, not processed, an org whose key could not be read, as run-all did', async () => {
    const ran = await anOrgWithKey(s.warehouse, { isActive: false });
    const ranKey = (await s.t.app.get(ApiKeyService).issue(ran.org)).apiKey;
    // Its key has no stored copy for run-all to call the pipeline service with.
    const keyless = await anOrgWithKey(s.warehouse);
    await integrationCredentials(s.warehouse, ran.org, ['OPENAI']);
    await integrationCredentials(s.warehouse, keyless.org, ['GEMINI']);

    const res = await s.t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/pipelines/run-all',
      headers: rootHeaders,
      payload: {},
    });
    expect(res.statusCode, res.body).toBe(200);
    const id = res.json().batch_run_id;
    expect(res.json().errors).toContainEqual({
      org_slug: keyless.org,
      error: 'No active API key with a stored copy',
    });

    expect(await batchAsSeenBy(keyless.org, keyless.key, id)).toMatchObject({
      status: 'PARTIAL',
      orgs_processed: 0,
      orgs_skipped: 1,
      pipelines_triggered: 0,
      pipelines_failed: 1,
      errors: [{ org_slug: keyless.org, error: 'No active API key with a stored copy' }],
    });
    expect(await batchAsSeenBy(ran.org, ranKey, id)).toMatchObject({
      status: 'COMPLETED',
      orgs_processed: 1,
      orgs_skipped: 0,
      pipelines_triggered: 1,
      pipelines_failed: 0,
      errors: [],
    });
  });
});
