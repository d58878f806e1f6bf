import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { ApiKeyService } from '../apps/api/src/api-keys/api-key.service.js';
import { anOrgWithKey, integrationCredentials } from '#test/org-factory';
import { pipelineServiceAppForAll } from '#test/pipeline-service-app';
import { rootHeaders } from '#test/test-app';

describe('admin run-all and the subscription of each org', () => {
  const s = pipelineServiceAppForAll({ retryDelaysMs: [20] });

  /** An org with a stored key copy, an OPENAI integration and this tenancy-DB row. */
  async function anOrg(row: Record<string, string>): Promise<string> {
    const { org } = await anOrgWithKey(s.warehouse, { isActive: false });
    await s.t.app.get(ApiKeyService).issue(org);
    await s.t.app
      .get<TenancyDb>(TENANCY_DB)
      .insert('organizations', [{ org_slug: org, company_name: 'Acme', ...row }]);
    await integrationCredentials(s.warehouse, org, ['OPENAI']);
    return org;
  }

  const runAll = (payload: object) =>
    s.t.app.inject({ method: 'POST', url: '/api/v1/admin/pipelines/run-all', headers: rootHeaders, payload });

  it('does not start the pipelines of an org whose subscription may not run them, and says why', async () => {
    const ended = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const cancelled = await anOrg({ billing_status: 'canceled' });
    const trialOver = await anOrg({ billing_status: 'trialing', trial_ends_at: `${ended}T00:00:00Z` });
    const paying = await anOrg({ billing_status: 'active' });
    for (const org of [cancelled, trialOver, paying]) {
      const res = await runAll({ org_slug: org, date: '2026-03-09' });
      expect(res.statusCode).toBe(200);
      if (org === paying) {
        expect(res.json()).toMatchObject({ status: 'COMPLETED', pipelines_triggered: 1, orgs_processed: 1 });
        continue;
      }
      expect(res.json()).toMatchObject({
        status: 'COMPLETED',
        orgs_processed: 0,
        orgs_skipped: 1,
        pipelines_triggered: 0,
        pipelines_failed: 0,
      });
      expect(res.json().results).toEqual([
        {
          org_slug: org,
          provider: 'OPENAI',
          pipeline_path: 'genai/payg/openai',
          date: '2026-03-09',
          status: 'skipped',
          detail:
            org === cancelled
              ? 'Subscription is CANCELLED. Must be ACTIVE or TRIAL.'
              : `Subscription trial ended on ${ended}. Must be ACTIVE or TRIAL.`,
        },
      ]);
    }
    expect(s.fake.requests.map((r) => r.path)).toEqual([`/api/v1/pipelines/run/${paying}/genai/payg/openai`]);
  });
});
