import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadPlanLimits, PLAN_NAMES } from './plan-limits.js';

describe('loadPlanLimits', () => {
  it('reads the four plans of configs/plans.json with their limits and prices', async () => {
    const plans = await loadPlanLimits();
    expect(Object.keys(plans).sort()).toEqual([...PLAN_NAMES].sort());
    expect(plans.STARTER).toEqual({
      seat_limit: 2,
      providers_limit: 3,
      daily_limit: 6,
      monthly_limit: 180,
      concurrent_limit: 1,
      price_usd: 19,
    });
    expect(plans.SCALE).toMatchObject({
      daily_limit: 100,
      monthly_limit: 3000,
      concurrent_limit: 5,
      price_usd: 199,
    });
    expect(plans.ENTERPRISE).toMatchObject({ seat_limit: 999999, price_usd: null });
  });

  it('fails naming the plan and field when a limit is missing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tdb-plans-'));
    try {
      const plans = JSON.parse(JSON.stringify(await loadPlanLimits())) as Record<
        string,
        Record<string, unknown>
      >;
      delete plans.SCALE.monthly_limit;
      await writeFile(path.join(dir, 'plans.json'), JSON.stringify(plans));
      await expect(loadPlanLimits(dir)).rejects.toThrow(/plan SCALE needs monthly_limit/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
