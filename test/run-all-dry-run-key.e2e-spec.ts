import { central } from '#warehouse';
import { ApiKeyService } from '../apps/api/src/api-keys/api-key.service.js';
import { anOrgWithKey, integrationCredentials } from '#test/org-factory';
import { pipelineServiceAppForAll } from '#test/pipeline-service-app';
import { rootHeaders } from '#test/test-app';

describe("admin run-all's dry run and the org's key", () => {
  const s = pipelineServiceAppForAll({ retryDelaysMs: [20] });

  const runAll = (payload: object) =>
    s.t.app.inject({ method: 'POST', url: '/api/v1/admin/pipelines/run-all', headers: rootHeaders, payload });
  /** What a dry run and then the real run answer, less what differs by nature (ids, times, message). */
  async function dryThenReal(org: string) {
    const outcome = async (dry_run: boolean) => {
      const body = (await runAll({ org_slug: org, dry_run })).json();
      for (const differs of ['batch_run_id', 'elapsed_seconds', 'message']) delete body[differs];
      return body;
    };
    return { dry: await outcome(true), real: await outcome(false) };
  }

  it('foresees an org whose key the real run cannot use, as the real run reports it', async () => {
    const { org } = await anOrgWithKey(s.warehouse);
    await integrationCredentials(s.warehouse, org, ['OPENAI']);
    const { dry, real } = await dryThenReal(org);
    expect(s.fake.requests).toEqual([]);
    expect(real).toMatchObject({
      status: 'PARTIAL',
      errors: [{ org_slug: org, error: 'No active API key with a stored copy' }],
    });
    expect(dry).toEqual(real);
  });

  it('foresees a stored copy the current encryption key cannot decrypt', async () => {
    const { org } = await anOrgWithKey(s.warehouse, { isActive: false });
    await s.t.app.get(ApiKeyService).issue(org);
    await integrationCredentials(s.warehouse, org, ['OPENAI']);
    await s.warehouse.execute(
      `UPDATE ${central('org_api_keys')} SET encrypted_org_api_key = @junk WHERE org_slug = @org`,
      { junk: Buffer.from('not a ciphertext of this key'), org },
    );
    const { dry, real } = await dryThenReal(org);
    expect(real.pipelines_failed).toBe(1);
    expect(dry).toEqual(real);
  });

  it('still plans an org whose key can be used, calling nothing', async () => {
    const { org } = await anOrgWithKey(s.warehouse, { isActive: false });
    await s.t.app.get(ApiKeyService).issue(org);
    await integrationCredentials(s.warehouse, org, ['OPENAI']);
    const res = await runAll({ org_slug: org, dry_run: true });
    expect(res.json()).toMatchObject({ status: 'COMPLETED', errors: [], orgs_processed: 1 });
    expect(res.json().results[0].status).toBe('dry_run');
    expect(s.fake.requests).toEqual([]);
  });
});
