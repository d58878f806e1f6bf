import { describeOnEngines, expectProblem } from '#test/org-onboarding';
import { OrgDatasetService } from '../apps/api/src/organizations/org-dataset.service.js';
import { OrgProfileRepository } from '../apps/api/src/organizations/org-profile.repository.js';

describeOnEngines('organizations: a re-sync that fails half-way', (h) => {
  /** Onboards `org` again with a new plan (SCALE) and company name. */
  const resync = (org: string) =>
    h.root(
      'POST',
      '/api/v1/organizations/onboard',
      h.onboardBody(org, {
        regenerate_api_key_if_exists: true,
        subscription_plan: 'SCALE',
        company_name: 'Second Name Co',
      }),
    );

  it('takes the new plan and limits back when the profile cannot be written, and says so', async () => {
    const { org } = await h.onboard({ company_name: 'First Name Co' });
    const limitsBefore = await h.tenancyRow(org);
    const update = vi
      .spyOn(h.app.get(OrgProfileRepository), 'update')
      .mockRejectedValueOnce(new Error('profile write refused'));
    try {
      const res = await resync(org);
      // Not a bare INTERNAL_ERROR: the caller learns nothing of the plan or contact changed.
      expectProblem(res, 500, 'ONBOARDING_FAILED');
      expect(res.json().changed).toBe(false);
    } finally {
      update.mockRestore();
    }
    // The quotas enforce what the profile (and the org list) names: the plan the org had.
    expect(await h.tenancyRow(org)).toMatchObject({
      plan: limitsBefore.plan,
      pipelines_per_day_limit: limitsBefore.pipelines_per_day_limit,
      company_name: 'First Name Co',
    });
    expect(await h.profileRow(org)).toMatchObject({
      subscription_plan: 'STARTER',
      company_name: 'First Name Co',
    });
    const sub = await h.root('GET', `/api/v1/organizations/${org}/subscription`);
    expect(sub.json()).toMatchObject({ plan_name: 'STARTER', daily_limit: 6 });
  });

  // The dataset sync fails after the plan and profile were written; the location read comes last.
  it.each(['create', 'location'] as const)(
    'records a re-sync that failed after changing the org (%s) as one FAILURE entry',
    async (step) => {
      const { org } = await h.onboard({ company_name: 'First Name Co' });
      const failing = vi
        .spyOn(h.app.get(OrgDatasetService), step)
        .mockRejectedValueOnce(new Error('dataset sync refused'));
      try {
        const res = await resync(org);
        expect(res.statusCode).toBe(500);
      } finally {
        failing.mockRestore();
      }
      // The profile and plan were written before the step failed: the change stands.
      expect(await h.profileRow(org)).toMatchObject({
        subscription_plan: 'SCALE',
        company_name: 'Second Name Co',
      });
      const logs = (await h.root('GET', `/api/v1/admin/audit-logs/${org}`)).json().logs;
      expect(logs.map((l: { action: string; status: string }) => [l.action, l.status])).toEqual([
        ['UPDATE', 'FAILURE'],
        ['CREATE', 'SUCCESS'],
      ]);
      expect(logs[0]).toMatchObject({
        resource_type: 'ORGANIZATION',
        resource_id: org,
        details: { resync: true },
        error_message: 'Unexpected error',
      });
    },
  );
});
