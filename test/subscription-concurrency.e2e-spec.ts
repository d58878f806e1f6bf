import type { Warehouse } from '#warehouse';
import { describeOnEngines } from '#test/org-onboarding';

const PLANS = ['STARTER', 'PROFESSIONAL', 'SCALE', 'ENTERPRISE'];

describeOnEngines('subscription updates at once', (h) => {
  it('leave the tenancy row and the profile naming the same plan', async () => {
    const { org } = await h.onboard();
    const url = `/api/v1/organizations/${org}/subscription`;
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => h.root('PUT', url, { plan_name: PLANS[(i + round) % 4] })),
      );
      expect(answers.map((r) => r.statusCode)).toEqual(Array<number>(8).fill(200));
      const enforced = (await h.tenancyRow(org)).plan as string;
      expect({ round, profile: (await h.profileRow(org)).subscription_plan }).toEqual({
        round,
        profile: enforced,
      });
    }
  });

  it('and an onboarding re-sync with a plan leave both stores naming the same plan', async () => {
    // The re-sync writes the tenancy row and then the profile, as an update does. It ran beside an
    // update already under way (it only excluded new ones), so the update's profile write landed
    // after the re-sync's: the profile named PROFESSIONAL while the quotas enforced SCALE.
    const { org } = await h.onboard();
    const warehouse: Warehouse = h.warehouse;
    const execute = warehouse.execute.bind(warehouse);
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding = () => {};
    const held = new Promise<void>((resolve) => (holding = resolve));
    let first = true;
    // The update's profile write (the first of the org's plan writes) waits until released.
    warehouse.execute = async (sql, params) => {
      if (
        first &&
        sql.includes('org_profiles') &&
        sql.includes('subscription_plan =') &&
        params?.org === org
      ) {
        first = false;
        holding();
        await released;
      }
      return execute(sql, params);
    };
    try {
      const update = h.root('PUT', `/api/v1/organizations/${org}/subscription`, {
        plan_name: 'PROFESSIONAL',
      });
      await held;
      const resync = h.root(
        'POST',
        '/api/v1/organizations/onboard',
        h.onboardBody(org, { regenerate_api_key_if_exists: true, subscription_plan: 'SCALE' }),
      );
      // Long enough for a re-sync that does not wait to finish; one that waits is let through after.
      await Promise.race([resync, new Promise((resolve) => setTimeout(resolve, 3_000))]);
      release();
      const [u, r] = await Promise.all([update, resync]);
      expect([u.statusCode, r.statusCode], `${u.body} ${r.body}`).toEqual([200, 200]);
    } finally {
      warehouse.execute = execute;
      release();
    }
    expect({
      tenancy: (await h.tenancyRow(org)).plan,
      profile: (await h.profileRow(org)).subscription_plan,
    }).toEqual({ tenancy: 'SCALE', profile: 'SCALE' });
  });
});
