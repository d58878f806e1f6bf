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
});
