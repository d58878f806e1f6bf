import { CENTRAL_DATASET, WarehouseError, WarehouseErrorCode } from '#warehouse';
import { anOrgSlug } from '#test/org-factory';
import { describeOnEngines, expectInvalidFields, expectProblem } from '#test/org-onboarding';
import { OrgProfileRepository } from '../apps/api/src/organizations/org-profile.repository.js';

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

    it('trims the time zone as it trims the currency code', async () => {
      const { org, key } = await h.onboard();
      const res = await h.withKey(key, 'PUT', `/api/v1/organizations/${org}/locale`, {
        default_currency: ' eur ',
        default_timezone: ' europe/paris ',
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ default_currency: 'EUR', default_timezone: 'Europe/Paris' });
      expect(await h.profileRow(org)).toMatchObject({
        default_currency: 'EUR',
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

    it('drops cached cost reads after a write whose outcome is unknown (it may have landed)', async () => {
      const { org, key } = await h.onboard();
      const summary = async () => (await h.withKey(key, 'GET', `/api/v1/costs/${org}/summary`)).json();
      expect(await summary()).toMatchObject({ currency: 'USD' });
      const repository = h.app.get(OrgProfileRepository);
      const write = repository.update.bind(repository);
      // The job committed, its call failed (a deadline, a lost connection).
      const update = vi.spyOn(repository, 'update').mockImplementationOnce(async (...args) => {
        await write(...args);
        throw new WarehouseError(WarehouseErrorCode.Unavailable, 'backendError');
      });
      try {
        const res = await h.withKey(key, 'PUT', `/api/v1/organizations/${org}/locale`, {
          default_currency: 'EUR',
        });
        expect(res.statusCode).toBe(503);
      } finally {
        update.mockRestore();
      }
      expect(await summary()).toMatchObject({ currency: 'EUR', cache_hit: false });
    });

    it('audits as "after" the values stored, with what another change wrote meanwhile', async () => {
      const { org, key } = await h.onboard();
      const repository = h.app.get(OrgProfileRepository);
      const write = repository.update.bind(repository);
      const update = vi.spyOn(repository, 'update').mockImplementationOnce(async (...args) => {
        const written = await write(...args);
        await h.warehouse.execute(
          `UPDATE \`${CENTRAL_DATASET}.org_profiles\` SET default_timezone = 'Asia/Tokyo' WHERE org_slug = @org`,
          { org },
        );
        return written;
      });
      try {
        const res = await h.withKey(key, 'PUT', `/api/v1/organizations/${org}/locale`, {
          default_currency: 'EUR',
        });
        expect(res.json()).toMatchObject({ default_currency: 'EUR', default_timezone: 'Asia/Tokyo' });
      } finally {
        update.mockRestore();
      }
      const entries = await h.root('GET', `/api/v1/admin/audit-logs/${org}?status=SUCCESS&action=UPDATE`);
      expect(entries.json().logs).toMatchObject([
        {
          details: {
            updated_fields: ['default_currency'],
            before: { default_currency: 'USD', default_timezone: 'UTC' },
            after: { default_currency: 'EUR', default_timezone: 'Asia/Tokyo', fiscal_year_start_month: 1 },
          },
        },
      ]);
    });

    it('reports the currency and time zone cost reads apply to a profile an older release wrote', async () => {
      const { org, key } = await h.onboard();
      // Written by hand (an older release, a fix in the console): a code in lower case, a zone the
      // runtime does not know. Cost reads (and imports) take the first as EUR, the second as UTC.
      await h.warehouse.execute(
        `UPDATE \`${CENTRAL_DATASET}.org_profiles\`
         SET default_currency = 'eur', default_timezone = 'Mars/Olympus_Mons' WHERE org_slug = @org`,
        { org },
      );
      const summary = (await h.withKey(key, 'GET', `/api/v1/costs/${org}/summary`)).json();
      expect(summary).toMatchObject({ currency: 'EUR' });
      const locale = await h.withKey(key, 'GET', `/api/v1/organizations/${org}/locale`);
      expect(locale.json()).toMatchObject({
        default_currency: 'EUR',
        currency_symbol: '€',
        currency_name: 'Euro',
        default_timezone: 'UTC',
      });
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
