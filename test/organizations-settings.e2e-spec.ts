import type { LightMyRequestResponse } from 'fastify';
import { CENTRAL_DATASET, WarehouseError, WarehouseErrorCode } from '#warehouse';
import { anOrgSlug } from '#test/org-factory';
import { describeOnEngines, expectProblem } from '#test/org-onboarding';
import { OrgProfileRepository } from '../apps/api/src/organizations/org-profile.repository.js';
import { TenancyOrgRepository } from '../apps/api/src/organizations/tenancy-org.repository.js';

/** A 422 that names exactly these fields (sorted), so a failure shows which ones the API flagged. */
const expectInvalidFields = (res: LightMyRequestResponse, fields: string[]) => {
  expectProblem(res, 422, 'VALIDATION_FAILED');
  expect(
    res
      .json()
      .errors.map((e: { field: string }) => e.field)
      .sort(),
  ).toEqual(fields);
};

describeOnEngines('organizations: locale, subscription, members', (h) => {
  describe('locale', () => {
    it('is read with the org key and changed with it; the country follows the currency', async () => {
      const { org, key } = await h.onboard();
      const url = `/api/v1/organizations/${org}/locale`;
      expect((await h.withKey(key, 'GET', url)).json()).toEqual({
        org_slug: org,
        default_currency: 'USD',
        default_country: 'US',
        default_language: 'en',
        default_timezone: 'UTC',
        currency_symbol: '$',
        currency_name: 'US Dollar',
        currency_decimals: 2,
        fiscal_year_start_month: 1,
      });
      const changed = await h.withKey(key, 'PUT', url, { default_currency: 'KWD' });
      expect(changed.statusCode).toBe(200);
      expect(changed.json()).toMatchObject({
        default_currency: 'KWD',
        default_country: 'KW',
        default_timezone: 'UTC',
        currency_decimals: 3,
      });
      // In any case, as currency codes are: stored in the catalog's spelling.
      await h.withKey(key, 'PUT', url, { default_timezone: 'europe/PARIS' });
      expect((await h.root('GET', url)).json()).toMatchObject({
        default_currency: 'KWD',
        default_timezone: 'Europe/Paris',
      });
      expect(await h.profileRow(org)).toMatchObject({ default_timezone: 'Europe/Paris' });
      expect(await h.profileRow(org)).toMatchObject({ default_currency: 'KWD', default_country: 'KW' });
      const audit = await h.warehouse.query(
        `SELECT action, resource_type, details FROM \`${CENTRAL_DATASET}.org_audit_logs\`
         WHERE org_slug = @org AND action = 'UPDATE' ORDER BY created_at`,
        { org },
      );
      expect(audit.map((a) => [a.action, a.resource_type, (a.details as { field: string }).field])).toEqual([
        ['UPDATE', 'ORGANIZATION', 'locale'],
        ['UPDATE', 'ORGANIZATION', 'locale'],
      ]);
    });

    it('applies to cost reads at once: the currency and the time zone of the next read are the new ones', async () => {
      const { org, key } = await h.onboard();
      const summary = async () => (await h.withKey(key, 'GET', `/api/v1/costs/${org}/summary`)).json();
      expect(await summary()).toMatchObject({ currency: 'USD' });
      const put = await h.withKey(key, 'PUT', `/api/v1/organizations/${org}/locale`, {
        default_currency: 'JPY',
        default_timezone: 'Pacific/Auckland',
      });
      expect(put.statusCode).toBe(200);
      const after = await summary();
      expect(after).toMatchObject({ currency: 'JPY', cache_hit: false });
      const aucklandToday = new Intl.DateTimeFormat('en-CA', { timeZone: 'Pacific/Auckland' }).format(
        new Date(),
      );
      expect((after as { summary: { date_range: { end: string } } }).summary.date_range.end).toBe(
        aucklandToday,
      );
    });

    it('writes only the fields it is given: updates of different fields at once both stand', async () => {
      const { org, key } = await h.onboard();
      const url = `/api/v1/organizations/${org}/locale`;
      const profiles = h.app.get(OrgProfileRepository);
      // This request read the profile just before another request changed the currency.
      const stale = await profiles.find(org);
      await h.withKey(key, 'PUT', url, { default_currency: 'EUR' });
      const find = vi.spyOn(profiles, 'find').mockResolvedValueOnce(stale);
      try {
        const res = await h.withKey(key, 'PUT', url, { default_timezone: 'Europe/Paris' });
        expect(res.json()).toMatchObject({ default_currency: 'EUR', default_timezone: 'Europe/Paris' });
      } finally {
        find.mockRestore();
      }
      expect(await h.profileRow(org)).toMatchObject({
        default_currency: 'EUR',
        default_country: 'DE',
        default_timezone: 'Europe/Paris',
      });
    });

    it('takes a null field as absent: the other one is written, this one left as it was', async () => {
      const { org, key } = await h.onboard();
      const url = `/api/v1/organizations/${org}/locale`;
      const first = await h.withKey(key, 'PUT', url, { default_currency: 'GBP', default_timezone: null });
      expect(first.statusCode).toBe(200);
      const second = await h.withKey(key, 'PUT', url, {
        default_currency: null,
        default_timezone: 'Europe/London',
      });
      expect(second.json()).toMatchObject({ default_currency: 'GBP', default_timezone: 'Europe/London' });
      expectProblem(
        await h.withKey(key, 'PUT', url, { default_currency: null, default_timezone: null }),
        422,
        'VALIDATION_FAILED',
      );
    });

    it('records a change that failed as a FAILURE entry, with the key that asked for it', async () => {
      const { org, key } = await h.onboard();
      const update = vi
        .spyOn(h.app.get(OrgProfileRepository), 'update')
        .mockRejectedValue(new WarehouseError(WarehouseErrorCode.Unavailable, 'backendError'));
      try {
        const res = await h.withKey(key, 'PUT', `/api/v1/organizations/${org}/locale`, {
          default_currency: 'EUR',
        });
        expect(res.statusCode).toBe(503);
      } finally {
        update.mockRestore();
      }
      const failed = await h.root('GET', `/api/v1/admin/audit-logs/${org}?status=FAILURE`);
      expect(failed.json().logs).toMatchObject([
        {
          action: 'UPDATE',
          resource_type: 'ORGANIZATION',
          api_key_id: expect.any(String),
          error_message: expect.stringContaining('WAREHOUSE_UNAVAILABLE'),
          details: { field: 'locale', requested: { default_currency: 'EUR' } },
        },
      ]);
    });

    it('needs at least one known field (422) and an existing org (404)', async () => {
      const { org, key } = await h.onboard();
      const url = `/api/v1/organizations/${org}/locale`;
      const empty = await h.withKey(key, 'PUT', url, {});
      expectInvalidFields(empty, ['default_currency', 'default_timezone', 'fiscal_year_start_month']);
      expectProblem(await h.withKey(key, 'PUT', url, { default_currency: 'XYZ' }), 422, 'VALIDATION_FAILED');
      expectInvalidFields(await h.withKey(key, 'PUT', url, { default_timezone: 'Europe/Nowhere' }), [
        'default_timezone',
      ]);
      expectProblem(
        await h.root('GET', `/api/v1/organizations/${anOrgSlug('none')}/locale`),
        404,
        'ORG_NOT_FOUND',
      );
    });
  });

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

    it("takes back only its own write: another request's newer change of the row stands", async () => {
      const { org } = await h.onboard({ subscription_plan: 'STARTER' });
      const profiles = h.app.get(OrgProfileRepository);
      const update = vi.spyOn(profiles, 'update').mockImplementation(async () => {
        // Another request (the dashboard's Stripe webhook) writes the row meanwhile; then this
        // request's profile write fails.
        await h.db.update(
          'organizations',
          { org_slug: org },
          { plan: 'SCALE', pipelines_per_day_limit: 100 },
        );
        throw new Error('simulated warehouse outage');
      });
      try {
        const res = await h.root('PUT', `/api/v1/organizations/${org}/subscription`, { daily_limit: 7 });
        expectProblem(res, 500, 'SUBSCRIPTION_UPDATE_FAILED');
      } finally {
        update.mockRestore();
      }
      expect(await h.tenancyRow(org)).toMatchObject({ plan: 'SCALE', pipelines_per_day_limit: 100 });
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

  describe('member emails', () => {
    it('lists the active members from the tenancy DB, optionally by role', async () => {
      const { org } = await h.onboard();
      const other = await h.onboard();
      const orgId = (await h.tenancyRow(org)).id as string;
      const otherId = (await h.tenancyRow(other.org)).id as string;
      const user = async (email: string, name: string | null) =>
        (await h.db.insert('profiles', [{ email, full_name: name }]))[0].id as string;
      const owner = await user('owner@example.com', 'Olivia Owner');
      const admin = await user('admin@example.com', 'Adam Admin');
      const gone = await user('gone@example.com', 'Gone Person');
      const stranger = await user('stranger@example.com', null);
      await h.db.insert('organization_members', [
        { org_id: orgId, user_id: owner, role: 'owner', status: 'active' },
        { org_id: orgId, user_id: admin, role: 'admin', status: 'active' },
        { org_id: orgId, user_id: gone, role: 'admin', status: 'inactive' },
        { org_id: otherId, user_id: stranger, role: 'owner', status: 'active' },
      ]);
      const all = (await h.root('GET', `/api/v1/organizations/${org}/members/emails`)).json();
      expect(all.org_slug).toBe(org);
      expect(all.count).toBe(2);
      expect(all.members).toEqual(
        expect.arrayContaining([
          { email: 'owner@example.com', name: 'Olivia Owner', role: 'owner' },
          { email: 'admin@example.com', name: 'Adam Admin', role: 'admin' },
        ]),
      );
      expect((await h.root('GET', `/api/v1/organizations/${org}/members/emails?role=admin`)).json()).toEqual({
        org_slug: org,
        members: [{ email: 'admin@example.com', name: 'Adam Admin', role: 'admin' }],
        count: 1,
      });
      // In any case; empty is every role, as a dashboard's "All" sends it.
      expect(
        (await h.root('GET', `/api/v1/organizations/${org}/members/emails?role=ADMIN`)).json().count,
      ).toBe(1);
      expect((await h.root('GET', `/api/v1/organizations/${org}/members/emails?role=`)).json().count).toBe(2);
      expectProblem(
        await h.root('GET', `/api/v1/organizations/${org}/members/emails?role=boss`),
        422,
        'VALIDATION_FAILED',
      );
      expectProblem(
        await h.root('GET', `/api/v1/organizations/${anOrgSlug('none')}/members/emails`),
        404,
        'ORG_NOT_FOUND',
      );
    });
  });
});
