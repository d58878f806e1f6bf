import { aFocusRow } from '#test/focus-rows';
import { costDaysAt, costDaysEnd } from '../calendar/cost-days.js';
import { costFrameOf } from '../testing/frame-of.js';
import { CostCache, type FramePeriod } from './cost-cache.js';

const frame = costFrameOf([aFocusRow({ date: '2026-03-15', billedCost: 1 })]);
const load = async () => frame;

/** A cache whose clock reads `iso`, and the frame period of an org in `timeZone` at that instant. */
function at(iso: string, timeZone: string) {
  const now = Date.parse(iso);
  const cache = new CostCache({ clock: { now: () => now } });
  const period = (start: string, end: string): FramePeriod => ({
    start,
    end,
    timeZone,
    ...costDaysAt(timeZone, now),
  });
  const expiry = async (p: FramePeriod) => {
    const { frame: f } = await cache.frame('org_a', p, load);
    return new Date(f.expiresAt).toISOString();
  };
  return { period, expiry, in60s: new Date(now + 60_000).toISOString() };
}

describe('CostCache: live periods and midnights of an org off UTC', () => {
  it('keeps a period ending on the UTC day still running a minute only, east of UTC', async () => {
    // Apr 2 09:00 in Auckland: the UTC day Apr 1 is still being written.
    const { period, expiry, in60s } = at('2026-04-01T20:00:00Z', 'Pacific/Auckland');
    expect(await expiry(period('2026-04-01', '2026-04-01'))).toBe(in60s);
    expect(await expiry(period('2026-03-01', '2026-04-02'))).toBe(in60s);
  });

  it("keeps a period ending on the org's today a minute only, west of UTC", async () => {
    // Dec 5 19:09 in Los Angeles, Dec 6 in UTC.
    const { period, expiry, in60s } = at('2026-12-06T03:09:00Z', 'America/Los_Angeles');
    expect(await expiry(period('2026-12-05', '2026-12-05'))).toBe(in60s);
    expect(await expiry(period('2026-12-01', '2026-12-06'))).toBe(in60s);
  });

  it("keeps a past period until the next UTC midnight when it comes before the org's", async () => {
    // Auckland's next midnight is 2026-04-02T11:00Z; UTC's comes first.
    const east = at('2026-04-01T20:00:00Z', 'Pacific/Auckland');
    expect(await east.expiry(east.period('2026-03-01', '2026-03-31'))).toBe('2026-04-02T00:00:00.000Z');
    // Los Angeles's next midnight is 2026-12-07T08:00Z.
    const west = at('2026-12-06T12:00:00Z', 'America/Los_Angeles');
    expect(await west.expiry(west.period('2026-11-01', '2026-11-30'))).toBe('2026-12-07T00:00:00.000Z');
  });

  it("keeps a past period until the org's midnight when it comes first", async () => {
    const west = at('2026-12-06T03:09:00Z', 'America/Los_Angeles');
    expect(await west.expiry(west.period('2026-11-01', '2026-11-30'))).toBe('2026-12-06T08:00:00.000Z');
    const east = at('2026-04-01T08:00:00Z', 'Pacific/Auckland');
    expect(await east.expiry(east.period('2026-03-01', '2026-03-30'))).toBe('2026-04-01T11:00:00.000Z');
  });

  it('does not keep a past period into the next day when its load ends after the midnight of the days it was resolved for', async () => {
    // Resolved at 23:59:59.5 UTC on Nov 30 (its month to date is November's), loaded after
    // midnight: kept until Dec 2, Dec 1's reads would have been given November's run rates.
    let now = Date.parse('2026-11-30T23:59:59.500Z');
    const cache = new CostCache({ clock: { now: () => now } });
    const period: FramePeriod = {
      start: '2026-10-01',
      end: '2026-11-15',
      timeZone: 'UTC',
      ...costDaysAt('UTC', now),
    };
    const { frame: f } = await cache.frame('org_a', period, async () => {
      now = Date.parse('2026-12-01T00:00:00.200Z');
      return frame;
    });
    expect(f.expiresAt).toBeLessThanOrEqual(now + 1);
  });

  it('ends the days a read was resolved against at the earlier midnight', () => {
    const la = costDaysAt('America/Los_Angeles', Date.parse('2026-12-06T12:00:00Z'));
    expect(new Date(costDaysEnd(la, 'America/Los_Angeles')).toISOString()).toBe('2026-12-07T00:00:00.000Z');
    const nz = costDaysAt('Pacific/Auckland', Date.parse('2026-04-01T20:00:00Z'));
    expect(new Date(costDaysEnd(nz, 'Pacific/Auckland')).toISOString()).toBe('2026-04-02T00:00:00.000Z');
    const utc = costDaysAt('UTC', Date.parse('2026-04-01T20:00:00Z'));
    expect(new Date(costDaysEnd(utc, 'UTC')).toISOString()).toBe('2026-04-02T00:00:00.000Z');
  });
});
