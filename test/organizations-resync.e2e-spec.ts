import { createHash } from 'node:crypto';
import { CENTRAL_DATASET } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { describeOnEngines, expectProblem } from '#test/org-onboarding';

describeOnEngines('organizations: onboarding', (h) => {
  describe('onboarding', () => {
    it('answers 409 ORG_EXISTS for an existing org, and re-syncs it when asked, keeping its key', async () => {
      const { org, key } = await h.onboard();
      const again = await h.root('POST', '/api/v1/organizations/onboard', h.onboardBody(org));
      expectProblem(again, 409, 'ORG_EXISTS');
      const resync = await h.root(
        'POST',
        '/api/v1/organizations/onboard',
        h.onboardBody(org, {
          regenerate_api_key_if_exists: true,
          subscription_plan: 'SCALE',
          default_currency: 'JPY',
          company_name: 'Renamed Co',
        }),
      );
      expect(resync.statusCode).toBe(200);
      expect(resync.json()).toMatchObject({
        api_key: key,
        subscription_plan: 'SCALE',
        default_currency: 'JPY',
        default_country: 'JP',
        dataset_created: false,
        tables_created: [],
        message: expect.stringContaining('Existing API key retained'),
      });
      expect(await h.tenancyRow(org)).toMatchObject({
        plan: 'SCALE',
        pipelines_per_day_limit: 100,
        company_name: 'Renamed Co',
      });
      expect(await h.profileRow(org)).toMatchObject({
        company_name: 'Renamed Co',
        subscription_plan: 'SCALE',
      });
      expect(await h.countRows('org_api_keys', org)).toBe(1);
      // The audit entry says the key was kept, as the re-sync recorded it.
      const logs = await h.root('GET', `/api/v1/admin/audit-logs/${org}?action=UPDATE`);
      expect(logs.json().logs[0].details).toMatchObject({ resync: true, api_key_retained: true });
    });

    it("re-sync answers where the org's dataset is, not the location it asked for", async () => {
      const { org } = await h.onboard({ dataset_location: 'EU' });
      const resync = () =>
        h.root(
          'POST',
          '/api/v1/organizations/onboard',
          h.onboardBody(org, { regenerate_api_key_if_exists: true, dataset_location: 'US' }),
        );
      // The embedded warehouse has no locations: the one asked for is all there is to say.
      expect((await resync()).json()).toMatchObject({ dataset_created: false, dataset_location: 'US' });
      // BigQuery knows where the dataset was made (its answer, as the driver reads it).
      const located = vi.spyOn(h.warehouse, 'datasetLocation').mockResolvedValue('EU');
      try {
        expect((await resync()).json()).toMatchObject({ dataset_created: false, dataset_location: 'EU' });
        expect(located).toHaveBeenCalledWith(`${org}_local`);
      } finally {
        located.mockRestore();
      }
    });

    it('re-sync keeps the plan, limits, currency and time zone the request leaves out', async () => {
      const { org, key } = await h.onboard({ subscription_plan: 'SCALE' });
      const changed = await h.root('PUT', `/api/v1/organizations/${org}/subscription`, {
        plan_name: 'PROFESSIONAL',
        daily_limit: 77,
      });
      expect(changed.statusCode, changed.body).toBe(200);
      const locale = { default_currency: 'EUR', default_timezone: 'Asia/Tokyo' };
      expect((await h.withKey(key, 'PUT', `/api/v1/organizations/${org}/locale`, locale)).statusCode).toBe(
        200,
      );

      // Only to get the key back: nothing about the plan or the locale in the request.
      const resync = await h.root(
        'POST',
        '/api/v1/organizations/onboard',
        h.onboardBody(org, { regenerate_api_key_if_exists: true, company_name: 'Kept Co' }),
      );
      expect(resync.statusCode, resync.body).toBe(200);
      expect(resync.json()).toMatchObject({
        api_key: key,
        subscription_plan: 'PROFESSIONAL',
        default_currency: 'EUR',
        default_country: 'DE',
        default_timezone: 'Asia/Tokyo',
      });
      expect(await h.tenancyRow(org)).toMatchObject({
        plan: 'PROFESSIONAL',
        pipelines_per_day_limit: 77,
        company_name: 'Kept Co',
      });
      expect((await h.withKey(key, 'GET', `/api/v1/organizations/${org}/locale`)).json()).toMatchObject(
        locale,
      );
      expect((await h.withKey(key, 'GET', `/api/v1/organizations/${org}/subscription`)).json()).toMatchObject(
        {
          plan_name: 'PROFESSIONAL',
          daily_limit: 77,
        },
      );
    });

    it("keeps the dashboard's key fingerprint on the organizations row in step with key changes", async () => {
      const { org, key } = await h.onboard();
      const rotated = await h.withKey(key, 'POST', `/api/v1/organizations/${org}/api-key/rotate`, {});
      const current = rotated.json().api_key as string;
      expect(await h.tenancyRow(org)).toMatchObject({ backend_api_key_fingerprint: current.slice(-4) });
      const hash = createHash('sha256').update(current).digest('hex');
      expect((await h.root('DELETE', `/api/v1/admin/api-keys/${hash}`)).statusCode).toBe(200);
      expect(await h.tenancyRow(org)).toMatchObject({ backend_api_key_fingerprint: null });
    });

    it('never leaves the fingerprint of a replaced key when a rotation follows another at once', async () => {
      const { org } = await h.onboard();
      // The first rotation's fingerprint write is held until the second rotation has answered.
      let reached!: () => void;
      const writing = new Promise<void>((resolve) => (reached = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const update = h.db.update.bind(h.db);
      let held = false;
      const spy = vi.spyOn(h.db, 'update').mockImplementation(async (table, match, values) => {
        if (table === 'organizations' && 'backend_api_key_fingerprint' in values && !held) {
          held = true;
          reached();
          await released;
        }
        return update(table, match, values);
      });
      try {
        const first = h.root('POST', `/api/v1/organizations/${org}/api-key/rotate`, {});
        await writing;
        const second = await h.root('POST', `/api/v1/organizations/${org}/api-key/rotate`, {});
        release();
        expect((await first).statusCode).toBe(200);
        // Either the second waits its turn (409) or it runs after the first has published.
        expect([200, 409]).toContain(second.statusCode);
      } finally {
        release();
        spy.mockRestore();
      }
      const shown = (await h.root('GET', `/api/v1/organizations/${org}/api-key`)).json().api_key_fingerprint;
      expect(await h.tenancyRow(org)).toMatchObject({ backend_api_key_fingerprint: shown });
    });

    it('re-sync does not hand back a key being retired: it issues a permanent one', async () => {
      const { org, key: retiring } = await h.onboard();
      const rotated = await h.withKey(retiring, 'POST', `/api/v1/organizations/${org}/api-key/rotate`, {
        grace_period_seconds: 86_400,
      });
      expect(rotated.statusCode).toBe(200);
      const replacement = rotated.json().api_key as string;
      const hash = createHash('sha256').update(replacement).digest('hex');
      expect((await h.root('DELETE', `/api/v1/admin/api-keys/${hash}`)).statusCode).toBe(200);

      const resync = await h.root(
        'POST',
        '/api/v1/organizations/onboard',
        h.onboardBody(org, { regenerate_api_key_if_exists: true }),
      );
      expect(resync.statusCode).toBe(200);
      const issued = resync.json().api_key as string;
      expect([issued === retiring, issued === replacement]).toEqual([false, false]);
      const status = await h.withKey(issued, 'GET', `/api/v1/organizations/${org}/api-key`);
      expect(status.statusCode).toBe(200);
    });

    it('re-sync finishes what an onboarding cut off half-way left undone: tables, views, hierarchy', async () => {
      const { org, key } = await h.onboard();
      // What a crash after the profile, key and tenancy steps leaves: no dataset, no hierarchy.
      await h.warehouse.dropDataset(`${org}_local`);
      for (const table of ['org_hierarchy_levels', 'org_hierarchy'])
        await h.warehouse.execute(`DELETE FROM \`${CENTRAL_DATASET}.${table}\` WHERE org_slug = @org`, {
          org,
        });
      const resync = await h.root(
        'POST',
        '/api/v1/organizations/onboard',
        h.onboardBody(org, { regenerate_api_key_if_exists: true }),
      );
      expect(resync.statusCode).toBe(200);
      expect(resync.json()).toMatchObject({ api_key: key, dataset_created: true });
      expect(resync.json().tables_created).toHaveLength(19);
      expect(resync.json().views_created.length).toBeGreaterThan(0);
      expect(resync.json().hierarchy_seeded.entities).toBeGreaterThan(0);
      // A second re-sync finds nothing left to do.
      const again = await h.root(
        'POST',
        '/api/v1/organizations/onboard',
        h.onboardBody(org, { regenerate_api_key_if_exists: true }),
      );
      expect(again.json()).toMatchObject({
        dataset_created: false,
        tables_created: [],
        views_created: [],
        hierarchy_seeded: { levels: 0, entities: 0 },
      });
    });

    it('re-sync of an org whose key has no stored copy issues one next to it, and says so', async () => {
      // A key as the replaced system stored it: no copy to decrypt and show.
      const legacy = await anOrgWithKey(h.warehouse, { legacy: true });
      const res = await h.root(
        'POST',
        '/api/v1/organizations/onboard',
        h.onboardBody(legacy.org, { regenerate_api_key_if_exists: true }),
      );
      expect(res.statusCode).toBe(200);
      expect(res.json().message).toContain('no stored copy to show');
      expect(res.json().message).not.toContain('had no active API key');
      for (const key of [legacy.key, res.json().api_key as string])
        expect((await h.withKey(key, 'GET', `/api/v1/organizations/${legacy.org}/api-key`)).statusCode).toBe(
          200,
        );
      // The new key has a stored copy: the next re-sync shows it.
      const again = await h.root(
        'POST',
        '/api/v1/organizations/onboard',
        h.onboardBody(legacy.org, { regenerate_api_key_if_exists: true }),
      );
      expect(again.json()).toMatchObject({
        api_key: res.json().api_key,
        message: expect.stringContaining('retained'),
      });
      // An org whose only key is retiring (a grace period) is not told a key "keeps working".
      const retiring = await anOrgWithKey(h.warehouse, {
        legacy: true,
        expiresAt: new Date(Date.now() + 3_600_000),
      });
      const resynced = await h.root(
        'POST',
        '/api/v1/organizations/onboard',
        h.onboardBody(retiring.org, { regenerate_api_key_if_exists: true }),
      );
      expect(resynced.json().message).toContain('had no active API key');
    });

    it('keeps a half-onboarded org unusable, and the next onboarding request finishes it', async () => {
      const { org, key } = await h.onboard();
      // What an onboarding cut off after its tenancy step leaves (its in-memory undo never ran).
      await h.warehouse.execute(
        `UPDATE \`${CENTRAL_DATASET}.org_profiles\` SET status = 'PROVISIONING' WHERE org_slug = @org`,
        { org },
      );
      await h.warehouse.dropDataset(`${org}_local`);
      for (const table of ['org_hierarchy_levels', 'org_hierarchy'])
        await h.warehouse.execute(`DELETE FROM \`${CENTRAL_DATASET}.${table}\` WHERE org_slug = @org`, {
          org,
        });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const refused = await h.withKey(key, 'GET', `/api/v1/organizations/${org}/api-key`);
      expect(refused.statusCode).toBe(401);

      // The same request again, without regenerate_api_key_if_exists.
      const finished = await h.root('POST', '/api/v1/organizations/onboard', h.onboardBody(org));
      expect(finished.statusCode).toBe(200);
      expect(finished.json()).toMatchObject({ api_key: key, dataset_created: true });
      expect(finished.json().tables_created).toHaveLength(19);
      expect(finished.json().hierarchy_seeded.entities).toBeGreaterThan(0);
      expect(await h.profileRow(org)).toMatchObject({ status: 'ACTIVE' });
      expect((await h.withKey(key, 'GET', `/api/v1/organizations/${org}/api-key`)).statusCode).toBe(200);
    });

    it('finishes the default hierarchy of an onboarding cut off between its levels and its entities', async () => {
      const { org } = await h.onboard();
      const entities = await h.countRows('org_hierarchy', org);
      expect(entities).toBeGreaterThan(0);
      // The levels were written, the entities (the next warehouse job) were not.
      await h.warehouse.execute(
        `UPDATE \`${CENTRAL_DATASET}.org_profiles\` SET status = 'PROVISIONING' WHERE org_slug = @org`,
        { org },
      );
      await h.warehouse.execute(`DELETE FROM \`${CENTRAL_DATASET}.org_hierarchy\` WHERE org_slug = @org`, {
        org,
      });
      const finished = await h.root('POST', '/api/v1/organizations/onboard', h.onboardBody(org));
      expect(finished.statusCode).toBe(200);
      expect(finished.json().hierarchy_seeded).toEqual({ levels: 0, entities });
      expect(await h.countRows('org_hierarchy', org)).toBe(entities);
    });

    it('refuses to re-sync an org that is not active', async () => {
      const { org } = await h.onboard();
      await h.warehouse.execute(
        `UPDATE \`${CENTRAL_DATASET}.org_profiles\` SET status = 'SUSPENDED' WHERE org_slug = @org`,
        { org },
      );
      const res = await h.root(
        'POST',
        '/api/v1/organizations/onboard',
        h.onboardBody(org, { regenerate_api_key_if_exists: true }),
      );
      expectProblem(res, 400, 'ORG_NOT_ACTIVE');
    });
  });
});
