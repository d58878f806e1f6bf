import { ApiKeyService } from '../apps/api/src/api-keys/api-key.service.js';
import { anOrgWithKey, integrationCredentials } from '#test/org-factory';
import { pipelineServiceAppForAll } from '#test/pipeline-service-app';
import { rootHeaders } from '#test/test-app';

describe("admin run-all and the org's daily pipeline status", () => {
  const s = pipelineServiceAppForAll({ retryDelaysMs: [20] });

  async function anOrg(): Promise<{ org: string; key: string }> {
    const { org } = await anOrgWithKey(s.warehouse, { isActive: false });
    const { apiKey } = await s.t.app.get(ApiKeyService).issue(org);
    await integrationCredentials(s.warehouse, org, ['OPENAI']);
    return { org, key: apiKey };
  }

  const status = (o: { org: string; key: string }) =>
    s.t.app.inject({
      method: 'GET',
      url: `/api/v1/pipelines/status/${o.org}`,
      headers: { 'x-api-key': o.key },
    });
  const runAll = (payload: object) =>
    s.t.app.inject({ method: 'POST', url: '/api/v1/admin/pipelines/run-all', headers: rootHeaders, payload });

  it('is read afresh after the runs it started, as after a trigger through the proxy', async () => {
    const started = await anOrg();
    const other = await anOrg();
    for (const o of [started, other]) {
      await status(o);
      expect((await status(o)).json().cached).toBe(true);
    }
    const res = await runAll({ org_slug: started.org });
    expect(res.json()).toMatchObject({ pipelines_triggered: 1 });
    expect((await status(started)).json().cached).toBe(false);
    expect((await status(other)).json().cached).toBe(true);
  });

  it('keeps its answer after a dry run, which starts nothing', async () => {
    const o = await anOrg();
    await status(o);
    expect((await runAll({ org_slug: o.org, dry_run: true })).json().results[0].status).toBe('dry_run');
    expect((await status(o)).json().cached).toBe(true);
  });
});
