import { LocalInvalidationBus } from '#platform';
import { aFocusRow } from '#test/focus-rows';
import type pl from 'nodejs-polars';
import { costFrameOf } from '../testing/frame-of.js';
import { CostCache } from './cost-cache.js';
import { MARCH_10_CLOCK as clock, periodReadOnMarch10 } from '../testing/cost-days-of.js';
import { reconnectingBus } from '../testing/reconnecting-bus.js';

const march = periodReadOnMarch10('2025-03-01', '2025-03-10');
const frame = costFrameOf([aFocusRow({ date: '2025-03-05', billedCost: 1 })]);
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

async function warm(cache: CostCache, org: string) {
  const { frame: f } = await cache.frame(org, march, async () => frame);
  cache.setResult(org, { kind: 'summary', start: f.start, end: f.end, variant: '' }, 1, f);
  cache.setResult(org, { kind: 'trend', start: f.start, end: f.end, variant: 'daily' }, 2, f);
}

describe('CostCache: per-org invalidation', () => {
  it('drops both levels of one org, reports how many, and leaves other orgs alone', async () => {
    const cache = new CostCache({ clock });
    await warm(cache, 'org_a');
    await warm(cache, 'org_b');
    expect(await cache.invalidateOrg('org_a')).toEqual({ frames: 1, results: 2 });
    expect((await cache.frame('org_b', march, async () => frame)).hit).toBe(true);
    expect((await cache.frame('org_a', march, async () => frame)).hit).toBe(false);
    expect(cache.stats().frames.invalidations).toBe(1);
    expect(cache.stats().results.invalidations).toBe(2);
  });

  it('reaches every instance on the bus', async () => {
    const bus = new LocalInvalidationBus(quiet);
    const a = new CostCache({ clock, bus });
    const b = new CostCache({ clock, bus });
    await warm(a, 'org_a');
    await warm(b, 'org_a');
    expect(await a.invalidateOrg('org_a')).toEqual({ frames: 1, results: 2 });
    expect(b.stats().frames.size).toBe(0);
    expect(b.stats().results.size).toBe(0);
    b.close();
    await warm(b, 'org_a');
    await a.invalidateOrg('org_a');
    expect(b.stats().frames.size).toBe(1);
  });

  it('does not keep a frame, nor its results, whose load raced with an invalidation', async () => {
    const cache = new CostCache({ clock });
    let release!: (df: pl.DataFrame) => void;
    const loading = cache.frame('org_a', march, () => new Promise((resolve) => (release = resolve)));
    await Promise.resolve();
    await cache.invalidateOrg('org_a');
    release(frame);
    const stale = await loading;
    expect(stale.frame.df.height).toBe(1);
    cache.setResult(
      'org_a',
      { kind: 'summary', start: march.start, end: march.end, variant: '' },
      1,
      stale.frame,
    );
    expect(cache.stats().frames.size).toBe(0);
    expect(cache.stats().results.size).toBe(0);
  });

  it('keeps nothing of a read whose settings were read before an invalidation, loaded after it', async () => {
    const cache = new CostCache({ clock });
    const key = { kind: 'summary', start: march.start, end: march.end, variant: '' };
    // The read took the org's settings (its time zone, so its today) here...
    const settingsRead = cache.generation('org_a');
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const reading = (async () => {
      await slow; // ...then waited (for a load slot, a slow profile read) while the zone changed.
      const { frame: f } = await cache.frame(
        'org_a',
        { ...march, generation: settingsRead },
        async () => frame,
      );
      cache.setResult('org_a', key, 'of the old zone', f, { ...march, generation: settingsRead });
    })();
    await cache.invalidateOrg('org_a');
    release();
    await reading;
    expect(cache.stats().frames.size).toBe(0);
    expect(cache.getResult('org_a', key)).toBeUndefined();

    // A frame loaded since, under the new settings, serves it; its result is still not kept.
    const { frame: current } = await cache.frame('org_a', march, async () => frame);
    cache.setResult('org_a', key, 'of the old zone', current, { ...march, generation: settingsRead });
    expect(cache.getResult('org_a', key)).toBeUndefined();
    cache.setResult('org_a', key, 'of the new zone', current, {
      ...march,
      generation: cache.generation('org_a'),
    });
    expect(cache.getResult('org_a', key)).toBe('of the new zone');
  });

  it('starts a fresh load after an invalidation instead of joining the stale one', async () => {
    const cache = new CostCache({ clock });
    const never = cache.frame('org_a', march, () => new Promise<pl.DataFrame>(() => undefined));
    void never;
    await cache.invalidateOrg('org_a');
    const fresh = await cache.frame('org_a', march, async () => frame);
    expect(fresh.frame.df.height).toBe(1);
    expect(cache.stats().frames.loads).toBe(2);
  });

  it('forgets everything after the bus reconnects (invalidations may have been lost)', async () => {
    const { bus, reconnect } = reconnectingBus();
    const cache = new CostCache({ clock, bus });
    const dropped: string[] = [];
    cache.onOrgDropped((org) => dropped.push(org));
    await warm(cache, 'org_a');
    reconnect();
    expect(cache.stats().frames.size + cache.stats().results.size).toBe(0);
    // What is kept beside the cache (an org's cost settings) is told too.
    expect(dropped).toEqual(['org_a']);
  });

  it('still drops locally when the broadcast fails', async () => {
    const warnings: string[] = [];
    const bus = {
      publish: async () => Promise.reject(new Error('redis down')),
      subscribe: () => () => undefined,
    };
    const cache = new CostCache({ clock, bus, logger: { warn: (m) => warnings.push(m) } });
    await warm(cache, 'org_a');
    expect(await cache.invalidateOrg('org_a')).toEqual({ frames: 1, results: 2 });
    expect(warnings).toEqual(['Cost cache invalidation not broadcast: redis down']);
  });

  it('still drops locally when the bus throws at once rather than rejecting', async () => {
    const warnings: string[] = [];
    const bus = {
      publish: (): Promise<void> => {
        throw new Error('redis down');
      },
      subscribe: () => () => undefined,
    };
    const cache = new CostCache({ clock, bus, logger: { warn: (m) => warnings.push(m) } });
    await warm(cache, 'org_a');
    expect(await cache.invalidateOrg('org_a')).toEqual({ frames: 1, results: 2 });
    expect(warnings).toEqual(['Cost cache invalidation not broadcast: redis down']);
  });
});
