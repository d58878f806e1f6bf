import type { InvalidationBus } from '#platform';
import { PipelineStatusCache } from './pipeline-status.cache.js';

const bus = {
  subscribe: () => () => undefined,
  publish: () => Promise.resolve(),
} as unknown as InvalidationBus;

describe('PipelineStatusCache metrics of many orgs', () => {
  it('keep the counters of the 10,000 most recently counted orgs, the instance totals whole', () => {
    const cache = new PipelineStatusCache(bus);
    for (let i = 0; i < 20_000; i++) cache.get(`org_${i}`, '2026-12-06');
    cache.get('org_0', '2026-12-06');
    // Each org's counters stayed for good: every org an instance ever served, offboarded ones too.
    const held = (cache as unknown as { byOrg: { size: number } }).byOrg.size;
    expect(held).toBe(10_000);
    expect(cache.metrics()).toMatchObject({ scope: 'instance', misses: 20_001, total_requests: 20_001 });
    expect(cache.metrics('org_0')).toMatchObject({ scope: 'organization', misses: 1 });
    expect(cache.metrics('org_19999')).toMatchObject({ misses: 1 });
    expect(cache.metrics('org_1')).toMatchObject({ misses: 0, total_requests: 0 });
  });
});
