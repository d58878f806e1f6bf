import { CENTRAL_DATASET, WarehouseError, WarehouseErrorCode } from '#warehouse';
import { anOrgSlug } from '#test/org-factory';
import { describeOnEngines, expectInvalidFields, expectProblem } from '#test/org-onboarding';
import { OrgProfileRepository } from '../apps/api/src/organizations/org-profile.repository.js';
import { TenancyOrgRepository } from '../apps/api/src/organizations/tenancy-org.repository.js';

describeOnEngines('organizations: locale, subscription, members', (h) => {
  describe('subscription', () => {
    it('reads the plan limits the tenancy DB holds', async () => {
      const { org, key } = await h.onboard({ subscription_plan: 'SCALE' });
      const res = await h.withKey(key, 'GET', `/api/v1/organizations/${org}/subscription`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        org_slug: org,
        subscription_id: '',
        plan_name: 'SCALE',
        status: 'ACTIVE',
        daily_limit: 100,
        monthly_limit: 3000,
        concurrent_limit: 5,
        seat_limit: 11,
        providers_limit: 10,
        trial_end_date: null,
      });
    });

    it('changes the tenancy-DB limits, defaulting the missing ones to the new plan', async () => {
      const { org, key } = await h.onboard();
      const res = await h.root('PUT', `/api/v1/organizations/${org}/subscription`, {
        plan_name: 'professional',
        daily_limit: 40,
        status: 'TRIAL',
        trial_end_date: '2026-03-01T12:00:00Z',
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        org_slug: org,
        plan_name: 'PROFESSIONAL',
        status: 'TRIAL',
        daily_limit: 40,
        monthly_limit: 750,
        concurrent_limit: 2,
        seat_limit: 6,
        providers_limit: 6,
        trial_end_date: '2026-03-01',
        updated: true,
        message: expect.any(String),
      });
      expect(await h.tenancyRow(org)).toMatchObject({
        plan: 'PROFESSIONAL',
        billing_status: 'trialing',
        pipelines_per_day_limit: 40,
        pipelines_per_month_limit: 750,
        concurrent_pipelines_limit: 2,
        seat_limit: 6,
        providers_limit: 6,
        trial_ends_at: expect.stringMatching(/^2026-03-01T00:00:00/),
      });
      expect((await h.profileRow(org)).subscription_plan).toBe('PROFESSIONAL');
      expect((await h.withKey(key, 'GET', `/api/v1/organizations/${org}/subscription`)).json()).toMatchObject(
        {
          plan_name: 'PROFESSIONAL',
          status: 'TRIAL',
          daily_limit: 40,
          trial_end_date: '2026-03-01',
        },
      );
      const [audit] = await h.warehouse.query(
        `SELECT status FROM \`${CENTRAL_DATASET}.org_audit_logs\`
         WHERE org_slug = @org AND action = 'UPDATE' AND resource_type = 'SUBSCRIPTION'`,
        { org },
      );
      expect(audit).toEqual({ status: 'SUCCESS' });
    });

    it('maps every status to the Stripe billing status and back', async () => {
      const { org } = await h.onboard();
      const url = `/api/v1/organizations/${org}/subscription`;
      for (const [status, billing] of [
        ['SUSPENDED', 'paused'],
        ['CANCELLED', 'canceled'],
        ['EXPIRED', 'incomplete_expired'],
        ['ACTIVE', 'active'],
      ]) {
        expect((await h.root('PUT', url, { status })).statusCode).toBe(200);
        expect((await h.tenancyRow(org)).billing_status).toBe(billing);
        expect((await h.root('GET', url)).json().status).toBe(status);
      }
    });

    it('clears the trial end on a null trial_end_date, and leaves it as it was when the field is absent', async () => {
      const { org, key } = await h.onboard();
      const url = `/api/v1/organizations/${org}/subscription`;
      await h.root('PUT', url, { status: 'TRIAL', trial_end_date: '2026-03-01' });
      const kept = await h.root('PUT', url, { seat_limit: 3 });
      expect(kept.json().trial_end_date).toBe('2026-03-01');
      expect((await h.tenancyRow(org)).trial_ends_at).toMatch(/^2026-03-01T00:00:00/);
      const cleared = await h.root('PUT', url, { status: 'ACTIVE', trial_end_date: null });
      expect({ status: cleared.statusCode, trial: cleared.json().trial_end_date }).toEqual({
        status: 200,
        trial: null,
      });
      expect((await h.tenancyRow(org)).trial_ends_at).toBeNull();
      expect((await h.withKey(key, 'GET', url)).json()).toMatchObject({
        status: 'ACTIVE',
        trial_end_date: null,
      });
    });

    it("falls back to the profile plan's defaults when the tenancy row is missing, never a 500", async () => {
      const { org } = await h.onboard({ subscription_plan: 'PROFESSIONAL' });
      await h.db.delete('organizations', { org_slug: org });
      const res = await h.root('GET', `/api/v1/organizations/${org}/subscription`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ plan_name: 'PROFESSIONAL', daily_limit: 25, monthly_limit: 750 });
    });

    it('shows a trial end a Date cannot hold (infinity, a year past 9999, set by hand) as stored, never a 500', async () => {
      const { org, key } = await h.onboard();
      for (const stored of ['infinity', '10000-01-01T00:00:00Z']) {
        await h.db.update('organizations', { org_slug: org }, { trial_ends_at: stored });
        const res = await h.withKey(key, 'GET', `/api/v1/organizations/${org}/subscription`);
        expect({ status: res.statusCode, trial: res.json().trial_end_date }).toEqual({
          status: 200,
          trial: expect.stringMatching(stored === 'infinity' ? /^infinity$/ : /^\+?10000-01-01/),
        });
        const put = await h.root('PUT', `/api/v1/organizations/${org}/subscription`, { seat_limit: 3 });
        expect(put.statusCode).toBe(200);
      }
    });

    it('never says nothing changed when the new limits could not be taken back', async () => {
      const { org } = await h.onboard({ subscription_plan: 'STARTER' });
      const profiles = h.app.get(OrgProfileRepository);
      const tenancy = h.app.get(TenancyOrgRepository);
      const update = vi.spyOn(profiles, 'update').mockRejectedValue(new Error('simulated warehouse outage'));
      const restore = vi.spyOn(tenancy, 'restore').mockRejectedValue(new Error('simulated tenancy outage'));
      try {
        const res = await h.root('PUT', `/api/v1/organizations/${org}/subscription`, { daily_limit: 7 });
        expectProblem(res, 500, 'SUBSCRIPTION_UPDATE_FAILED');
        // A 500 carries no detail: `changed` is what tells the caller whether to retry.
        expect(res.json()).toMatchObject({ changed: 'unknown' });
        // The quotas may have changed: the audit log says so, with what was asked for.
        const failed = await h.root('GET', `/api/v1/admin/audit-logs/${org}?status=FAILURE`);
        expect(failed.json().logs).toMatchObject([
          {
            action: 'UPDATE',
            resource_type: 'SUBSCRIPTION',
            status: 'FAILURE',
            error_message: expect.stringContaining('SUBSCRIPTION_UPDATE_FAILED'),
            details: { changed: 'unknown', requested: { daily_limit: 7 } },
          },
        ]);
        restore.mockRestore();
        const undone = await h.root('PUT', `/api/v1/organizations/${org}/subscription`, { daily_limit: 8 });
        expect(undone.json()).toMatchObject({ code: 'SUBSCRIPTION_UPDATE_FAILED', changed: false });
      } finally {
        update.mockRestore();
        restore.mockRestore();
      }
    });

    it('answers an engine outage taken back whole as the outage (503), nothing changed', async () => {
      const { org } = await h.onboard({ subscription_plan: 'STARTER' });
      const before = await h.tenancyRow(org);
      const profiles = h.app.get(OrgProfileRepository);
      const update = vi
        .spyOn(profiles, 'update')
        .mockRejectedValue(new WarehouseError(WarehouseErrorCode.Unavailable, 'backendError'));
      try {
        const res = await h.root('PUT', `/api/v1/organizations/${org}/subscription`, { daily_limit: 7 });
        expectProblem(res, 503, 'WAREHOUSE_UNAVAILABLE');
        expect(res.json()).toMatchObject({ changed: false });
        expect(res.json().detail).toMatch(/Nothing was changed; send the request again/);
      } finally {
        update.mockRestore();
      }
      expect(await h.tenancyRow(org)).toMatchObject({
        pipelines_per_day_limit: before.pipelines_per_day_limit,
      });
    });

    it('never says nothing changed when the profile write may still land (a cancelled BigQuery job)', async () => {
      const { org } = await h.onboard({ subscription_plan: 'STARTER' });
      const profiles = h.app.get(OrgProfileRepository);
      const update = vi.spyOn(profiles, 'update').mockRejectedValue(
        new WarehouseError(
          WarehouseErrorCode.Timeout,
          'no answer within 30000 ms, the write may still apply',
          {
            extra: { timeout_ms: 30_000, write_outcome: 'unknown' },
          },
        ),
      );
      try {
        const res = await h.root('PUT', `/api/v1/organizations/${org}/subscription`, { daily_limit: 7 });
        expectProblem(res, 500, 'SUBSCRIPTION_UPDATE_FAILED');
        expect(res.json()).toMatchObject({ changed: 'unknown' });
      } finally {
        update.mockRestore();
      }
    });

    /**
     * A subscription PUT of the org whose profile write fails after `meanwhile` (another request
     * running beside it) ran: answered 500 SUBSCRIPTION_UPDATE_FAILED, its tenancy write taken back.
     */
    async function failingPutAfter(org: string, meanwhile: () => Promise<void>): Promise<void> {
      const update = vi.spyOn(h.app.get(OrgProfileRepository), 'update').mockImplementation(async () => {
        await meanwhile();
        throw new Error('simulated warehouse outage');
      });
      try {
        const res = await h.root('PUT', `/api/v1/organizations/${org}/subscription`, { daily_limit: 7 });
        expectProblem(res, 500, 'SUBSCRIPTION_UPDATE_FAILED');
      } finally {
        update.mockRestore();
      }
    }

    it("takes back only its own write: another request's newer change of the row stands", async () => {
      const { org } = await h.onboard({ subscription_plan: 'STARTER' });
      // Another request (the dashboard's Stripe webhook) writes the row meanwhile.
      await failingPutAfter(org, async () => {
        await h.db.update(
          'organizations',
          { org_slug: org },
          { plan: 'SCALE', pipelines_per_day_limit: 100 },
        );
      });
      expect(await h.tenancyRow(org)).toMatchObject({ plan: 'SCALE', pipelines_per_day_limit: 100 });
    });

    it('takes back only the columns it wrote: a key rotated meanwhile keeps its fingerprint', async () => {
      const { org, key } = await h.onboard({ subscription_plan: 'STARTER' });
      let rotated = '';
      // The org's key is rotated meanwhile (it writes the dashboard's fingerprint on the row).
      await failingPutAfter(org, async () => {
        const res = await h.withKey(key, 'POST', `/api/v1/organizations/${org}/api-key/rotate`);
        expect(res.statusCode, res.body).toBe(200);
        rotated = res.json().api_key as string;
      });
      const row = await h.tenancyRow(org);
      expect(row.pipelines_per_day_limit).toBe(6);
      expect(row.backend_api_key_fingerprint).toBe(rotated.slice(-4));
    });

    it('refuses out-of-range limits, an unreadable trial date and an unknown org', async () => {
      const { org } = await h.onboard();
      const bad = await h.root('PUT', `/api/v1/organizations/${org}/subscription`, {
        daily_limit: 0,
        concurrent_limit: 101,
        trial_end_date: 'soon',
        plan_name: 'GOLD',
      });
      expectInvalidFields(bad, ['concurrent_limit', 'daily_limit', 'plan_name', 'trial_end_date']);
      expectProblem(
        await h.root('PUT', `/api/v1/organizations/${anOrgSlug('none')}/subscription`, { daily_limit: 5 }),
        404,
        'ORG_NOT_FOUND',
      );
    });
  });
});
