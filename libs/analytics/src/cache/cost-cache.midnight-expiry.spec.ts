import { aFocusRow } from '#test/focus-rows';
import { costFrameOf } from '../testing/frame-of.js';
import { CostCache, type FramePeriod } from './cost-cache.js';
import { reconnectingBus } from '../testing/reconnecting-bus.js';

class FakeClock {
  constructor(public ms: number) {}
  now = () => this.ms;
  set(iso: string) {
    this.ms = Date.parse(iso);
  }
}

const frame = costFrameOf([aFocusRow({ date: '2025-02-15', billedCost: 1 })]);
const load = async () => frame;

describe('CostCache: expiry', () => {
  it('keeps a past period until the next UTC midnight, then reloads it', async () => {
    const clock = new FakeClock(Date.parse('2025-03-10T08:00:00Z'));
    const cache = new CostCache({ clock });
    const february: FramePeriod = {
      start: '2025-02-01',
      end: '2025-02-28',
      today: '2025-03-10',
      utcToday: '2025-03-10',
      timeZone: 'UTC',
    };
    const { frame: f } = await cache.frame('org_a', february, load);
    expect(f.expiresAt).toBe(Date.parse('2025-03-11T00:00:00Z'));
    const key = { kind: 'summary', start: f.start, end: f.end, variant: '' };
    cache.setResult('org_a', key, 'result', f);

    clock.set('2025-03-10T23:59:59.999Z');
    expect((await cache.frame('org_a', february, load)).hit).toBe(true);
    expect(cache.getResult('org_a', key)).toBe('result');

    clock.set('2025-03-11T00:00:00.000Z');
    expect(cache.getResult('org_a', key)).toBeUndefined();
    const after = await cache.frame(
      'org_a',
      { ...february, today: '2025-03-11', utcToday: '2025-03-11' },
      load,
    );
    expect(after.hit).toBe(false);
    expect(cache.stats().frames.expirations).toBe(1);
    expect(cache.stats().results.expirations).toBe(1);
  });

  it('keeps a period that includes today for 60 seconds only', async () => {
    const clock = new FakeClock(Date.parse('2025-03-10T08:00:00Z'));
    const cache = new CostCache({ clock });
    const mtd: FramePeriod = {
      start: '2025-03-01',
      end: '2025-03-10',
      today: '2025-03-10',
      utcToday: '2025-03-10',
      timeZone: 'UTC',
    };
    await cache.frame('org_a', mtd, load);
    clock.set('2025-03-10T08:00:59.999Z');
    expect((await cache.frame('org_a', mtd, load)).hit).toBe(true);
    clock.set('2025-03-10T08:01:00.000Z');
    expect((await cache.frame('org_a', mtd, load)).hit).toBe(false);
  });

  it('honours a configured time to live for today', async () => {
    const clock = new FakeClock(Date.parse('2025-03-10T08:00:00Z'));
    const cache = new CostCache({ clock, todayTtlMs: 5_000 });
    const today: FramePeriod = {
      start: '2025-03-10',
      end: '2025-03-10',
      today: '2025-03-10',
      utcToday: '2025-03-10',
      timeZone: 'UTC',
    };
    const { frame: f } = await cache.frame('org_a', today, load);
    expect(f.expiresAt - clock.now()).toBe(5_000);
  });

  it('expires at midnight in the org time zone when it has one', async () => {
    const clock = new FakeClock(Date.parse('2025-03-10T08:00:00Z'));
    const cache = new CostCache({ clock });
    const tokyo: FramePeriod = {
      start: '2025-02-01',
      end: '2025-02-28',
      today: '2025-03-10',
      utcToday: '2025-03-10',
      timeZone: 'Asia/Tokyo',
    };
    const { frame: f } = await cache.frame('org_a', tokyo, load);
    expect(new Date(f.expiresAt).toISOString()).toBe('2025-03-10T15:00:00.000Z');
  });

  const february: FramePeriod = {
    start: '2025-02-01',
    end: '2025-02-28',
    today: '2025-03-10',
    utcToday: '2025-03-10',
    timeZone: 'UTC',
  };
  const summary = { kind: 'summary', start: february.start, end: february.end, variant: '' };

  it('reports only live entries: what expired leaves the size and bytes, counted as expired', async () => {
    const clock = new FakeClock(Date.parse('2025-03-10T08:00:00Z'));
    const cache = new CostCache({ clock });
    const { frame: f } = await cache.frame('org_a', february, load);
    cache.setResult('org_a', summary, 'result', f);
    expect(cache.stats().frames.memory_bytes).toBeGreaterThan(0);

    // At midnight itself (lru-cache would still hold them a millisecond), then well after.
    for (const at of ['2025-03-11T00:00:00.000Z', '2025-03-11T06:00:00Z']) {
      clock.set(at);
      const { frames, results } = cache.stats();
      expect([frames.size, frames.memory_bytes, results.size, results.memory_bytes], at).toEqual([
        0, 0, 0, 0,
      ]);
      expect([frames.expirations, results.expirations], at).toEqual([1, 1]);
    }
  });

  it('drops expired entries on invalidation too, so none lingers to be pushed out later', async () => {
    const clock = new FakeClock(Date.parse('2025-03-10T08:00:00Z'));
    const cache = new CostCache({ clock, frameMaxEntries: 1, resultMaxEntries: 1 });
    const { frame: f } = await cache.frame('org_a', february, load);
    cache.setResult('org_a', summary, 'result', f);

    clock.set('2025-03-11T00:00:01Z');
    // Nothing live was left to invalidate: the expired entries go as expirations.
    expect(await cache.invalidateOrg('org_a')).toEqual({ frames: 0, results: 0 });
    // The next org's entries then take free room; had org_a's stayed, they would be evicted now.
    const { frame: g } = await cache.frame(
      'org_b',
      { ...february, today: '2025-03-11', utcToday: '2025-03-11' },
      load,
    );
    cache.setResult('org_b', summary, 'result', g);
    const { frames, results } = cache.stats();
    expect([frames.evictions, results.evictions]).toEqual([0, 0]);
    expect([frames.expirations, results.expirations]).toEqual([1, 1]);
    expect([frames.size, results.size]).toEqual([1, 1]);
  });

  it('tells of an org with only expired entries too when it forgets everything (bus reconnected)', async () => {
    const clock = new FakeClock(Date.parse('2025-03-10T08:00:00Z'));
    const { bus, reconnect } = reconnectingBus();
    const cache = new CostCache({ clock, bus });
    const dropped: string[] = [];
    cache.onOrgDropped((org) => dropped.push(org));
    await cache.frame('org_a', february, load);
    clock.set('2025-03-11T00:00:01Z');
    reconnect();
    // Its cost settings, kept beside the cache, are dropped as well.
    expect(dropped).toEqual(['org_a']);
  });

  it('keeps a result no longer than the days it was computed against, of a frame loaded later', async () => {
    const clock = new FakeClock(Date.parse('2025-04-01T00:00:01Z'));
    const cache = new CostCache({ clock });
    const march = { start: '2025-03-01', end: '2025-03-31', timeZone: 'UTC' } as const;
    const days = (today: string) => ({ ...march, today, utcToday: today, generation: 0 });
    // Loaded on April 1 (kept until April 2); a read that began on March 31 computed a result of it.
    const { frame: f } = await cache.frame('org_a', days('2025-04-01'), load);
    const key = { kind: 'summary', start: f.start, end: f.end, variant: '' };
    cache.setResult('org_a', key, 'as of March 31', f, days('2025-03-31'));
    expect(cache.getResult('org_a', key)).toBeUndefined();
    cache.setResult('org_a', key, 'as of April 1', f, days('2025-04-01'));
    clock.set('2025-04-01T23:59:59.999Z');
    expect(cache.getResult('org_a', key)).toBe('as of April 1');
  });
});
