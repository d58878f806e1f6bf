import { LevelCounters, MAX_COUNTED_ORGS } from './cache-stats.js';

describe('cache counters of many orgs', () => {
  it('keep the counts of the most recently counted orgs only, the instance totals whole', () => {
    const counters = new LevelCounters();
    const orgs = MAX_COUNTED_ORGS * 2;
    for (let i = 0; i < orgs; i++) counters.add(`org_${i}`, 'misses');
    counters.add('org_0', 'hits');
    // An org's counts stayed for good: every org an instance ever served, offboarded ones too.
    const held = (counters as unknown as { orgs: { size: number } }).orgs.size;
    expect(held).toBe(MAX_COUNTED_ORGS);
    expect(counters.of()).toMatchObject({ hits: 1, misses: orgs });
    expect(counters.of('org_0')).toMatchObject({ hits: 1, misses: 0 });
    expect(counters.of(`org_${orgs - 1}`)).toMatchObject({ hits: 0, misses: 1 });
    expect(counters.of('org_1')).toMatchObject({ hits: 0, misses: 0 });
  });
});
