import { AuthFailureLimiter } from './auth-failure-limiter.js';

describe('AuthFailureLimiter', () => {
  it('refuses an IP for the rest of its minute once it failed the limit, other IPs not', () => {
    let now = 1_000_000;
    const limiter = new AuthFailureLimiter(2, () => now);
    limiter.recordFailure('10.0.0.1');
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
    now += 20_000;
    limiter.recordFailure('10.0.0.1');
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(40);
    expect(limiter.retryAfterSeconds('10.0.0.2')).toBe(0);
    now += 39_500;
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(1);
    // A new minute starts from nothing.
    now += 1_000;
    limiter.recordFailure('10.0.0.1');
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
  });

  it('admits early lookups while failures and lookups in flight stay under the limit', () => {
    let now = 1_000_000;
    const limiter = new AuthFailureLimiter(3, () => now);
    expect([1, 2, 3, 4].map(() => limiter.tryEarlyLookup('10.0.0.1'))).toEqual([true, true, true, false]);
    expect(limiter.tryEarlyLookup('10.0.0.2')).toBe(true);
    // Two end as failures, one as a valid key: one failure short of the limit, one may start.
    limiter.endEarlyLookup('10.0.0.1');
    limiter.recordFailure('10.0.0.1');
    limiter.endEarlyLookup('10.0.0.1');
    limiter.recordFailure('10.0.0.1');
    expect(limiter.tryEarlyLookup('10.0.0.1')).toBe(false);
    limiter.endEarlyLookup('10.0.0.1');
    expect(limiter.tryEarlyLookup('10.0.0.1')).toBe(true);
    limiter.endEarlyLookup('10.0.0.1');
    // Failures of a past minute no longer count.
    now += 61_000;
    expect([1, 2, 3].map(() => limiter.tryEarlyLookup('10.0.0.1'))).toEqual([true, true, true]);
  });
});
