import type { DbValue, TenancyDb } from '#tenancy-db';
import { TenancyDbError, TenancyDbErrorCode } from '#tenancy-db';
import { OrgLeases } from './org-lease.js';

const busy = () => new Error('busy');

/**
 * A tenancy DB that grants every claim and fails releases as `failRelease` says: `took` is how long
 * the failed statement ran before failing (a cut connection at once, a lock until the timeout).
 */
function releasesFailing(failRelease: (n: number) => { error: TenancyDbError; took: number } | null) {
  let releases = 0;
  const db = {
    rpc: async (name: string, _args: Record<string, DbValue>) => {
      if (name === 'claim_org_lease') return [{ claimed: true, retry_after_seconds: null }];
      const failure = failRelease(++releases);
      if (!failure) return [];
      await new Promise((resolve) => setTimeout(resolve, failure.took));
      throw failure.error;
    },
  } as unknown as TenancyDb;
  return { leases: new OrgLeases(db), releases: () => releases };
}

const cut = new TenancyDbError(TenancyDbErrorCode.Unavailable, 'connection terminated');
const timedOut = new TenancyDbError(
  TenancyDbErrorCode.Timeout,
  'canceling statement due to statement timeout',
);

describe('OrgLeases release of a lease whose release failed', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const held = async (leases: OrgLeases) => {
    let done = false;
    const hold = leases
      .hold('acme', 'api-key', 120, busy, () => Promise.resolve('rotated'))
      .finally(() => {
        done = true;
      });
    // Time passes until the hold has answered; how much of it is what the request waited.
    const began = Date.now();
    while (!done) await vi.advanceTimersByTimeAsync(50);
    await expect(hold).resolves.toBe('rotated');
    return Date.now() - began;
  };

  it('tries again a release cut with its connection, until it is taken', async () => {
    const { leases, releases } = releasesFailing((n) => (n < 3 ? { error: cut, took: 5 } : null));
    expect(await held(leases)).toBeLessThan(2_000);
    expect(releases()).toBe(3);
  });

  it('does not try again a release that ran into the statement timeout (a lock): its request waited long enough', async () => {
    const { leases, releases } = releasesFailing(() => ({ error: timedOut, took: 30_000 }));
    expect(await held(leases)).toBeLessThan(31_000);
    expect(releases()).toBe(1);
  });

  it('does not try again a release that failed only after a long wait (a server gone silent)', async () => {
    const { leases, releases } = releasesFailing(() => ({ error: cut, took: 31_000 }));
    expect(await held(leases)).toBeLessThan(32_000);
    expect(releases()).toBe(1);
  });
});
