import { aFocusRow } from '#test/focus-rows';
import { estimateFrameBytes } from '../frame/cost-frame.js';
import { costFrameOf } from '../testing/frame-of.js';
import { CostCache } from './cost-cache.js';
import { MARCH_10_CLOCK as clock, periodReadOnMarch10 } from '../testing/cost-days-of.js';

const period = (month: string) => periodReadOnMarch10(`2024-${month}-01`, `2024-${month}-28`);
const frame = costFrameOf(
  Array.from({ length: 200 }, (_, i) => aFocusRow({ billedCost: i, resourceName: `r-${i}` })),
);
const bytes = estimateFrameBytes(frame);

describe('CostCache: the frame level is bounded by bytes', () => {
  it('measures frames by their estimated size', () => {
    expect(bytes).toBeGreaterThan(200 * 8 * 3);
  });

  it('evicts the least recently used frames to stay under the byte bound', async () => {
    const cache = new CostCache({ clock, frameMaxBytes: Math.floor(bytes * 2.5) });
    for (const month of ['01', '02', '03', '04'])
      await cache.frame('org_a', period(month), async () => frame);
    const stats = cache.stats().frames;
    expect(stats.size).toBe(2);
    expect(stats.evictions).toBe(2);
    expect(stats.memory_bytes).toBe(2 * bytes);
    expect(stats.memory_bytes).toBeLessThanOrEqual(stats.max_memory_bytes);
    expect((await cache.frame('org_a', period('04'), async () => frame)).hit).toBe(true);
    expect((await cache.frame('org_a', period('01'), async () => frame)).hit).toBe(false);
  });

  it('evicts the least recently used frames past the entry bound too', async () => {
    const cache = new CostCache({ clock, frameMaxEntries: 2 });
    for (const month of ['01', '02', '03']) await cache.frame('org_a', period(month), async () => frame);
    expect(cache.stats().frames).toMatchObject({ size: 2, max_size: 2, evictions: 1 });
    expect(cache.stats('org_a').frames.max_size).toBe(2);
    expect(new CostCache({ clock }).stats().frames.max_size).toBe(1_000);
    expect((await cache.frame('org_a', period('01'), async () => frame)).hit).toBe(false);
  });

  it('serves a frame larger than the whole bound without caching it', async () => {
    const cache = new CostCache({ clock, frameMaxBytes: Math.floor(bytes / 2) });
    const first = await cache.frame('org_a', period('01'), async () => frame);
    expect(first.frame.df.height).toBe(200);
    expect(cache.stats().frames).toMatchObject({ size: 0, oversize: 1, memory_bytes: 0 });
  });

  it('bounds the result level by entries', async () => {
    const cache = new CostCache({ clock, resultMaxEntries: 3 });
    const { frame: f } = await cache.frame('org_a', period('01'), async () => frame);
    for (let i = 0; i < 5; i++)
      cache.setResult('org_a', { kind: 'k', start: f.start, end: f.end, variant: `${i}` }, i, f);
    expect(cache.stats().results).toMatchObject({ size: 3, max_size: 3, evictions: 2 });
  });
});
